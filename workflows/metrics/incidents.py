"""Incidents during trips [003 §3(二)]: how many, and how fast the guide answered with alternatives."""

from __future__ import annotations

from sqlalchemy import select

from workflows.metrics.figures import Figure, Scope, no_data, percentile, rounded
from workflows.models import Case, WorkItem

ANSWER_TARGET_MINUTES = 10  # 3 alternatives within 10 minutes, as trip_incident's timer says


def incidents(scope: Scope) -> Figure:
    """Incidents started in the period; value: median minutes from the start to the first alternatives.

    ``n`` counts the incidents already answered (their minutes make the median and p90); ``count``
    counts all of them; the target is met when the p90 is within 10 minutes.
    """
    period = scope.period
    started = scope.session.execute(
        select(Case.id, Case.started_at).where(
            Case.process_key == "trip_incident",
            Case.started_at >= period.start_at,
            Case.started_at < period.end_at,
        )
    ).all()
    if not started:
        return no_data("min", "no incidents in the period", target=ANSWER_TARGET_MINUTES, count=0)
    began = {row.id: row.started_at for row in started}
    answered = scope.session.execute(
        select(WorkItem.case_id, WorkItem.completed_at).where(
            WorkItem.case_id.in_(began),
            WorkItem.bpmn_id == "propose_alternatives",
            WorkItem.status == "completed",
        )
    ).all()
    first: dict[int, float] = {}
    for row in answered:
        minutes = (row.completed_at - began[row.case_id]).total_seconds() / 60.0
        first[row.case_id] = min(minutes, first.get(row.case_id, minutes))
    minutes = list(first.values())
    details = {
        "count": len(began),
        "median_minutes": rounded(percentile(minutes, 0.5)),
        "p90_minutes": rounded(percentile(minutes, 0.9)),
        "within_target": sum(1 for m in minutes if m <= ANSWER_TARGET_MINUTES),
        "unanswered": len(began) - len(first),
    }
    if not minutes:
        return no_data("min", "no incident answered yet", target=ANSWER_TARGET_MINUTES, **details)
    return Figure(
        details["median_minutes"],
        "min",
        len(minutes),
        target=ANSWER_TARGET_MINUTES,
        met=details["p90_minutes"] <= ANSWER_TARGET_MINUTES,
        details=details,
        case_ids=sorted(first),
    )
