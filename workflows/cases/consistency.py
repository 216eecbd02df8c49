"""``flask check``: does every case's stored workflow agree with its inbox rows and timers?"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.cases.step import Step
from workflows.models import Case, Timer, WorkItem
from workflows.permissions import OPEN, SYSTEM
from workflows.runtime import Runtime

LIVE = ("running", "suspended", "error")


def check_case(session: Session, rt: Runtime, case: Case) -> list[str]:
    problems = []
    step = Step(session, rt, case, rt.specs.get(session, case.version), SYSTEM)
    try:
        workflow = step.load()
    except Exception as exc:  # noqa: BLE001 - an unreadable state is exactly what check reports
        return [f"stored state cannot be read: {exc}"]
    ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = list(
        session.scalars(
            select(WorkItem.spiff_task_id).where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
        )
    )
    if len(rows) != len(set(rows)):
        problems.append("duplicate inbox rows")
    if case.status in ("running", "suspended") and ready != set(rows):
        problems.append(f"ready tasks {sorted(ready)} but inbox rows {sorted(rows)}")
    if case.status != "completed" and workflow.completed and case.status in ("running", "suspended"):
        problems.append("workflow finished but the case is still open")
    timers = set(session.scalars(select(Timer.spiff_task_id).where(Timer.case_id == case.id)))
    waiting = {
        str(t.id)
        for t in workflow.event_manager.tasks.values()
        if t.internal_data.get("event_value")
        and t.task_spec.event_definition.__class__.__name__
        in (
            "TimerEventDefinition",
            "MultipleEventDefinition",
            "DurationTimerEventDefinition",
            "TimeDateEventDefinition",
            "CycleTimerEventDefinition",
        )
    }
    if not timers <= waiting:
        problems.append(f"timer rows {sorted(timers - waiting)} wait on nothing")
    return problems


def check_all(session: Session, rt: Runtime) -> list[tuple[int, str]]:
    """Every disagreement as (case id, sentence); empty when all agree."""
    found = []
    for case in session.scalars(select(Case).where(Case.status.in_(LIVE)).order_by(Case.id)):
        found += [(case.id, text) for text in check_case(session, rt, case)]
    for case_id in session.scalars(
        select(WorkItem.case_id)
        .join(Case, Case.id == WorkItem.case_id)
        .where(WorkItem.status.in_(OPEN), Case.status.in_(("completed", "cancelled", "lost")))
    ).unique():
        found.append((case_id, "finished case still has open inbox rows"))
    session.rollback()
    return found
