"""Moving running cases to the newest version of their process.

A case keeps the version it started on; a process owner may move chosen cases on. A case moves
only when the new version still has every task the case is at, and nothing it has already done
or is doing has changed: SpiffWorkflow's ``diff_workflow`` aligns the case's tasks with the new
spec, and the rules below decide. Each case moves in its own transaction with its row locked, is
round-tripped through the serializer before anything is written, and leaves a ``case_migrated``
audit event.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from workflows.audit import record
from workflows.cases.locks import lock_case
from workflows.cases.step import Step
from workflows.deploy.queries import latest_version
from workflows.engine.clock import use_clock
from workflows.engine.spiff import ProcessBundle
from workflows.errors import Invalid
from workflows.models import Case, ProcessVersion, WorkItem
from workflows.permissions import DEPLOY, OPEN, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

MIGRATABLE = ("running", "suspended", "error")
MAX_CASES = 1000
DONE = TaskState.COMPLETED | TaskState.CANCELLED
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
TOPOLOGY = frozenset({"inputs", "outputs"})
_ATTRIBUTE_WORDS = {
    "bpmn_name": "name",
    "script": "script",
    "lane": "lane",
    "extensions": "properties",
    "typename": "kind of task",
    "cond_task_specs": "conditions",
    "prescript": "pre-script",
    "postscript": "post-script",
    "event_definition": "event",
}


@dataclass
class MigrationOutcome:
    """What happened (or, in a dry run, would happen) to one case."""

    case_id: int
    from_version: int | None
    to_version: int
    status: str  # migrated, can_migrate, refused, unchanged
    reasons: list[str] = field(default_factory=list)
    active_tasks: list[str] = field(default_factory=list)
    changed_tasks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "status": self.status,
            "can_migrate": self.status in ("migrated", "can_migrate"),
            "reasons": self.reasons,
            "active_tasks": self.active_tasks,
            "changed_tasks": self.changed_tasks,
        }


class _Refused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def migrate_cases(
    session: Any, rt: Runtime, key: str, cases: Any, *, dry_run: bool, actor: Actor
) -> tuple[ProcessVersion, list[MigrationOutcome]]:
    """Move ``cases`` (a list of ids, or ``"all"``) of process ``key`` to its newest version.

    Raises ``Forbidden`` for anyone but a process owner, ``NotFound`` for an unknown process,
    ``Invalid`` for a bad selection. A case that cannot move is reported, not raised: one refusal
    does not stop the others.
    """
    actor.require(DEPLOY, "migrating cases")
    newest = latest_version(session, key)
    ids = _selected(session, key, newest, cases)
    outcomes = []
    for case_id in ids:
        outcomes.append(_migrate_one(session, rt, key, newest.id, case_id, dry_run=dry_run, actor=actor))
    session.rollback()  # end the read transaction the selection left open
    return newest, outcomes


def _selected(session: Any, key: str, newest: ProcessVersion, cases: Any) -> list[int]:
    if cases == "all":
        rows = session.scalars(
            select(Case.id)
            .where(Case.process_key == key, Case.status.in_(MIGRATABLE), Case.process_version_id != newest.id)
            .order_by(Case.id)
            .limit(MAX_CASES)
        )
        return list(rows)
    if (
        not isinstance(cases, list)
        or not cases
        or len(cases) > MAX_CASES
        or not all(isinstance(c, int) and not isinstance(c, bool) and 0 < c < 2**31 for c in cases)
    ):
        raise Invalid(
            "choose the cases",
            [{"field": "cases", "message": f'a list of 1 to {MAX_CASES} case ids, or "all"'}],
        )
    return list(dict.fromkeys(cases))


def _migrate_one(
    session: Any, rt: Runtime, key: str, newest_id: int, case_id: int, *, dry_run: bool, actor: Actor
) -> MigrationOutcome:
    with unit_of_work(session):
        newest = session.get(ProcessVersion, newest_id)
        case = lock_case(session, case_id)
        if case is None:
            return MigrationOutcome(
                case_id, None, newest.version, "refused", [f"case {case_id} does not exist"]
            )
        outcome = MigrationOutcome(case_id, case.version.version, newest.version, "refused")
        if case.process_key != key:
            outcome.reasons.append(f"case {case_id} is a {case.process_key} case, not {key}")
            return outcome
        if case.status not in MIGRATABLE:
            outcome.reasons.append(f"the case is {case.status}; only running, suspended or failed cases move")
            return outcome
        if case.process_version_id == newest.id:
            outcome.status = "unchanged"
            outcome.reasons.append(f"the case already runs version {newest.version}")
            return outcome
        old_bundle = rt.specs.get(session, case.version)
        new_bundle = rt.specs.get(session, newest)
        step = Step(session, rt, case, old_bundle, actor)
        workflow = step.load()
        outcome.active_tasks = sorted({_name(t) for t in workflow.get_tasks(state=ACTIVE) if _is_bpmn(t)})
        try:
            with use_clock(rt.clock):  # a timer re-evaluated during the move reads Tripflow's clock
                changed = _migrate_workflow(rt, session, case, workflow, new_bundle)
            state = rt.engine.dump(workflow)
            _check_restores(rt, state, new_bundle, step)
        except _Refused as refused:
            outcome.reasons.extend(refused.reasons)
            session.rollback()
            return outcome
        outcome.changed_tasks = changed
        if dry_run:
            outcome.status = "can_migrate"
            outcome.reasons.append(_why(changed, newest.version))
            session.rollback()
            return outcome
        from_version = case.version.version
        case.process_version_id = newest.id
        case.version = newest
        moved = Step(session, rt, case, new_bundle, actor)
        if case.status == "running":
            moved.advance(workflow)
        else:
            moved.save(workflow)
        _refresh_open_items(session, case, new_bundle)
        record(
            session,
            "case_migrated",
            moved.now,
            case_id=case.id,
            user=actor.username,
            text=f"version {from_version} → {newest.version}"
            + (f"; changed: {', '.join(changed)}" if changed else ""),
        )
        outcome.status = "migrated"
        outcome.reasons.append(_why(changed, newest.version))
        return outcome


def _why(changed: list[str], version: int) -> str:
    if changed:
        return (
            f"every active task exists in version {version}; not yet done and changed: {', '.join(changed)}"
        )
    return f"every active task exists in version {version} unchanged"


def _migrate_workflow(
    rt: Runtime, session: Any, case: Case, workflow: BpmnWorkflow, bundle: ProcessBundle
) -> list[str]:
    """Align the case's tasks with the new spec and apply it; ``_Refused`` with every reason it cannot."""
    registry = rt.engine.registry
    try:  # what SpiffWorkflow.bpmn.util.diff.diff_workflow does, keeping each SpecDiff for its attributes
        top_spec_diff = SpecDiff(registry, workflow.spec, bundle.spec)
        top_diff = WorkflowDiff(workflow, top_spec_diff)
        sub_diffs: dict[Any, tuple[WorkflowDiff, SpecDiff] | None] = {}
        bound = getattr(workflow, "called_versions", {})
        for sub_id, sub in workflow.subprocesses.items():
            if str(sub_id) in bound or _inside_bound(workflow, sub, bound):
                continue  # a call bound to its own deployed version keeps it: not the caller's to move
            new_spec = bundle.subprocess_specs.get(sub.spec.name)
            if new_spec is None:
                sub_diffs[sub_id] = None
            else:
                spec_diff = SpecDiff(registry, sub.spec, new_spec)
                sub_diffs[sub_id] = (WorkflowDiff(sub, spec_diff), spec_diff)
    except (KeyError, AttributeError, TypeError) as exc:
        raise _Refused(
            [f"the case's tasks cannot be matched with the new version ({exc.__class__.__name__}: {exc})"]
        ) from None
    reasons: list[str] = []
    changed: list[str] = []
    claimed = {
        item.bpmn_id: item.claimed_by
        for item in session.scalars(
            select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
        )
        if item.claimed_by
    }
    _judge(top_diff, top_spec_diff, reasons, changed, claimed, where="")
    for sub_id, pair in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if pair is None:
            if not sub.completed:
                reasons.append(
                    f"the subprocess '{sub.spec.name}' the case is in is not part of the new version"
                )
            continue
        _judge(pair[0], pair[1], reasons, changed, claimed, where=f" (in {sub.spec.name})")
    if reasons:
        raise _Refused(list(dict.fromkeys(reasons)))
    _apply(top_diff, top_spec_diff, workflow, bundle.spec)
    for sub_id, pair in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if pair is not None:
            _apply(pair[0], pair[1], sub, bundle.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = bundle.subprocess_specs
    return sorted(set(changed))


def _inside_bound(workflow: BpmnWorkflow, sub: Any, bound: dict[str, Any]) -> bool:
    """Whether ``sub`` runs inside a subprocess that is bound to a called version."""
    parent = sub.parent_workflow
    while parent is not None and parent is not workflow:
        if str(parent.parent_task_id) in bound:
            return True
        parent = parent.parent_workflow
    return False


def _judge(
    diff: WorkflowDiff,
    spec_diff: SpecDiff,
    reasons: list[str],
    changed: list[str],
    claimed: dict[str, str],
    where: str,
) -> None:
    """The rules: nothing done or doing may have changed; everything active must still exist.

    A change only to what comes before or after a task (its inputs and outputs) does not change
    the task itself: a case past it, or working on it, may move.
    """
    for task in diff.removed:
        if not _is_bpmn(task):
            continue
        if task.has_state(ACTIVE):
            reasons.append(f"the case is at '{_name(task)}'{where}, which the new version no longer has")
        elif task.has_state(DONE):
            reasons.append(f"'{_name(task)}'{where} is already done and the new version no longer has it")
    for task in diff.changed:
        if not _is_bpmn(task):
            continue
        substantive = sorted(set(spec_diff.changed.get(task.task_spec, [])) - TOPOLOGY)
        what = ", ".join(_ATTRIBUTE_WORDS.get(a, a) for a in substantive)
        if task.has_state(DONE) and substantive:
            reasons.append(
                f"'{_name(task)}'{where} is already done and has changed in the new version ({what})"
            )
        elif task.has_state(TaskState.STARTED) and substantive:
            reasons.append(f"'{_name(task)}'{where} has started and has changed in the new version ({what})")
        elif (
            substantive
            and task.has_state(TaskState.READY)
            and task.task_spec.manual
            and claimed.get(task.task_spec.bpmn_id)
        ):
            reasons.append(
                f"'{_name(task)}'{where} has changed ({what}) and {claimed[task.task_spec.bpmn_id]} is "
                "working on it; finish or unclaim it first"
            )
        elif task.has_state(ACTIVE) and substantive:
            changed.append(
                _name(diff.alignment.get(task)) if diff.alignment.get(task) is not None else _name(task)
            )


def _apply(diff: WorkflowDiff, spec_diff: SpecDiff, workflow: Any, spec: Any) -> None:
    """``SpiffWorkflow.bpmn.util.diff.migrate_workflow``, keeping what the waiting tasks already hold.

    The library resets every ready and waiting task, which would replace its data with its
    parent's (losing corrections made since) and restart its timer; an unchanged waiting task
    keeps both here.
    """
    workflow.spec = spec
    unchanged = {
        task for task in diff.alignment if not set(spec_diff.changed.get(task.task_spec, [])) - TOPOLOGY
    }
    for task in workflow.tasks.values():
        aligned = diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    for task in list(
        workflow.get_tasks(
            state=TaskState.READY | TaskState.WAITING | TaskState.ERROR, skip_subprocesses=True
        )
    ):
        if task.id in workflow.tasks:
            _reset(task, keep_internal=task in unchanged)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _reset(task: Task, keep_internal: bool) -> None:
    """``Task.reset_branch`` that keeps the task's own data (and, unchanged, its timer)."""
    data = deepcopy(task.data)
    internal = dict(task.internal_data) if keep_internal else {}
    task._drop_children(force=True)
    task.internal_data = internal
    task.data = data
    task._set_state(TaskState.FUTURE)
    task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    task.task_spec._update(task)


def _check_restores(rt: Runtime, state: bytes, bundle: ProcessBundle, step: Step) -> None:
    """The migrated state must load against the new version with every task's spec found."""
    try:
        restored = rt.engine.load(state, bundle, step.script_engine)
    except Exception as exc:  # noqa: BLE001 - any failure means the case cannot run on the new version
        raise _Refused(
            [f"the case's state does not fit the new version ({exc.__class__.__name__}: {exc})"]
        ) from None
    missing = [str(t.id) for t in restored.get_tasks() if t.task_spec is None]
    if missing:
        raise _Refused([f"{len(missing)} of the case's tasks have no counterpart in the new version"])


def _refresh_open_items(session: Any, case: Case, bundle: ProcessBundle) -> None:
    """Open inbox rows take the task's name and lane from the new version."""
    for item in session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
    ):
        info = bundle.user_tasks.get(item.bpmn_id)
        if info is not None:
            item.name = info.name
            item.lane = info.lane or item.lane


def _is_bpmn(task: Task) -> bool:
    return bool(getattr(task.task_spec, "bpmn_id", None))


def _name(task: Any) -> str:
    spec = getattr(task, "task_spec", task)
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
