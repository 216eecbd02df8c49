"""The case service: start, claim, unclaim, assign, complete, message, timers.

Each public function is one unit of work (``workflows.unit``): it locks the case row, checks the
rule (``workflows.permissions``), runs the engine through a ``Step``, writes state, inbox rows,
timers and audit events, and commits once. On any refusal it rolls back, so a refused call
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.cases.context import OutgoingMessage
from workflows.cases.forms import validate_submission
from workflows.cases.locks import lock_case, lock_case_of_item, open_items_of, require_case, timers_of
from workflows.cases.start_data import change_request_start, customer_fields, trip_parent
from workflows.cases.step import Step, claim_item
from workflows.cases.timer_hold import timers_held
from workflows.cases.timer_incidents import TimerStepWatch
from workflows.deploy.queries import latest_version
from workflows.engine.clock import use_clock
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.models import Case, Timer, WorkItem
from workflows.permissions import (
    OPEN,
    SUPERVISE,
    SYSTEM,
    Actor,
    may_deliver_message,
    may_start,
    require_complete,
)
from workflows.runtime import Runtime
from workflows.unit import unit_of_work
from workflows.views import case_view

# --- starting -----------------------------------------------------------------------------------


def start_case(
    session: Session, rt: Runtime, process_key: str, data: Any, actor: Actor, *, parent_id: int | None = None
) -> Case:
    """Start the newest version of ``process_key`` with ``data`` and run it to its first wait state."""
    return _start_unit(session, rt, process_key, data, actor, parent_id)[0]


def start_case_view(
    session: Session, rt: Runtime, process_key: str, data: Any, actor: Actor
) -> dict[str, Any]:
    """``start_case``, answered with the case as ``case_view`` shows it, read inside its unit before the
    commit (what the commit makes durable), so the case is not read again afterwards."""
    return _start_unit(session, rt, process_key, data, actor, None, with_view=True)[1] or {}


def _start_unit(
    session: Session,
    rt: Runtime,
    process_key: str,
    data: Any,
    actor: Actor,
    parent_id: int | None,
    *,
    with_view: bool = False,
) -> tuple[Case, dict[str, Any] | None]:
    if not isinstance(data, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object"}])
    with unit_of_work(session):
        case = _start(session, rt, process_key, data, actor, parent_id)
        view = case_view(session, case) if with_view else None
    return case, view


def _start(
    session: Session, rt: Runtime, process_key: str, data: dict[str, Any], actor: Actor, parent_id: int | None
) -> Case:
    if not may_start(actor, process_key):
        raise Forbidden(f"your roles do not allow starting '{process_key}'")
    version = latest_version(session, process_key)
    if process_key == "change_request":
        data, parent_id = change_request_start(session, data)
    elif parent_id is None and isinstance(data.get("trip_case_id"), int):
        parent_id = trip_parent(session, data["trip_case_id"])
    data = {**data, **customer_fields(session, data)}  # the customer record wins over start data
    now = rt.clock.now()
    case = Case(
        process_key=process_key,
        process_version_id=version.id,
        version=version,
        status="running",
        started_at=now,
        started_by=actor.username,
        updated_at=now,
        parent_id=parent_id,
        state=b"",
        serializer_version="",
        data={},
        element_counts={},
    )
    session.add(case)
    session.flush()
    step = Step(session, rt, case, rt.specs.get(session, version), actor)
    step.open_items, step.timers = [], []  # a case just created has no inbox rows and no timers yet
    data = {**data, **step.run_start_hook(process_key, data)}
    workflow = step.new_workflow()
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    record(
        session,
        "case_started",
        now,
        case_id=case.id,
        user=actor.username,
        data_changes={k: [None, v] for k, v in data.items()} or None,
        text=process_key,
    )
    step.advance(workflow)
    deliver_outbox(session, rt, step)
    return case


# --- the inbox actions ----------------------------------------------------------------------------


def _open_item(session: Session, work_item_id: int) -> tuple[WorkItem, Case]:
    item, case, _open = _open_item_and_siblings(session, work_item_id)
    return item, case


def _open_item_and_siblings(session: Session, work_item_id: int) -> tuple[WorkItem, Case, list[WorkItem]]:
    """The open task, its case (locked) and every open task of that case, read under the lock."""
    case = lock_case_of_item(session, work_item_id)
    if case is None:
        raise NotFound(f"task {work_item_id} does not exist")
    items = open_items_of(session, case.id)
    item = next((i for i in items if i.id == work_item_id), None)
    if item is None:
        done = session.get(WorkItem, work_item_id, populate_existing=True)
        raise Conflict(f"the task is already {done.status if done is not None else 'gone'}")
    if case.status != "running":
        raise Conflict(f"the case is {case.status}")
    return item, case, items


def claim_task(session: Session, rt: Runtime, work_item_id: int, actor: Actor) -> WorkItem:
    """Take a task from the group; 409 when someone else holds it, 403 outside its lane."""
    with unit_of_work(session):
        item, _case = _open_item(session, work_item_id)
        require_complete(actor, item.lane, item.assignee, item.claimed_by)  # who may complete it may take it
        if item.claimed_by != actor.username:
            claim_item(session, rt, item, actor)
    return item


def unclaim_task(session: Session, rt: Runtime, work_item_id: int, actor: Actor) -> WorkItem:
    """Give a claimed task back to its group (the holder or a supervisor)."""
    with unit_of_work(session):
        item, _case = _open_item(session, work_item_id)
        if item.claimed_by is None:
            return item
        if item.claimed_by != actor.username and not actor.has_any(SUPERVISE):
            raise Forbidden("only the person holding the task or a supervisor can unclaim it")
        item.claimed_by = None
        item.claimed_at = None
        item.status = "ready"
        record(
            session, "task_unclaimed", rt.clock.now(), case_id=item.case_id, item=item, user=actor.username
        )
    return item


def assign_task(session: Session, rt: Runtime, work_item_id: int, username: Any, actor: Actor) -> WorkItem:
    """A supervisor hands a task to one named user."""
    from workflows.people.notifications import notify_assigned
    from workflows.people.users import find_user

    actor.require(SUPERVISE, "assigning a task")
    if not isinstance(username, str) or not username:
        raise Invalid("name the user", [{"field": "user", "message": "must be a user name"}])
    with unit_of_work(session):
        item, _case = _open_item(session, work_item_id)
        if find_user(session, username) is None:
            raise Invalid("no such user", [{"field": "user", "message": f"user '{username}' does not exist"}])
        item.assignee = username
        item.claimed_by = username
        item.claimed_at = rt.clock.now()
        item.status = "claimed"
        record(
            session,
            "task_assigned",
            item.claimed_at,
            case_id=item.case_id,
            item=item,
            user=actor.username,
            text=f"assigned to {username}",
        )
        notify_assigned(session, item, item.claimed_at, by=actor.username)
    return item


def task_step(session: Session, rt: Runtime, work_item_id: int, actor: Actor) -> tuple[Step, WorkItem]:
    """Lock the task's case and check ``actor`` may complete the task: the ``Step`` that will run it."""
    item, case, open_items = _open_item_and_siblings(session, work_item_id)
    require_complete(actor, item.lane, item.assignee, item.claimed_by)
    step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
    step.open_items = open_items
    step.timers = timers_of(session, case.id)  # read before anything changes: no flush before the read
    return step, item


