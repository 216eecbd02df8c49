"""Runnable specs of deployed versions: each version's files parsed once per server process.

This is the run-time half of deploying: a case step reads its bundle here and never loads the
deploy checks. The Camunda attributes of a user task (assignee, ``camunda:dueDate``, generated
forms) are read in the runtime's configured time zone, which is part of the cache key, since a
due date without an offset means a different instant in another zone.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from sqlalchemy.orm import Session

from workflows.deploy import camunda
from workflows.engine.spiff import ProcessBundle, UserTaskInfo, make_parser, user_task_info
from workflows.engine.xml import BPMN, file_kind, find_process, model_kind, parse_model_xml
from workflows.models import ModelFile, ProcessVersion
from workflows.permissions import LANE_ROLES

DEFAULT_TIMEZONE = "Asia/Shanghai"


def build_bundle(key: str, files: dict[str, bytes], timezone_name: str = DEFAULT_TIMEZONE) -> ProcessBundle:
    """Parse one version's files into runnable specs (hardened XML only)."""
    parser = make_parser()
    forms: dict[str, dict[str, Any]] = {}
    trees: list[etree._ElementTree] = []
    for name, content in sorted(files.items()):
        kind = file_kind(name)
        if kind == "form":
            forms[name] = json.loads(content)
            continue
        tree = parse_model_xml(content)
        if model_kind(name, tree) == "dmn":
            parser.add_dmn_xml(tree.getroot(), filename=name)
        else:
            parser.add_bpmn_xml(tree, filename=name)
            trees.append(tree)
    spec = parser.get_spec(key)
    subprocess_specs = parser.get_subprocess_specs(key)
    user_tasks: dict[str, UserTaskInfo] = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, UserTaskMixin) and task_spec.bpmn_id not in user_tasks:
                info = user_task_info(task_spec)
                user_tasks[task_spec.bpmn_id] = _with_camunda(
                    info, process_spec.name, task_spec, trees, forms, timezone_name
                )
    return ProcessBundle(
        key, spec.description or key, spec, subprocess_specs, forms, user_tasks, _call_bindings(trees)
    )


def _call_bindings(trees: list[etree._ElementTree]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Each call activity's Camunda binding (``latest`` unless the model says otherwise)."""
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for tree in trees:
        for process in tree.getroot().iter(f"{BPMN}process"):
            for call in process.iter(f"{BPMN}callActivity"):
                binding = (call.get(f"{camunda.CAMUNDA}calledElementBinding") or "latest").strip()
                version = call.get(f"{camunda.CAMUNDA}calledElementVersion")
                found[(process.get("id") or "", call.get("id") or "")] = (binding, version)
    return found


def _with_camunda(
    info: UserTaskInfo,
    process_id: str,
    task_spec: Any,
    trees: list[etree._ElementTree],
    forms: dict[str, dict[str, Any]],
    timezone_name: str,
) -> UserTaskInfo:
    """The Camunda attributes of a user task, where the Spiff ones leave a gap."""
    element = None
    for tree in trees:
        process = find_process(tree, process_id)
        if process is not None:
            element = next(
                (e for e in process.iter(f"{BPMN}userTask") if e.get("id") == task_spec.bpmn_id), None
            )
            break
    if element is None:
        return info
    translated = camunda.read_user_task(
        element, LANE_ROLES, in_lane=task_spec.lane is not None, timezone_name=timezone_name
    )
    if not translated.is_camunda:
        return info
    form_file, ui_file = info.form_file, info.ui_file
    if form_file is None and translated.form is not None:
        for name, content in camunda.form_files(process_id, task_spec.bpmn_id, translated).items():
            forms.setdefault(name, json.loads(content))
        form_file = camunda.form_file_name(process_id, task_spec.bpmn_id)
        ui_file = camunda.ui_file_name(process_id, task_spec.bpmn_id)
    return UserTaskInfo(
        bpmn_id=info.bpmn_id,
        name=info.name,
        lane=info.lane or translated.lane,
        form_file=form_file,
        ui_file=ui_file,
        properties={**translated.properties, **info.properties},
        assignee=translated.assignee,
        due_at=translated.due_at,
    )


def version_files(session: Session, version: ProcessVersion) -> dict[str, bytes]:
    """Every file of one version, as stored."""
    files = {}
    for name, sha in version.manifest.items():
        row = session.get(ModelFile, sha)
        assert row is not None
        files[name] = row.content
    return files


class SpecCache:
    """Parsed bundles by process, content hash and time zone, read in one time zone.

    ``in_zone`` gives a view on the same parsed bundles that reads in another zone, so one cache
    can serve runtimes (or tests) configured for different zones without mixing their due dates.
    """

    def __init__(self, timezone_name: str = DEFAULT_TIMEZONE) -> None:
        self.timezone_name = timezone_name
        self._bundles: dict[tuple[str, str, str], ProcessBundle] = {}
        self._lock = threading.Lock()

    def in_zone(self, timezone_name: str) -> SpecCache:
        """This cache, reading Camunda dates in ``timezone_name`` (same store, same lock)."""
        if timezone_name == self.timezone_name:
            return self
        view = SpecCache(timezone_name)
        view._bundles, view._lock = self._bundles, self._lock
        return view

    def get(self, session: Session, version: ProcessVersion) -> ProcessBundle:
        cache_key = (version.key, version.content_hash, self.timezone_name)
        bundle = self._bundles.get(cache_key)
        if bundle is not None:
            return bundle
        with self._lock:
            bundle = self._bundles.get(cache_key)
            if bundle is None:
                bundle = build_bundle(version.key, version_files(session, version), self.timezone_name)
                self._bundles[cache_key] = bundle
        return bundle

    def get_by_id(self, session: Session, version_id: int) -> ProcessBundle | None:
        """The bundle of the version with this id (a called version a subprocess started on)."""
        version = session.get(ProcessVersion, version_id)
        return self.get(session, version) if version is not None else None

    def clear(self) -> None:
        self._bundles.clear()
