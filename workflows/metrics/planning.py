"""Planning and changes of the quarterly review: rejected plans, rework loops, change requests."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from workflows.metrics.figures import Figure, Scope, no_data, number, percent, rounded
from workflows.metrics.trail import chunks, events_in, values_after, work_items_of
from workflows.models import Event, Trip, WorkItem


def plan_rejection_rate(scope: Scope) -> Figure:
    """Plan rejection rate = 100 × (``review_itinerary`` completions with approved false)
    ÷ (``review_itinerary`` completions), completions in the period.
    """
    events = events_in(scope, "task_completed", ("review_itinerary",))
    if not events:
        return no_data("%", "no itinerary reviews in the period")
    approved = values_after(scope.session, events, "approved")
    rejected = [e for e in events if approved.get(e.id) is False]
    return Figure(
        percent(len(rejected), len(events)),
        "%",
        len(events),
        details={"rejected": len(rejected)},
        case_ids=sorted({e.case_id for e in rejected if e.case_id}),
    )


def rework_loops(scope: Scope) -> Figure:
    """Design rounds beyond the first, per planning case: value = mean = total ÷ cases.

    Planning cases: cases whose first ``design_itinerary`` was created in the period; their rounds
    are ``design_itinerary`` work items created by the end of the period (cancelled ones not
    counted); loops = rounds − 1 (after a rejected review or a customer's adjustments).
    """
    created = events_in(scope, "task_created", ("design_itinerary",))
    case_ids = {e.case_id for e in created if e.case_id is not None}
    rounds: dict[int, list[WorkItem]] = defaultdict(list)
    for item in work_items_of(scope.session, case_ids, ("design_itinerary",)):
        if item.created_at < scope.period.end_at:
            rounds[item.case_id].append(item)
    loops = {
        case_id: max(sum(1 for i in items if i.status != "cancelled") - 1, 0)
        for case_id, items in rounds.items()
        if items[0].created_at >= scope.period.start_at
    }
    if not loops:
        return no_data("loops per case", "no itinerary planning began in the period", total=0)
    total = sum(loops.values())
    return Figure(
        round(total / len(loops), 2),
        "loops per case",
        len(loops),
        details={
            "total": total,
            "max": max(loops.values()),
            "cases_with_loops": sum(1 for v in loops.values() if v > 0),
        },
        case_ids=sorted(c for c, v in loops.items() if v > 0),
    )


# --- change requests -------------------------------------------------------------------------


def change_requests(scope: Scope) -> Figure:
    """Change requests started in the period; value = per trip = count ÷ trips under way.

    Trips under way: trips signed on or before the period's last day that had not ended before
    its first day. Approval rate = 100 × approved ÷ reviewed (``review_change`` completions of
    those requests); mean cost delta = mean ``cost_delta`` (CNY) of the approved ones.
    """
    period = scope.period
    started = [
        e.case_id for e in events_in(scope, "case_started") if e.text == "change_request" and e.case_id
    ]
    trips = (
        scope.session.scalar(
            select(func.count(Trip.id)).where(
                Trip.signed_on.is_not(None), Trip.signed_on <= period.last, Trip.end_date >= period.first
            )
        )
        or 0
    )
    reviews: list[Event] = []
    for chunk in chunks(started):
        reviews += scope.session.scalars(
            select(Event).where(
                Event.case_id.in_(chunk), Event.kind == "task_completed", Event.bpmn_id == "review_change"
            )
        )
    approved = values_after(scope.session, reviews, "approved")
    deltas = values_after(scope.session, reviews, "cost_delta")
    yes = [e for e in reviews if approved.get(e.id) is True]
    costs = [d for e in yes if (d := number(deltas.get(e.id))) is not None]
    details = {
        "count": len(started),
        "trips": trips,
        "reviewed": len(reviews),
        "approved": len(yes),
        "approval_rate": percent(len(yes), len(reviews)),
        "mean_cost_delta": rounded(sum(costs) / len(costs)) if costs else None,
    }
    if not started:
        return Figure(
            None if trips == 0 else 0.0,
            "per trip",
            0,
            reason="no change requests in the period" if trips == 0 else None,
            details=details,
        )
    if trips == 0:
        return Figure(
            None,
            "per trip",
            len(started),
            reason="no trips under way in the period",
            details=details,
            case_ids=sorted(started),
        )
    return Figure(
        round(len(started) / trips, 3), "per trip", len(started), details=details, case_ids=sorted(started)
    )
