"""SpiffWorkflow glue: the parser, the serializer, the sandboxed script engine and the clock.

The engine object is pure: it builds and restores workflows from a deployed ``ProcessBundle``
and knows nothing of the database. ``cases.py`` puts storage around it.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.workflow import BpmnSubWorkflow, BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser, ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.engine.clock import current_clock
from workflows.engine.isolated import DEFAULT_MEMORY_LIMIT, IsolatedEnvironment
from workflows.engine.xml import CAMUNDA_NS

# --- time: SpiffWorkflow's timers read our clock ----------------------------------------------


class _ClockDatetime(datetime):
    """``datetime`` whose ``now()`` is the active Tripflow clock; SpiffWorkflow's timer module uses it."""

    @classmethod
    def now(cls, tz: Any = None) -> _ClockDatetime:  # type: ignore[override]
        now = current_clock().now()
        now = now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)
        return cls.combine(now.date(), now.timetz())


spiff_timer.datetime = _ClockDatetime  # type: ignore[misc]


# --- service tasks call our handlers ---------------------------------------------------------


class HandlerServiceTask(ServiceTask):
    """A service task whose operator names a Tripflow handler; its result is merged into the case data."""

    def _execute(self, task: Task) -> bool:
        task.workflow.script_engine.call_service(
            task, operation_name=self.operation_name, operation_params=self.evaluate_params(task)
        )
        return True


class HandlerServiceTaskConverter(ServiceTaskConverter):
    pass


class DecisionRefParser(BusinessRuleTaskParser):
    """A business rule task names its table with spiffworkflow:calledDecisionId, or camunda:decisionRef."""

    @staticmethod
    def get_decision_ref(node: Any) -> Any:
        return BusinessRuleTaskParser.get_decision_ref(node) or node.get(f"{{{CAMUNDA_NS}}}decisionRef")


def make_parser() -> SpiffBpmnParser:
    """A fresh parser whose service tasks are Tripflow handler calls."""
    parser = SpiffBpmnParser()
    parser.OVERRIDE_PARSER_CLASSES = dict(parser.OVERRIDE_PARSER_CLASSES)
    parser.OVERRIDE_PARSER_CLASSES[full_tag("serviceTask")] = (ServiceTaskParser, HandlerServiceTask)
    rule_task = parser.OVERRIDE_PARSER_CLASSES[full_tag("businessRuleTask")][1]
    parser.OVERRIDE_PARSER_CLASSES[full_tag("businessRuleTask")] = (DecisionRefParser, rule_task)
    return parser


