"""On the trip [003 §3(二)]: the guide's daily reports, the customers' ratings, and the group rating
that brings in a supervisor at once when it falls below the threshold of the DMN table.

The ratings and reports are case variables of the whole trip (``HandlerContext.share``): the
daily report and each rating run on a side path of the trip while the trip waits for return.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Invalid

RATING_WINDOW = timedelta(hours=24)
LOW_GROUP_RATING = 4  # [003 §3(二)] below this the supervisor steps in at once


def arrange_bookings_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The guide named at booking must be a user holding the role ``tour_guide``."""
    guide = (submitted.get("tour_guide") or "").strip()
    if guide and not ctx.holds_role(guide, "tour_guide"):
        message = f"'{guide}' is not an active user with the role tour_guide"
        raise Invalid(message, [{"field": "tour_guide", "message": message, "code": "tour_guide"}])
    customer_id = ctx.data.get("customer_id")
    phone = ctx.customer(customer_id).phone if isinstance(customer_id, int) else None
    return {
        "tour_guide": guide,
        "trip_phase": ctx.data.get("trip_phase") or "booked",
        "customer_phone": phone or "",
    }


def enter_on_the_trip(ctx: HandlerContext) -> dict[str, Any]:
    """Departure: the trip case is on the trip (an incident can be opened from now until return)."""
    partners = ctx.partners_for(ctx.data.get("destination"))
    ctx.share(trip_phase="on_trip", emergency_partners=partners)
    return {"trip_phase": "on_trip", "emergency_partners": partners}


def leave_the_trip(ctx: HandlerContext) -> dict[str, Any]:
    """Return: the stage is over, for every path of the case (no new incident, no new rating)."""
    ctx.share(trip_phase="returned")
    return {"trip_phase": "returned"}


def record_trip_incident(ctx: HandlerContext) -> dict[str, Any]:
    """An incident's outcome (the alternative chosen, its cost, who pays) joins the trip's incidents."""
    outcome = ctx.data.get("incident_outcome")
    if not isinstance(outcome, dict):
        ctx.add_comment("incident outcome not recorded: it is not an object")
        return {}
    incidents = [
        *(
            i
            for i in ctx.data.get("incidents") or []
            if i.get("incident_case_id") != outcome.get("incident_case_id")
        ),
        outcome,
    ]
    ctx.share(incidents=incidents)
    return {"incidents": incidents}


def _instant(value: Any) -> datetime | None:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return instant if instant.tzinfo else None


def group_rating(ctx: HandlerContext, reports: list[dict[str, Any]], ratings: list[dict[str, Any]]) -> dict:
    """The mean of the guide's latest group mood and the customers' ratings of the last 24 hours."""
    counted: list[dict[str, Any]] = []
    if reports:
        latest = reports[-1]
        counted.append(
            {"source": "guide", "score": latest["group_mood"], "text": latest.get("what_happened", "")}
        )
    for rating in ratings:
        at = _instant(rating.get("rated_at"))
        if at is not None and ctx.now - RATING_WINDOW <= at <= ctx.now:
            counted.append({"source": "customer", **rating})
    value = round(fmean(r["score"] for r in counted), 2) if counted else None
    return {"value": value, "counted": counted}


def _judge(
    ctx: HandlerContext, reports: list[dict[str, Any]], ratings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Whether this rating or report brings in the supervisor: below 4 and none already open."""
    rating = group_rating(ctx, reports, ratings)
    low = rating["value"] is not None and rating["value"] < LOW_GROUP_RATING
    already_open = bool(ctx.data.get("intervention_open"))
    needed = low and not already_open
    shared: dict[str, Any] = {
        "group_rating": rating["value"],
        "daily_reports": reports,
        "trip_ratings": ratings,
    }
    if needed:
        shared["intervention_open"] = True
    ctx.share(**shared)
    result = {**shared, "intervention_needed": needed}
    if needed:
        result["intervention_reasons"] = rating["counted"]
        result["emergency_partners"] = ctx.partners_for(ctx.data.get("destination"))
    return result


def daily_report_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The guide's evening report joins the trip's reports; a low mood may bring in the supervisor."""
    report = {
        "group_mood": submitted["group_mood"],
        "what_happened": submitted.get("what_happened", ""),
        "open_problems": submitted.get("open_problems", ""),
        "reported_at": ctx.now.isoformat(),
        "reported_by": ctx.actor.username,
    }
    reports = [*(ctx.data.get("daily_reports") or []), report]
    return _judge(ctx, reports, list(ctx.data.get("trip_ratings") or []))


def rating_problem(payload: Any) -> str | None:
    """Why a ``customer_rating`` message cannot be counted (the trip page checks the same first)."""
    if not isinstance(payload, dict):
        return "the rating is not an object"
    score = payload.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        return "score must be a whole number from 1 to 5"
    if not isinstance(payload.get("text", ""), str):
        return "text must be text"
    if _instant(payload.get("rated_at")) is None:
        return "rated_at must be an instant with its offset"
    return None


def record_customer_rating(ctx: HandlerContext) -> dict[str, Any]:
    """A customer's rating from the trip page joins the trip's ratings (a bad one is noted, not counted)."""
    payload = ctx.data.get("customer_rating")
    problem = rating_problem(payload)
    ratings = list(ctx.data.get("trip_ratings") or [])
    if problem:
        ctx.add_comment(f"customer rating not counted: {problem}")
        return {"intervention_needed": False}
    ratings.append(
        {"score": payload["score"], "text": payload.get("text", ""), "rated_at": payload["rated_at"]}
    )
    return _judge(ctx, list(ctx.data.get("daily_reports") or []), ratings)


def in_trip_intervention_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The supervisor has stepped in: the next drop may bring them in again."""
    ctx.share(intervention_open=False)
    return {"intervention_open": False}


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("arrange_bookings")(arrange_bookings_done)
    registry.on_complete("daily_report")(daily_report_done)
    registry.on_complete("in_trip_intervention")(in_trip_intervention_done)
    registry.service("record_customer_rating_handler")(record_customer_rating)
    registry.service("enter_on_the_trip_handler")(enter_on_the_trip)
    registry.service("leave_the_trip_handler")(leave_the_trip)
    registry.service("record_trip_incident_handler")(record_trip_incident)