def form_of(step: Step, item: WorkItem) -> dict[str, Any] | None:
    info = step.bundle.user_tasks.get(item.bpmn_id)
    return step.bundle.form(info.form_file if info else None)


def complete_task(session: Session, rt: Runtime, work_item_id: int, submitted: Any, actor: Actor) -> Case:
    """Validate the form, run the task's hook, complete it and run the case on, all or nothing."""
    return _complete(session, rt, work_item_id, submitted, actor)[0]


def complete_task_view(
    session: Session, rt: Runtime, work_item_id: int, submitted: Any, actor: Actor
) -> dict[str, Any]:
    """``complete_task``, answered with the case as ``case_view`` shows it, built from what the step
    holds before its commit (what the commit makes durable), so nothing is read again afterwards."""
    return _complete(session, rt, work_item_id, submitted, actor, with_view=True)[1] or {}


def _complete(
    session: Session, rt: Runtime, work_item_id: int, submitted: Any, actor: Actor, *, with_view: bool = False
) -> tuple[Case, dict[str, Any] | None]:
    view = None
    with unit_of_work(session):
        step, item = task_step(session, rt, work_item_id, actor)
        form = form_of(step, item)
        values = validate_submission(form, submitted)
        check_attachments(session, step.case.id, form, values)
        step.complete(item, values)
        # a message sent to other cases might come back to this one: then its open tasks are read again
        active = step.open_after if not step.context.outbox else None
        deliver_outbox(session, rt, step)
        if with_view:
            view = case_view(session, step.case, active)
    return step.case, view