class TripflowScriptEngine(PythonScriptEngine):
    """Sandboxed scripts, plus service tasks dispatched to the step's handler caller."""

    def __init__(self, environment: IsolatedEnvironment, call_handler: Callable[[Task, str], dict[str, Any]]):
        super().__init__(environment=environment)
        self._call_handler = call_handler

    def get_error_line_number_and_content(self, script: str, err: Exception) -> tuple[int, str]:
        """The failing line, also for an error an evaluator process reported (no traceback here)."""
        line = getattr(err, "script_line", None)
        if not line:
            return super().get_error_line_number_and_content(script, err)
        lines = script.splitlines()
        return line, lines[line - 1] if 0 < line <= len(lines) else ""

    def call_service(self, task: Task, **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        result = self._call_handler(task, name)
        if result:
            task.data.update(result)
        return "null"


# --- call activities: each call binds to a deployed version of the called process ------------


@dataclass(frozen=True)
class CalledSpec:
    """The deployed version a call activity runs: the process, its version number and its spec."""

    process: str
    version: int
    version_id: int
    spec: BpmnProcessSpec


class CallResolver(Protocol):
    """Finds the version a call activity binds to (``called``) and the spec of a recorded one (``spec_of``).

    The case layer implements it with the database and the spec cache; the engine only asks.
    """

    def called(self, task: Task, process: str) -> CalledSpec | None: ...

    def spec_of(self, version_id: int) -> BpmnProcessSpec | None: ...


class TripflowWorkflow(BpmnWorkflow):
    """A workflow whose call activities run the called process's deployed version, not a bundled copy.

    SpiffWorkflow takes a called process's spec from the caller's ``subprocess_specs``, fixed when the
    caller was parsed. Here a call activity asks the resolver when it starts (Camunda's binding:
    ``latest`` by default), and the version it got is kept in ``called_versions`` (subprocess task id
    → process, version, version id) with the state, so a running subprocess keeps its version.
    Embedded subprocesses and a workflow without a resolver use the bundled specs as before.
    """

    def __init__(self, spec: Any, subprocess_specs: Any = None, script_engine: Any = None, **kwargs: Any):
        super().__init__(spec, subprocess_specs, script_engine=script_engine, **kwargs)
        self.resolver: CallResolver | None = None
        self.called_versions: dict[str, dict[str, Any]] = {}

    def create_subprocess(self, my_task: Task, spec_name: str) -> BpmnSubWorkflow:
        called = None
        if self.resolver is not None and isinstance(my_task.task_spec, CallActivity):
            called = self.resolver.called(my_task, spec_name)
        if called is None:
            return super().create_subprocess(my_task, spec_name)
        subprocess = BpmnSubWorkflow(called.spec, parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        self.called_versions[str(my_task.id)] = {
            "process": called.process,
            "version": called.version,
            "id": called.version_id,
        }
        return subprocess

    def delete_subprocess(self, my_task: Task) -> Any:
        self.called_versions.pop(str(my_task.id), None)
        return super().delete_subprocess(my_task)


def called_versions_of(workflow: BpmnWorkflow) -> dict[str, int]:
    """Which version of each called process this case ran: process → version (the latest call wins)."""
    found: dict[str, int] = {}
    for entry in getattr(workflow, "called_versions", {}).values():
        found[entry["process"]] = entry["version"]
    return found


def stored_called_versions(state: bytes | None) -> dict[str, dict[str, Any]]:
    """The ``called_versions`` of a stored state, read without restoring the workflow."""
    if not state:
        return {}
    return dict(json.loads(zlib.decompress(state)).get("called_versions") or {})


# --- serialization: the spec is stored once per version, not in every case ------------------


class SharedSpecWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the process spec out of the stored state and takes it from the deployed bundle.

    SpiffWorkflow would otherwise store and rebuild the whole spec with every case on every step.
    """

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        called = getattr(workflow, "called_versions", None)
        if called:
            dct["called_versions"] = called
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = TripflowWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.resolver = dct.pop("resolver", None)
        workflow.called_versions = dict(dct.pop("called_versions", None) or {})
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class VersionedSubWorkflowConverter(BpmnSubWorkflowConverter):
    """Restores a called subprocess with the spec of the version it started on."""

    def from_dict(self, dct: dict[str, Any], task: Task, top_workflow: BpmnWorkflow) -> BpmnSubWorkflow:
        entry = getattr(top_workflow, "called_versions", {}).get(str(task.id))
        resolver = getattr(top_workflow, "resolver", None)
        spec = resolver.spec_of(entry["id"]) if entry and resolver is not None else None
        if spec is None:
            return super().from_dict(dct, task, top_workflow)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class _TripflowWorkflowConverter(SharedSpecWorkflowConverter):
    """Stores a ``TripflowWorkflow`` under SpiffWorkflow's name, so states from before it still load."""

    def __init__(self, target_class: Any, registry: Any, typename: str | None = None) -> None:
        super().__init__(target_class, registry, "BpmnWorkflow")


def _serializer_config() -> dict[Any, Any]:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SharedSpecWorkflowConverter
    config[TripflowWorkflow] = _TripflowWorkflowConverter
    config[BpmnSubWorkflow] = VersionedSubWorkflowConverter
    config[HandlerServiceTask] = HandlerServiceTaskConverter
    return config


SERIALIZER_VERSION = "tf1+" + SPIFF_SERIALIZER_VERSION


# --- the deployed, parsed form of one process version ---------------------------------------


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str | None
    form_file: str | None
    ui_file: str | None
    properties: dict[str, str]
    assignee: str | None = None  # a fixed user (camunda:assignee); assigneeVariable in properties wins
    due_at: str | None = None  # a fixed ISO instant (camunda:dueDate); dueIn / dueAtVariable win


@dataclass
class ProcessBundle:
    """Everything one process version needs to run, parsed once and cached per version."""

    key: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, dict[str, Any]]
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    # (process id, call activity id) -> (camunda:calledElementBinding, camunda:calledElementVersion)
    call_bindings: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)

    def form(self, name: str | None) -> dict[str, Any] | None:
        return self.forms.get(name) if name else None

    def with_called(self, called: list[ProcessBundle]) -> ProcessBundle:
        """This bundle, its user tasks and forms overlaid by those of the called versions a case runs.

        A work item inside a called process must show that version's form and lane, not the copy
        bundled with the caller; the later call wins where two versions share a task id.
        """
        if not called:
            return self
        user_tasks, forms = dict(self.user_tasks), dict(self.forms)
        for other in called:
            user_tasks.update(other.user_tasks)
            forms.update(other.forms)
        return ProcessBundle(
            self.key, self.name, self.spec, self.subprocess_specs, forms, user_tasks, self.call_bindings
        )


