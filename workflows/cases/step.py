"""One step of one case: load its workflow under a lock, run the engine, write everything back.

Every mutation of a case goes through ``Step``: it owns the rules that keep the stored state, the
inbox rows, the timers and the audit trail in agreement. The operations in ``cases/operations.py``
open the unit of work (``workflows.unit``), make one ``Step`` and commit once.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit import record, submitted_values
from workflows.cases.binding import CallBinding, with_called_versions
from workflows.cases.context import HandlerContext
from workflows.cases.locks import timers_of
from workflows.cases.values import as_date, as_int, as_text, case_data, iso_duration, timer_due
from workflows.customers.operations import priority_of
from workflows.engine.clock import use_clock
from workflows.engine.spiff import SERIALIZER_VERSION, ProcessBundle, describe_error
from workflows.errors import Conflict
from workflows.models import Case, Timer, User, WorkItem
from workflows.people.notifications import notify_new_work
from workflows.permissions import OPEN, Actor
from workflows.runtime import Runtime

log = logging.getLogger(__name__)

NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)
SUMMARY_FIELDS = ("customer_id", "customer_name", "customer_tier", "destination", "start_date", "end_date")


# --- the step ----------------------------------------------------------------------------------

# SpiffWorkflow grows its task tree one level per element run; a loop without a wait state reaches
# about a thousand levels within a second or two, and then the engine silently drops the path (the
# case would stay "running" with nothing to do). A step stops well before that, as an incident.
MAX_ELEMENTS_PER_STEP = 400


class Step:
    """Runs the engine for one case inside the caller's transaction."""

    def __init__(
        self, session: Session, rt: Runtime, case: Case, bundle: ProcessBundle, actor: Actor
    ) -> None:
        self.session = session
        self.rt = rt
        self.case = case
        # a work item inside a called process shows that version's form: overlay what the case ran
        self.bundle = with_called_versions(session, rt, case, bundle) if case.state else bundle
        self.actor = actor
        self.now = rt.clock.now()
        self.context = HandlerContext(session, case.id, {}, actor, self.now, rt.timezone)
        self.script_engine = rt.engine.script_engine(self._call_handler)
        self.error: tuple[str | None, str] | None = None
        self.ran: dict[str, int] = {}
        self.elements_left = MAX_ELEMENTS_PER_STEP
        self.recorded_keys: set[str] = set()  # variables this step's events already record
        # the case's open work items and timer rows, when the caller knows them already: saves a query each
        self.open_items: list[WorkItem] | None = None
        self.timers: list[Timer] | None = None
        self.open_after: list[WorkItem] | None = None  # its open work items once saved: the answer's

    def count_run(self, task: Task) -> None:
        """Counts each BPMN element that ran, for the diagram overlay and loop counts."""
        if self.rt.task_observer is not None:
            self.rt.task_observer(task)
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id:
            self.ran[bpmn_id] = self.ran.get(bpmn_id, 0) + 1
        self.elements_left -= 1
        if self.elements_left < 0:
            raise WorkflowException(
                f"more than {MAX_ELEMENTS_PER_STEP} elements ran in one step without reaching a task, "
                "timer or message to wait for: a loop without a wait state",
                task_spec=task.task_spec,
            )

    # handlers run in a savepoint, so a failing one leaves none of its writes behind
    def _call_handler(self, task: Task, name: str) -> dict[str, Any]:
        handler = self.rt.handlers.services.get(name)
        if handler is None:
            raise LookupError(f"no handler named '{name}'")
        self.context.data = task.data
        with self.session.begin_nested():
            result = handler(self.context)
        self._spread_shared(task.workflow.top_workflow)
        return dict(result or {})

    def _spread_shared(self, workflow: BpmnWorkflow) -> None:
        """Values a handler shared (``HandlerContext.share``) reach every waiting path of the case."""
        shared, self.context.shared = self.context.shared, {}
        if not shared:
            return
        for waiting in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            # a copy each (SpiffWorkflow merges lists in place); the parent too, since a waiting task
            # takes its parent's data again each time the engine looks at it
            waiting.data.update(json.loads(json.dumps(shared, default=str)))
            if waiting.parent is not None:
                waiting.parent.data.update(json.loads(json.dumps(shared, default=str)))

    def run_hook(self, bpmn_id: str, submitted: dict[str, Any], task_data: dict[str, Any]) -> dict[str, Any]:
        hook = self.rt.handlers.completion_hooks.get(bpmn_id)
        if hook is None:
            return {}
        self.context.data = {**task_data, **submitted}
        return dict(hook(self.context, submitted) or {})

    def run_start_hook(self, process_key: str, data: dict[str, Any]) -> dict[str, Any]:
        hook = self.rt.handlers.start_hooks.get(process_key)
        if hook is None:
            return {}
        self.context.data = dict(data)
        return dict(hook(self.context, data) or {})

    def complete(self, item: WorkItem, values: dict[str, Any]) -> None:
        """Complete the open task ``item`` with checked ``values``: its hook, the task, the case run on.

        Inside the caller's unit of work, after the case is locked and the actor authorised.
        """
        workflow = self.load()
        task = find_ready_task(workflow, item.spiff_task_id)
        before = dict(task.data)
        values.update(self.run_hook(item.bpmn_id, values, before))
        self._spread_shared(workflow)
        task.data.update(values)
        if item.claimed_by is None:
            claim_item(self.session, self.rt, item, self.actor)
        item.status = "completed"
        item.completed_at = self.now
        item.completed_by = self.actor.username
        record(
            self.session,
            "task_completed",
            self.now,
            case_id=self.case.id,
            item=item,
            user=self.actor.username,
            data_changes=submitted_values(before, values),
        )
        self.recorded_keys.update(values)
        with use_clock(self.rt.clock):
            try:
                task.run()
                self.count_run(task)
            except Exception as exc:  # noqa: BLE001 - a failing post-script is an incident like any other
                self.error = describe_error(exc)
        self.advance(workflow)

    def new_workflow(self) -> BpmnWorkflow:
        return self.rt.engine.new_workflow(self.bundle, self.script_engine, self.call_binding())

    def load(self) -> BpmnWorkflow:
        return self.rt.engine.load(self.case.state, self.bundle, self.script_engine, self.call_binding())

    def call_binding(self) -> CallBinding:
        """Resolves each call activity to a deployed version of the called process, when it starts."""
        return CallBinding(self.session, self.rt, self.case, self)

    def advance(self, workflow: BpmnWorkflow) -> None:
        """Run the engine to the next wait state and save; a failure becomes an incident, not an exception."""
        self.run_engine(workflow)
        self.save(workflow)

    def note_due_timers(self) -> list[Timer]:
        """The case's timers due by now, each noted as fired in its history (``run_engine`` fires them)."""
        if self.timers is None:
            self.timers = timers_of(self.session, self.case.id)
        due = [timer for timer in self.timers if timer.due_at <= self.now]
        for timer in due:
            record(
                self.session,
                "timer_fired",
                self.now,
                case_id=self.case.id,
                bpmn_id=timer.bpmn_id,
                user=self.actor.username,
                text=f"due {timer.due_at.isoformat()}",
            )
        return due

    def run_engine(self, workflow: BpmnWorkflow) -> None:
        """Fire what is due and run to the next wait state, without saving (a failure is kept in ``error``).

        A message is caught only after this: where an event gateway waits for a timer and a message,
        a timer already due takes its branch first, so the two never both run."""
        if self.error is not None:
            return
        try:
            # SpiffWorkflow fires a timer strictly after its instant; Tripflow fires what is due
            # *at or before* the clock, so the check sees the clock one microsecond later
            with use_clock(_OneMicrosecondLater(self.rt.clock)):
                workflow.refresh_timers()
            with use_clock(self.rt.clock):
                workflow.do_engine_steps(did_complete_task=self.count_run)
        except Exception as exc:  # noqa: BLE001 - every failure of a model becomes an incident
            log.info("case %s failed: %s", self.case.id, exc, exc_info=True)
            self.error = describe_error(exc)

    def save(self, workflow: BpmnWorkflow) -> None:
        case = self.case
        data = case_data(workflow)
        self._record_process_changes(case.data or {}, data)
        case.state = self.rt.engine.dump(workflow)
        case.called_versions = dict(getattr(workflow, "called_versions", None) or {})
        case.serializer_version = SERIALIZER_VERSION
        case.data = data
        case.updated_at = self.now
        if self.ran:
            counts = dict(case.element_counts or {})
            for bpmn_id, times in self.ran.items():
                counts[bpmn_id] = counts.get(bpmn_id, 0) + times
            case.element_counts = counts
            self.ran = {}
        self._summarise(data)
        self._sync_work_items(workflow)
        self._sync_timers(workflow)
        if self.error is not None:
            element, message = self.error
            case.status = "error"
            case.error_element, case.error_message, case.error_at = element, message, self.now
            record(
                self.session,
                "case_error",
                self.now,
                case_id=case.id,
                bpmn_id=element,
                text=message,
                user=self.actor.username,
            )
        elif workflow.completed and case.status in ("running", "error"):
            case.status = "lost" if data.get("case_status") == "lost" else "completed"
            case.ended_at = self.now
            case.error_element = case.error_message = None
            case.error_at = None
            record(self.session, "case_completed", self.now, case_id=case.id, text=case.status)

    def _record_process_changes(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        """What scripts and handlers set during the step goes into the history too."""
        changes = {
            k: [before.get(k), v]
            for k, v in after.items()
            if k not in self.recorded_keys and before.get(k) != v
        }
        if changes and before:
            record(
                self.session,
                "data_changed",
                self.now,
                case_id=self.case.id,
                user="system",
                data_changes=changes,
                text="set by the process",
            )
        self.recorded_keys.update(changes)

    # --- the index --------------------------------------------------------------------------

    def _summarise(self, data: dict[str, Any]) -> None:
        case = self.case
        case.customer_id = as_int(data.get("customer_id"))
        case.customer_name = as_text(data.get("customer_name"))
        case.customer_tier = as_text(data.get("customer_tier"))
        case.destination = as_text(data.get("destination"))
        case.start_date = as_date(data.get("start_date"))
        case.end_date = as_date(data.get("end_date"))

    def _sync_work_items(self, workflow: BpmnWorkflow) -> None:
        case = self.case
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        known, self.open_items = self.open_items, None
        rows = (
            known
            if known is not None
            else self.session.scalars(
                select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
            )
        )
        open_items = {item.spiff_task_id: item for item in rows if item.status in OPEN}
        for task_id, item in open_items.items():
            if task_id not in ready:
                item.status = "cancelled"
                item.completed_at = self.now
            else:
                self._copy_summary(item, ready[task_id])
        for task_id, task in ready.items():
            if task_id not in open_items:
                open_items[task_id] = self._create_work_item(task)
        self.open_after = sorted((i for i in open_items.values() if i.status in OPEN), key=lambda i: i.id)

    def _copy_summary(self, item: WorkItem, task: Task | None = None) -> None:
        case = self.case
        for name in SUMMARY_FIELDS:
            setattr(item, name, getattr(case, name))
        about = task.data.get("customer") if task is not None else None
        if isinstance(about, dict) and isinstance(about.get("customer_id"), int):
            # one instance per customer (win_back): the inbox shows that customer, not the case's
            item.customer_id = about["customer_id"]
            item.customer_name = as_text(about.get("name"))
            item.customer_tier = as_text(about.get("tier"))
        item.priority = priority_of(item.customer_tier)

    def _create_work_item(self, task: Task) -> WorkItem:
        spec = task.task_spec
        info = self.bundle.user_tasks.get(spec.bpmn_id)
        props = info.properties if info else {}
        item = WorkItem(
            case_id=self.case.id,
            spiff_task_id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=(info.name if info else None) or spec.bpmn_name or spec.bpmn_id,
            process_key=self.case.process_key,
            lane=spec.lane
            or (info.lane if info else None),  # a Camunda candidate group when there is no lane
            status="ready",
            created_at=self.now,
            due_at=self._due_at(props, task.data)
            or (datetime.fromisoformat(info.due_at) if info and info.due_at else None),
        )
        item.sort_due = item.due_at or NO_DUE_DATE
        self._copy_summary(item, task)
        assignee = (
            as_text(task.data.get(props["assigneeVariable"])) if props.get("assigneeVariable") else None
        )
        assignee = assignee or (info.assignee if info else None)
        self.session.add(item)
        self.session.flush()
        record(self.session, "task_created", self.now, case_id=self.case.id, item=item)
        if assignee:
            self._assign(item, assignee)
        notify_new_work(
            self.session, item, self.now
        )  # in this transaction: a notice exists iff its task does
        return item

    def _assign(self, item: WorkItem, assignee: str) -> None:
        """Route a task to one user, or to their stand-in while they are away.

        The name comes from case data (``assigneeVariable``) or the model, and case data can be set
        to any text: so the task goes to a person only when they may work on it, an existing, active
        user holding the task's lane role. Otherwise it stays in the lane's group inbox, where
        everyone of that role sees it, and the history says why.
        """
        user = self._user(assignee)
        text = None
        away = user is not None and bool(user.away_from and user.away_to)
        away = away and user.away_from <= self.now <= user.away_to
        if away and not user.stand_in:
            # nobody named to stand in: the task stays with the lane's group
            record(
                self.session,
                "comment",
                self.now,
                case_id=self.case.id,
                item=item,
                user="system",
                text=f"{assignee} is away; the task stays with the group",
            )
            return
        if away:
            text = f"{assignee} is away; handed to {user.stand_in}"
            assignee = user.stand_in
            user = self._user(assignee)
        refusal = assignment_refusal(user, item.lane)
        if refusal is not None:
            record(
                self.session,
                "assignment_refused",
                self.now,
                case_id=self.case.id,
                item=item,
                user=self.actor.username,
                text=f"not assigned to {assignee[:64]}: {refusal}",
            )
            return
        item.assignee = assignee
        record(
            self.session,
            "task_assigned",
            self.now,
            case_id=self.case.id,
            item=item,
            user=self.actor.username,
            text=text or f"assigned to {assignee}",
        )

    def _user(self, username: str) -> User | None:
        if len(username) > 64 or "\x00" in username:  # no user has such a name; PostgreSQL refuses NUL
            return None
        return self.session.scalars(select(User).where(User.username == username)).first()

    def _due_at(self, props: dict[str, str], data: dict[str, Any]) -> datetime | None:
        variable = props.get("dueAtVariable")
        if variable and data.get(variable):
            try:
                return datetime.fromisoformat(str(data[variable]))
            except ValueError:
                return None
        if props.get("dueIn"):
            return self.now + iso_duration(props["dueIn"])
        return None

    def _sync_timers(self, workflow: BpmnWorkflow) -> None:
        wanted: dict[str, tuple[str, datetime]] = {}
        for task in workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            if not isinstance(definition, (TimerEventDefinition, MultipleEventDefinition)):
                continue
            due = timer_due(task.internal_data.get("event_value"))
            if due is not None:
                wanted[str(task.id)] = (task.task_spec.bpmn_id or task.task_spec.name, due)
        known, self.timers = self.timers, None
        rows = (
            known
            if known is not None
            else self.session.scalars(select(Timer).where(Timer.case_id == self.case.id))
        )
        existing = {t.spiff_task_id: t for t in rows}
        for task_id, timer in existing.items():
            if task_id not in wanted or timer.due_at != wanted[task_id][1]:
                self.session.delete(timer)
        for task_id, (bpmn_id, due) in wanted.items():
            current = existing.get(task_id)
            if current is None or current.due_at != due:
                self.session.add(
                    Timer(case_id=self.case.id, spiff_task_id=task_id, bpmn_id=bpmn_id, due_at=due)
                )


def assignment_refusal(user: User | None, lane: str | None) -> str | None:
    """Why ``user`` may not be handed a task of ``lane`` (None: they may).

    The reasons are fixed phrases (the timeline translates them): "no such user", "the user is
    disabled", "not in lane LANE" (for a task without a lane: "not an employee").
    """
    if user is None:
        return "no such user"
    if not user.active:
        return "the user is disabled"
    if lane is None:
        return None if user.roles else "not an employee"
    return None if lane in user.roles else f"not in lane {lane}"


class _OneMicrosecondLater:
    def __init__(self, clock: Any) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now() + timedelta(microseconds=1)


def claim_item(session: Session, rt: Runtime, item: WorkItem, actor: Actor) -> None:
    """``actor`` takes the open task ``item`` (the caller checked they may)."""
    item.claimed_by = actor.username
    item.claimed_at = rt.clock.now()
    item.status = "claimed"
    record(session, "task_claimed", item.claimed_at, case_id=item.case_id, item=item, user=actor.username)


def find_ready_task(workflow: BpmnWorkflow, spiff_task_id: str) -> Task:
    task = workflow.get_task_from_id(UUID(spiff_task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict("the task is no longer open")
    return task
