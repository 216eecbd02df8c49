"""Change requests [001 §3.3, 003 §5.1]: the 24-hour window, and applying an approved change."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Invalid

from .confirmation import parse_date
from .documents import render

CHANGE_WINDOW = timedelta(hours=24)


def affected_service_start(ctx: HandlerContext, data: dict[str, Any]) -> datetime | None:
    """When the service the change touches begins: the named instant, else the trip's first day."""
    explicit = data.get("affected_service_start")
    if explicit:
        try:
            instant = datetime.fromisoformat(str(explicit))
        except ValueError:
            instant = None
        if instant is not None:
            return instant if instant.tzinfo else instant.replace(tzinfo=ZoneInfo(ctx.timezone))
        day = parse_date(explicit)
    else:
        day = parse_date(data.get("start_date"))
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ctx.timezone))


def window_refusal(ctx: HandlerContext, data: dict[str, Any]) -> str | None:
    start = affected_service_start(ctx, data)
    if start is not None and start - ctx.now < CHANGE_WINDOW:
        return (
            f"changes are not accepted within 24 hours of the service start "
            f"({start.astimezone(ZoneInfo(ctx.timezone)).isoformat(timespec='minutes')}) [003 §5.1]"
        )
    return None


def submit_change_request_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Refuses, with a clear message, a change to a service that starts within 24 hours."""
    refusal = window_refusal(ctx, {**ctx.data, **submitted})
    if refusal:
        field = "affected_service_start" if submitted.get("affected_service_start") else "change_type"
        raise Invalid(refusal, [{"field": field, "message": refusal, "code": "change_window"}])
    if submitted.get("change_type") == "dates" and not submitted.get("new_start_date"):
        raise Invalid(
            "new dates missing",
            [{"field": "new_start_date", "message": "give the new dates", "code": "required"}],
        )
    return {}


def check_change_window(ctx: HandlerContext) -> dict[str, Any]:
    """The same rule again when the engine reaches it, in case time passed since submission."""
    refusal = window_refusal(ctx, ctx.data)
    return {"change_allowed": refusal is None, "change_refusal": refusal or ""}


def apply_change(ctx: HandlerContext) -> dict[str, Any]:
    """Updates the trip record and price and tells the trip case its dates moved."""
    data = ctx.data
    trip_case_id = int(data["trip_case_id"])
    new_start = data.get("new_start_date") or data.get("start_date")
    new_end = data.get("new_end_date") or data.get("end_date")
    price = float(data.get("total_price") or 0) + float(data.get("cost_delta") or 0)
    trip = ctx.trip_of_case(trip_case_id)
    if trip is not None:
        trip.start_date, trip.end_date = parse_date(new_start), parse_date(new_end)
        trip.total_price = price
        trip.updated_at = ctx.now
    form = ctx.add_document(
        f"change-request-{ctx.case_id}.html",
        "change_request_form",
        "text/html; charset=utf-8",
        render(
            "change_request.html",
            data={**data, "change_outcome": "applied", "total_price": price},
            generated_at=ctx.now.isoformat(timespec="minutes"),
        ),
    )
    ctx.add_pdf_copy(form)
    ctx.send_message(
        trip_case_id,
        "itinerary_changed",
        {"start_date": new_start, "end_date": new_end, "total_price": price, "change_case_id": ctx.case_id},
    )
    return {"start_date": new_start, "end_date": new_end, "total_price": price}


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("submit_change_request")(submit_change_request_done)
    registry.service("check_change_window_handler")(check_change_window)
    registry.service("apply_change_handler")(apply_change)