def user_task_info(task_spec: Any) -> UserTaskInfo:
    props = dict(task_spec.extensions.get("properties", {}) or {}) if hasattr(task_spec, "extensions") else {}
    return UserTaskInfo(
        bpmn_id=task_spec.bpmn_id,
        name=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=task_spec.lane,
        form_file=props.get("formJsonSchemaFilename"),
        ui_file=props.get("formUiSchemaFilename"),
        properties=props,
    )


# --- the engine ------------------------------------------------------------------------------


def quiet_spiff_logs() -> None:
    """SpiffWorkflow logs every task state change at INFO, a dozen lines per step under the app's INFO
    logging (and its task loggers gather the task's data for each line while below INFO): keep them at
    WARNING unless someone configured them on purpose."""
    for name in ("spiff", "spiff.task", "spiff.workflow"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


class ProcessEngine:
    """Creates, restores and stores workflows; one per application process."""

    def __init__(
        self,
        timezone_name: str = "Asia/Shanghai",
        script_time_limit: float = 1.0,
        script_memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.timezone_name = timezone_name
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_serializer_config()))
        self._environment = IsolatedEnvironment(timezone_name, script_time_limit, script_memory_limit)
        quiet_spiff_logs()

    def warm(self) -> None:
        """Have a script evaluator process ready in this process (a forked child starts its own)."""
        self._environment.warm()

    @property
    def registry(self) -> Any:
        """The serializer's converter registry (``SpiffWorkflow.bpmn.util.diff`` compares specs with it)."""
        return self._serializer.registry

    def script_engine(self, call_handler: Callable[[Task, str], dict[str, Any]]) -> TripflowScriptEngine:
        return TripflowScriptEngine(self._environment, call_handler)

    def new_workflow(
        self,
        bundle: ProcessBundle,
        script_engine: TripflowScriptEngine,
        resolver: CallResolver | None = None,
    ) -> TripflowWorkflow:
        workflow = TripflowWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine)
        workflow.resolver = resolver
        return workflow

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        """The workflow's state without its spec or old history, compressed: one row written per step."""
        compact_history(workflow)
        registry = self._serializer.registry
        registry._encoder_mode = True
        try:
            dct = registry.convert(workflow)
            text = json.dumps(dct, cls=self._serializer._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False
        return zlib.compress(text.encode("utf-8"), 1)

    def load(
        self,
        state: bytes,
        bundle: ProcessBundle,
        script_engine: TripflowScriptEngine,
        resolver: CallResolver | None = None,
    ) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(state))
        dct["spec"] = bundle.spec
        dct["subprocess_specs"] = bundle.subprocess_specs
        dct["resolver"] = resolver
        workflow = self._serializer.registry.restore(dct)
        workflow.script_engine = script_engine
        return workflow


