"""Cycle times of the quarterly review: hours per user task (waiting, working) and per process."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from workflows.metrics.figures import Figure, Scope, hours_between, percentile, rounded, spread
from workflows.models import Case, Event, WorkItem


def cycle_time(scope: Scope) -> Figure:
    """Hours per user task and per process, each as median and p90 (value: median task hours).

    Per user task (``work_item`` rows completed in the period): waiting = created → claimed (in
    the inbox), working = claimed → completed, total = created → completed. Per process: cases
    that ended in the period, started → ended.
    """
    rows = scope.session.execute(
        select(
            WorkItem.bpmn_id,
            WorkItem.lane,
            WorkItem.case_id,
            WorkItem.created_at,
            WorkItem.claimed_at,
            WorkItem.completed_at,
        )
        .join(Event, Event.work_item_id == WorkItem.id)
        .where(
            Event.kind == "task_completed", Event.at >= scope.period.start_at, Event.at < scope.period.end_at
        )
    ).all()
    per_task: dict[str, dict[str, list[float]]] = defaultdict(
        lambda: {"waiting": [], "working": [], "total": []}
    )
    lanes: dict[str, str | None] = {}
    totals: list[float] = []
    case_ids: set[int] = set()
    for bpmn_id, lane, case_id, created, claimed, completed in rows:
        claimed = claimed or completed
        spans = per_task[bpmn_id]
        lanes[bpmn_id] = lane
        case_ids.add(case_id)
        for name, h in (
            ("waiting", hours_between(created, claimed)),
            ("working", hours_between(claimed, completed)),
            ("total", hours_between(created, completed)),
        ):
            if h is not None:
                spans[name].append(max(h, 0.0))
        if (h := hours_between(created, completed)) is not None:
            totals.append(h)
    ended = scope.session.execute(
        select(Case.process_key, Case.status, Case.started_at, Case.ended_at)
        .join(Event, Event.case_id == Case.id)
        .where(
            Event.kind == "case_completed", Event.at >= scope.period.start_at, Event.at < scope.period.end_at
        )
    ).all()
    per_process: dict[str, list[float]] = defaultdict(list)
    for key, _status, started, ended_at in ended:
        if (h := hours_between(started, ended_at)) is not None:
            per_process[key].append(h)
    details = {
        "per_task": {
            bpmn_id: {
                "lane": lanes[bpmn_id],
                "n": len(s["total"]),
                "waiting": spread(s["waiting"]),
                "working": spread(s["working"]),
                "total": spread(s["total"]),
            }
            for bpmn_id, s in sorted(per_task.items())
        },
        "per_process": {key: spread(values) for key, values in sorted(per_process.items())},
        "p90_hours": rounded(percentile(totals, 0.9)),
    }
    if not totals:
        return Figure(None, "h", 0, reason="no tasks completed in the period", details=details)
    return Figure(
        rounded(percentile(totals, 0.5)), "h", len(totals), details=details, case_ids=sorted(case_ids)
    )
