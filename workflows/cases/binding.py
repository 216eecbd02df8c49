"""Which deployed version a call activity runs: Camunda's ``calledElementBinding``, read when the call starts.

A call activity binds to the called process's latest deployed version at the moment the call starts
(``latest``, Camunda's default), so deploying a called process makes no new version of its callers.
``deployment`` takes the version deployed together with the caller (the one whose file the
caller's version carries), ``version`` the number in ``calledElementVersion``. The version a
subprocess started on is kept with the case (``TripflowWorkflow.called_versions``), so it keeps
running on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine.spiff import CalledSpec, ProcessBundle, stored_called_versions
from workflows.models import Case, ProcessVersion
from workflows.runtime import Runtime

if TYPE_CHECKING:
    from workflows.cases.step import Step


class CallBinding:
    """The ``CallResolver`` of one step: resolves calls with the database and the spec cache."""

    def __init__(self, session: Session, rt: Runtime, case: Case, step: Step | None = None) -> None:
        self.session = session
        self.rt = rt
        self.case = case
        self.step = step

    def called(self, task: Task, process: str) -> CalledSpec | None:
        caller = self._caller_version(task)
        caller_bundle = self.rt.specs.get(self.session, caller)
        binding, number = caller_bundle.call_bindings.get(
            (task.workflow.spec.name, task.task_spec.bpmn_id), ("latest", None)
        )
        query = select(ProcessVersion).where(ProcessVersion.key == process)
        if binding == "deployment":
            version = self._deployed_with(caller, process)
            if version is not None:
                return self._called(process, version)
            query = query.where(ProcessVersion.id <= caller.id)
        elif binding == "version":
            try:
                query = query.where(ProcessVersion.version == int((number or "").strip()))
            except ValueError:
                raise WorkflowTaskException(
                    f"camunda:calledElementVersion '{number}' is not a version number", task=task
                ) from None
        version = self.session.scalars(query.order_by(ProcessVersion.version.desc()).limit(1)).first()
        if version is None:
            if binding == "version":
                raise WorkflowTaskException(
                    f"process '{process}' has no deployed version {number} (calledElementVersion)", task=task
                )
            return None  # not deployed on its own: the copy bundled with the caller runs
        return self._called(process, version)

    def _called(self, process: str, version: ProcessVersion) -> CalledSpec:
        bundle = self.rt.specs.get(self.session, version)
        self._shown(bundle)
        return CalledSpec(process, version.version, version.id, bundle.spec)

    def _deployed_with(self, caller: ProcessVersion, process: str) -> ProcessVersion | None:
        """The called process's version whose file the caller's version was deployed with."""
        shas = set(caller.manifest.values())
        query = select(ProcessVersion).where(ProcessVersion.key == process)
        versions = self.session.scalars(query.order_by(ProcessVersion.version.desc()))
        return next((v for v in versions if v.manifest.get(v.bpmn_file) in shas), None)

    def spec_of(self, version_id: int) -> BpmnProcessSpec | None:
        bundle = self.rt.specs.get_by_id(self.session, version_id)
        if bundle is None:
            return None
        self._shown(bundle)
        return bundle.spec

    def _caller_version(self, task: Task) -> ProcessVersion:
        """The version of the process the call activity is in: the case's, or a called one's."""
        top = task.workflow.top_workflow
        called = getattr(top, "called_versions", {})
        workflow: Any = task.workflow
        while workflow is not top and workflow is not None:
            entry = called.get(str(workflow.parent_task_id))
            if entry is not None:
                version = self.session.get(ProcessVersion, entry["id"])
                if version is not None:
                    return version
            workflow = workflow.parent_workflow
        return self.case.version

    def _shown(self, bundle: ProcessBundle) -> None:
        if self.step is not None:
            self.step.bundle = self.step.bundle.with_called([bundle])


def with_called_versions(session: Session, rt: Runtime, case: Case, bundle: ProcessBundle) -> ProcessBundle:
    """``bundle`` overlaid with the user tasks and forms of the called versions the case has run."""
    called = []
    for entry in case_called_versions(case).values():
        other = rt.specs.get_by_id(session, entry["id"])
        if other is not None:
            called.append(other)
    return bundle.with_called(called)


def case_called_versions(case: Case) -> dict[str, dict[str, Any]]:
    """The called versions the case's state holds: the column each step writes, else (a case not
    stepped since that column came) read from the state itself."""
    if case.called_versions is not None:
        return case.called_versions
    return stored_called_versions(case.state)