# --- history: rework loops must not make every later step slower ------------------------------

HISTORY_LIMIT = 60  # a (sub)workflow's task tree is compacted once it holds more tasks than this
HISTORY_KEEP = 12  # finished tasks kept above the live part of the tree (the recent past stays readable)
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


def compact_history(workflow: BpmnWorkflow, limit: int = HISTORY_LIMIT, keep: int = HISTORY_KEEP) -> int:
    """Drops the oldest finished tasks of every (sub)workflow whose tree holds more than ``limit`` tasks;
    returns how many went.

    SpiffWorkflow keeps every task a case ran, so each rework loop (review rejected → redesign) adds
    three tasks, with their data, that every later step deserializes and serializes again: the state
    and the step time would grow without bound. Nothing needs those tasks: the audit trail, the
    element counts and the inbox live in their own tables, and the engine works on the live tasks
    (ready, waiting, predicted, failed) and their nearest ancestors. So the finished tasks above the
    live part of the tree, but the ``keep`` nearest ones, are cut out (with the subprocesses of call
    activities among them); the first kept task hangs from the root and keeps its data whole.
    """
    removed = 0
    for key, sub in [(None, workflow), *workflow.subprocesses.items()]:
        if (key is None or key in workflow.subprocesses) and len(sub.tasks) > limit:
            removed += _compact_tree(workflow, sub, keep)
    return removed


def _compact_tree(top: BpmnWorkflow, workflow: Any, keep: int) -> int:
    live = [t for t in workflow.tasks.values() if not t.has_state(_FINISHED)]
    if not live:
        return 0  # a finished (sub)workflow is read for its data, not run: leave it whole
    reached: dict[UUID, int] = {}
    for task in live:
        node = task
        while node is not None:
            reached[node.id] = reached.get(node.id, 0) + 1
            node = node.parent
    cut = live[0]
    while reached[cut.id] < len(live):  # up to the nearest task every live task descends from
        cut = cut.parent
    for _ in range(keep):
        if cut.parent is None:
            break
        cut = cut.parent
    root = workflow.task_tree
    if cut is root or cut.parent is root:
        return 0
    kept, stack = {root.id}, [cut.id]
    while stack:
        task_id = stack.pop()
        kept.add(task_id)
        stack.extend(workflow.tasks[task_id]._children)
    dropped = [task_id for task_id in workflow.tasks if task_id not in kept]
    for task_id in dropped:
        _drop_subprocess(top, task_id)
        del workflow.tasks[task_id]
    root._children = [cut.id]
    cut._parent = root.id
    if workflow.last_task is not None and workflow.last_task.id not in kept:
        workflow.last_task = None
    return len(dropped)


def _drop_subprocess(top: BpmnWorkflow, task_id: UUID) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is None:
        return
    getattr(top, "called_versions", {}).pop(str(task_id), None)
    for inner_id in [i for i, inner in top.subprocesses.items() if inner.parent_task_id in sub.tasks]:
        _drop_subprocess(top, inner_id)


def describe_error(exc: BaseException) -> tuple[str | None, str]:
    """The BPMN element and a readable sentence for an engine failure."""
    element = None
    if isinstance(exc, WorkflowException) and getattr(exc, "task_spec", None) is not None:
        element = getattr(exc.task_spec, "bpmn_id", None) or exc.task_spec.name
    message = str(exc)
    # SpiffWorkflow raises its "Error evaluating expression" inside the handler of the real error
    cause = getattr(exc, "error", None) or exc.__cause__ or exc.__context__
    if isinstance(exc, WorkflowException) and cause is not None and str(cause) not in message:
        message = f"{message.rstrip('. ')}: {cause}"
    notes = getattr(exc, "__notes__", None)
    if notes:
        message = message + " (" + "; ".join(notes) + ")"
    return element, message
