"""What supervisors and process owners do to a case from outside: cancel, suspend, resume, fix, retry.

Each is one transaction with the case row locked, and leaves an audit event with the reason.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update

from workflows.audit import changes_between, record
from workflows.cases.locks import require_case
from workflows.cases.operations import deliver_outbox
from workflows.cases.step import Step
from workflows.errors import Conflict, Invalid
from workflows.models import Case, Timer, WorkItem
from workflows.permissions import FIX_CASES, OPEN, SUPERVISE, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

FINISHED = ("completed", "cancelled", "lost")


def _reason(reason: Any, required: bool = True) -> str | None:
    if isinstance(reason, str) and reason.strip():
        return reason.strip()[:2000]
    if required:
        raise Invalid("give a reason", [{"field": "reason", "message": "this field is required"}])
    return None


def cancel_case(session: Any, rt: Runtime, case_id: int, reason: Any, actor: Actor) -> Case:
    """Ends the case; its tasks leave every inbox and its timers stop."""
    actor.require(SUPERVISE, "cancelling a case")
    text = _reason(reason)
    with unit_of_work(session):
        case = require_case(session, case_id)
        if case.status in FINISHED:
            raise Conflict(f"the case is already {case.status}")
        now = rt.clock.now()
        session.execute(
            update(WorkItem)
            .where(WorkItem.case_id == case_id, WorkItem.status.in_(OPEN))
            .values(status="cancelled", completed_at=now)
        )
        session.execute(delete(Timer).where(Timer.case_id == case_id))
        case.status, case.ended_at, case.updated_at = "cancelled", now, now
        record(session, "case_cancelled", now, case_id=case_id, user=actor.username, text=text)
    return case


def suspend_case(session: Any, rt: Runtime, case_id: int, reason: Any, actor: Actor) -> Case:
    """Holds the case: its tasks cannot be worked and its timers do not fire until resumed."""
    actor.require(SUPERVISE, "suspending a case")
    text = _reason(reason, required=False)
    with unit_of_work(session):
        case = require_case(session, case_id)
        if case.status not in ("running", "error"):
            raise Conflict(f"a {case.status} case cannot be suspended")
        case.status_before_suspend, case.status = case.status, "suspended"
        case.updated_at = rt.clock.now()
        record(session, "case_suspended", case.updated_at, case_id=case_id, user=actor.username, text=text)
    return case


def resume_case(session: Any, rt: Runtime, case_id: int, actor: Actor) -> Case:
    """Back to work; timers that fell due while suspended fire on the next timer round."""
    actor.require(SUPERVISE, "resuming a case")
    with unit_of_work(session):
        case = require_case(session, case_id)
        if case.status != "suspended":
            raise Conflict(f"the case is {case.status}, not suspended")
        case.status = case.status_before_suspend or "running"
        case.status_before_suspend = None
        case.updated_at = rt.clock.now()
        record(session, "case_resumed", case.updated_at, case_id=case_id, user=actor.username)
    return case


def update_case_data(
    session: Any, rt: Runtime, case_id: int, changes: Any, reason: Any, actor: Actor
) -> Case:
    """Corrects case variables (for example before a retry), recorded with the reason."""
    actor.require(FIX_CASES, "changing case data")
    text = _reason(reason)
    if not isinstance(changes, dict) or not changes:
        raise Invalid("nothing to change", [{"field": "set", "message": "must be an object of variables"}])
    bad = [k for k in changes if not isinstance(k, str) or not k.isidentifier() or k.startswith("_")]
    if bad:
        raise Invalid(
            "bad variable names", [{"field": f"set.{k}", "message": "not a valid variable name"} for k in bad]
        )
    with unit_of_work(session):
        case = require_case(session, case_id)
        if case.status in FINISHED:
            raise Conflict(f"the case is {case.status}")
        step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
        workflow = step.load()
        targets = workflow.get_tasks(
            state=TaskState.READY | TaskState.WAITING | TaskState.ERROR | TaskState.STARTED
        )
        for task in targets:  # each its own copy: SpiffWorkflow merges data into a task's lists in place
            task.data.update(deepcopy(changes))
        workflow.data.update(deepcopy(changes))
        before = dict(case.data or {})
        step.recorded_keys.update(changes)
        step.save(workflow)
        record(
            session,
            "data_changed",
            step.now,
            case_id=case_id,
            user=actor.username,
            text=text,
            data_changes=changes_between(before, changes),
        )
    return case


def retry_case(session: Any, rt: Runtime, case_id: int, actor: Actor) -> Case:
    """Re-runs the failed step of a case in error; a new failure answers 409 with the new error."""
    actor.require(FIX_CASES, "retrying a case")
    with unit_of_work(session):
        case = require_case(session, case_id)
        if case.status != "error":
            raise Conflict(f"the case is {case.status}, not in error")
        step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
        workflow = step.load()
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        record(
            session,
            "case_retried",
            step.now,
            case_id=case_id,
            user=actor.username,
            text=f"retry of {case.error_element}: {case.error_message}",
        )
        case.status = "running"
        step.advance(workflow)
        if step.error is None:
            case.error_element = case.error_message = None
            case.error_at = None
        deliver_outbox(session, rt, step)
    if case.status == "error":
        raise Conflict(
            f"the step failed again: {case.error_message}",
            [{"element_id": case.error_element, "message": case.error_message}],
        )
    return case


def incidents(session: Any, limit: int = 200) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.status == "error").order_by(Case.error_at.desc()).limit(limit)
        )
    )
