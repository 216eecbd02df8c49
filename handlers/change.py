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


LINE_KINDS = {
    # change_type: (the itinerary field a line replaces, the booking kind its lines replace)
    "hotel": ("accommodation", "hotel"),
    "flight": ("transport", "transport"),
    "activities": ("attractions", "other"),
}


def changed_trip(data: dict[str, Any]) -> dict[str, Any]:
    """The trip as it stands once the change is applied: every change_type moves what it names.

    Dates, travellers, the itinerary day lines and the bookings of the changed kind (the new
    lines replace that kind's bookings; a line with a ``day`` changes that day of the itinerary,
    one without changes every day), and the price by ``cost_delta``.
    """
    change_type = data.get("change_type")
    changed: dict[str, Any] = {
        "start_date": data.get("new_start_date") or data.get("start_date"),
        "end_date": data.get("new_end_date") or data.get("end_date"),
        "travellers": data.get("new_travellers") or data.get("travellers"),
        "total_price": float(data.get("total_price") or 0) + float(data.get("cost_delta") or 0),
        "itinerary": [dict(day) for day in data.get("itinerary") or [] if isinstance(day, dict)],
        "bookings": [dict(line) for line in data.get("bookings") or [] if isinstance(line, dict)],
    }
    if change_type in LINE_KINDS and data.get("new_lines"):
        field, kind = LINE_KINDS[change_type]
        lines = [line for line in data["new_lines"] if isinstance(line, dict)]
        for line in lines:
            for number, day in enumerate(changed["itinerary"], start=1):
                if line.get("day") in (None, day.get("day", number)):
                    day[field] = line.get("description")
        changed["bookings"] = [b for b in changed["bookings"] if b.get("kind") != kind] + [
            {
                "kind": kind,
                "supplier": line.get("supplier"),
                "reference": line.get("reference") or "",
                "notes": line.get("description"),
            }
            for line in lines
        ]
    return changed


def apply_change(ctx: HandlerContext) -> dict[str, Any]:
    """Applies the change whole: the trip record, the trip case's data (through the message
    ``itinerary_changed``), and a reissued confirmation letter on the trip case (the old one stays)."""
    data = ctx.data
    trip_case_id = int(data["trip_case_id"])
    changed = changed_trip(data)
    trip = ctx.trip_of_case(trip_case_id)
    if trip is not None:
        trip.start_date, trip.end_date = parse_date(changed["start_date"]), parse_date(changed["end_date"])
        trip.travellers = changed["travellers"]
        trip.total_price = changed["total_price"]
        trip.itinerary = changed["itinerary"]
        trip.updated_at = ctx.now
    letter = ctx.add_document(
        f"confirmation-letter-{trip_case_id}-change-{ctx.case_id}.html",
        "confirmation_letter",
        "text/html; charset=utf-8",
        render(
            "confirmation_letter.html",
            data={**data, **changed},
            itinerary=changed["itinerary"],
            bookings=changed["bookings"],
            generated_at=ctx.now.isoformat(timespec="minutes"),
        ),
        case_id=trip_case_id,
    )
    ctx.add_pdf_copy(letter)
    ctx.send_message(
        trip_case_id,
        "itinerary_changed",
        {**changed, "change_case_id": ctx.case_id, "confirmation_letter_id": letter.id},
    )
    return {**changed, "reissued_letter_id": letter.id}


def file_change_form(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Every change request files its change form when the customer is told the outcome:
    applied, rejected, withdrawn or refused [001 §3.3]."""
    data = {**ctx.data, **submitted}
    document = ctx.add_document(
        f"change-request-{ctx.case_id}.html",
        "change_request_form",
        "text/html; charset=utf-8",
        render("change_request.html", data=data, generated_at=ctx.now.isoformat(timespec="minutes")),
    )
    ctx.add_pdf_copy(document)
    return {"change_form_id": document.id}


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("submit_change_request")(submit_change_request_done)
    registry.service("check_change_window_handler")(check_change_window)
    registry.service("apply_change_handler")(apply_change)
    registry.on_complete("notify_customer")(file_change_form)