def check_attachments(
    session: Session, case_id: int, form: dict[str, Any] | None, values: dict[str, Any]
) -> None:
    """A file field must name a document attached to this very case."""
    from workflows.models import Document

    for name, prop in ((form or {}).get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("x-attachment") and values.get(name) is not None:
            document = session.get(Document, values[name])
            if document is None or document.case_id != case_id:
                raise Invalid(
                    "unknown attachment",
                    [{"field": name, "code": "attachment", "message": "attach the file to this case first"}],
                )


def open_tasks_of_case(session: Session, case_id: int) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case_id, WorkItem.status.in_(OPEN))
            .order_by(WorkItem.id)
        )
    )


# --- messages and timers ------------------------------------------------------------------------


def deliver_message(
    session: Session, rt: Runtime, case_id: int, name: str, payload: Any, actor: Actor
) -> Case:
    """Deliver BPMN message ``name`` to one case; 409 when the case is not waiting for it."""
    if not may_deliver_message(actor):
        raise Forbidden("delivering a message to a case needs another role")
    if payload is not None and not isinstance(payload, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object"}])
    with unit_of_work(session):
        case = _deliver(session, rt, case_id, name, payload or {}, actor)
    return case


def _deliver(
    session: Session, rt: Runtime, case_id: int, name: str, payload: dict[str, Any], actor: Actor
) -> Case:
    case = require_case(session, case_id)
    if case.status != "running":
        raise Conflict(f"the case is {case.status}")
    step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
    workflow = step.load()
    step.note_due_timers()
    step.run_engine(workflow)  # a timer already due goes first: an event gateway takes one branch
    if step.error is not None:
        step.save(workflow)
        return case
    event = BpmnEvent(MessageEventDefinition(name), payload)
    waiting = [
        t for t in workflow.event_manager.tasks.values() if t.task_spec.event_definition.catches(t, event)
    ]
    if not waiting:
        raise Conflict(f"case {case_id} is not waiting for the message '{name}'")
    catch_message(step, workflow, name, payload)
    step.advance(workflow)
    deliver_outbox(session, rt, step)
    return case


def catch_message(step: Step, workflow: Any, name: str, payload: dict[str, Any]) -> None:
    """The case's waiting event catches message ``name``, noted in its history (the caller advances)."""
    record(
        step.session,
        "message_received",
        step.now,
        case_id=step.case.id,
        user=step.actor.username,
        text=name,
        data_changes={k: [None, v] for k, v in payload.items()} or None,
    )
    with use_clock(step.rt.clock):
        workflow.catch(BpmnEvent(MessageEventDefinition(name), payload))


def deliver_outbox(session: Session, rt: Runtime, step: Step) -> None:
    """Deliver the messages the step's handlers sent to other cases (inside the caller's unit)."""
    outbox: list[OutgoingMessage] = list(step.context.outbox)
    step.context.outbox.clear()
    for message in outbox:
        try:
            _deliver(session, rt, message.case_id, message.name, message.payload, step.actor)
        except (Conflict, NotFound) as exc:
            record(
                session,
                "comment",
                step.now,
                case_id=step.case.id,
                user="system",
                text=f"message '{message.name}' to case {message.case_id} not delivered: {exc}",
            )
    starts = list(step.context.starts)
    step.context.starts.clear()
    for start in starts:  # cases a handler opened: the model decided, so the system starts them
        started = _start(session, rt, start.process_key, start.data, SYSTEM, None)
        if start.on_started is not None:
            start.on_started(started)


def due_timer_cases(session: Session, at: datetime, limit: int = 200, holder: str | None = None) -> list[int]:
    """Ids of running cases with a timer due at ``at``, oldest first; none while another holds the
    timers (``timer_hold``: the demo's simulated year), unless the caller is that ``holder``."""
    if timers_held(session, holder):
        return []
    rows = session.execute(
        select(Timer.case_id)
        .join(Case, Case.id == Timer.case_id)
        .where(Timer.due_at <= at, Case.status == "running")
        .order_by(Timer.due_at)
        .limit(limit)
    )
    return list(dict.fromkeys(r[0] for r in rows))


TIMER_BATCH = 20  # due cases fired per transaction on PostgreSQL


def fire_due_timers(
    session: Session,
    rt: Runtime,
    actor: Actor,
    limit: int = 200,
    watch: TimerStepWatch | None = None,
    holder: str | None = None,
    batch: int | None = None,
) -> list[int]:
    """Fire every timer due by the runtime's clock; returns the ids of the cases fired.

    Runners side by side skip cases another runner holds (SKIP LOCKED on PostgreSQL; SQLite's
    write lock serialises them), and a case whose timers another runner already fired is passed
    over, so firing twice is harmless. ``watch`` hears when each step starts and ends (the timer
    worker's watchdog, ``timer_incidents``). While the timers are held (``timer_hold``), only
    their ``holder`` fires any.

    On PostgreSQL up to ``batch`` cases share one transaction (one commit, one WAL flush, instead
    of one each); their row locks hold only those cases. When a batch fails, its cases are fired
    again one per transaction, so one failing case holds back no other. On SQLite each case is
    its own transaction: the database-wide write lock is held for one step at a time.
    """
    size = batch or (TIMER_BATCH if session.get_bind().dialect.name == "postgresql" else 1)
    due = due_timer_cases(session, rt.clock.now(), limit, holder)
    fired: list[int] = []
    for start in range(0, len(due), size):
        together = due[start : start + size]
        try:
            fired += _fire_together(session, rt, together, actor, watch)
        except Exception:
            if len(together) == 1:
                raise
            for case_id in together:  # the failing one raises as it would have alone
                fired += _fire_together(session, rt, [case_id], actor, watch)
    return fired


def _fire_together(
    session: Session, rt: Runtime, case_ids: list[int], actor: Actor, watch: TimerStepWatch | None
) -> list[int]:
    """Fire the due timers of ``case_ids`` in one transaction; the ids of those fired once it commits."""
    fired = []
    with unit_of_work(session):
        for case_id in case_ids:
            try:
                if _fire_case(session, rt, case_id, actor, watch):
                    fired.append(case_id)
            finally:
                if watch is not None:
                    watch.step_ended(case_id)
    return fired


def _fire_case(
    session: Session, rt: Runtime, case_id: int, actor: Actor, watch: TimerStepWatch | None = None
) -> bool:
    case = lock_case(session, case_id, skip_locked=True)
    now = rt.clock.now()
    if case is None or case.status != "running":
        return False
    timers = timers_of(session, case_id)
    due = [timer for timer in timers if timer.due_at <= now]
    if not due:
        return False
    if watch is not None:
        watch.step_started(case_id, [timer.bpmn_id for timer in due])
    step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
    step.timers = timers
    workflow = step.load()
    step.note_due_timers()
    step.advance(workflow)
    deliver_outbox(session, rt, step)
    return True


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case
