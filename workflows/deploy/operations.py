"""Deploying models: check every file together, then store a new version only where content changed.

A process version is its own BPMN plus every file it needs (called processes, DMN tables, forms,
and the forms generated from Camunda ``formData``), hashed together, so a change to a called
process or a decision table versions every process that uses it, and identical content never
makes a new version. A process is identified by its id, a decision by its id, a form by its file
name; an uploaded file replaces what is deployed under those identities and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.deploy import camunda
from workflows.deploy.checks import (
    BPMN,
    ModelProblem,
    References,
    check_bpmn_tree,
    check_definitions,
    check_dmn_tree,
    check_forms,
    describe,
    executable_processes,
    find_process,
    has_flow_nodes,
    is_dmn,
    is_ui_schema,
)
from workflows.engine.spiff import ProcessBundle, UserTaskInfo, make_parser, user_task_info
from workflows.engine.xml import NS, XmlProblem, parse_model_xml
from workflows.errors import InvalidModel, NotFound, TooLarge
from workflows.models import ModelFile, ProcessVersion
from workflows.permissions import LANE_ROLES

MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024
MAX_UPLOAD_FILES = 100
CHECK_SECONDS = 20.0  # wall-clock budget for checking one upload; each file is bounded, many files add up


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool


class DeployResults(list[DeployResult]):
    """The versions a deploy made or found, plus notes: what was read but not used, and why."""

    def __init__(
        self, results: Iterable[DeployResult] = (), notes: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(results)
        self.notes = notes or []


@dataclass(eq=False)
class _Source:
    """One model file: a BPMN or DMN document as uploaded or as deployed."""

    name: str
    content: bytes
    tree: etree._ElementTree
    uploaded: bool
    kind: str

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class _Pool:
    """What is deployed now, overlaid with what is being uploaded, by identity."""

    processes: dict[str, _Source] = field(default_factory=dict)  # process id -> file defining it
    decisions: dict[str, _Source] = field(default_factory=dict)  # decision id -> DMN file
    forms: dict[str, bytes] = field(default_factory=dict)  # form file name -> content
    uploaded_forms: set[str] = field(default_factory=set)


@dataclass
class _Plan:
    key: str
    name: str
    files: dict[str, bytes]
    manifest: dict[str, str]
    content_hash: str


def file_kind(name: str) -> str | None:
    """``bpmn``, ``dmn``, ``form``, ``xml`` (BPMN or DMN, told apart by content) or None."""
    lower = name.lower()
    if lower.endswith((".bpmn", ".bpmn20.xml", ".bpmn2")):
        return "bpmn"
    if lower.endswith((".dmn", ".dmn11.xml", ".dmn.xml")):
        return "dmn"
    if lower.endswith(".json"):
        return "form"
    if lower.endswith(".xml"):
        return "xml"
    return None


def _model_kind(name: str, tree: etree._ElementTree) -> str:
    kind = file_kind(name)
    if kind == "xml":
        return "dmn" if is_dmn(tree) else "bpmn"
    return kind or "bpmn"


def deploy(
    session: Session,
    uploads: Iterable[tuple[str, bytes]],
    *,
    author: str,
    now: datetime,
    handler_names: frozenset[str],
    dry_run: bool = False,
    roles: tuple[str, ...] | frozenset[str] = LANE_ROLES,
) -> DeployResults:
    """Check all uploaded files together and store new versions; raises ``InvalidModel`` (422).

    Files that the uploaded models reference but the upload lacks are taken from what is deployed
    now. Nothing is stored unless every file is valid. ``TooLarge`` (413) for a file over the size
    limit. Does not commit: the caller owns the transaction.
    """
    deadline = time.monotonic() + CHECK_SECONDS
    uploads = list(uploads)
    if len(uploads) > MAX_UPLOAD_FILES:
        raise TooLarge(f"an upload may hold at most {MAX_UPLOAD_FILES} files")
    for name, content in uploads:
        if len(content) > MAX_MODEL_FILE_BYTES:
            raise TooLarge(f"{name} is larger than {MAX_MODEL_FILE_BYTES // (1024 * 1024)} MB")
    pool = _deployed_pool(session)
    problems: list[ModelProblem] = []
    notes: list[ModelProblem] = []
    uploaded_keys = _read_uploads(pool, uploads, problems, notes)

    latest = _latest_versions(session)
    checker = _Checker(pool, handler_names, roles)
    checker.refused_files = {p.file for p in problems}
    keys = list(
        dict.fromkeys(
            uploaded_keys
            + [
                k
                for k in sorted(latest)
                if k not in uploaded_keys and k in pool.processes and checker.touches_upload(k)
            ]
        )
    )
    plans: list[_Plan] = []
    for key in keys:
        if time.monotonic() > deadline:
            raise InvalidModel(
                "the upload took too long to check; nothing was deployed",
                [
                    {
                        "file": uploads[0][0] if uploads else "",
                        "message": f"Checking stopped after {CHECK_SECONDS:.0f} seconds; "
                        "deploy fewer or smaller files at once",
                    }
                ],
            )
        plan = checker.plan(key, problems)
        if plan is not None:
            plans.append(plan)
    notes.extend(checker.notes)
    if problems:
        raise InvalidModel(
            "the upload has problems; nothing was deployed", [p.as_detail() for p in dict.fromkeys(problems)]
        )
    if not keys and uploads:
        notes.append(
            ModelProblem(
                uploads[0][0],
                "No deployed process uses the uploaded files, so no version was "
                "made; upload them together with the process that uses them",
            )
        )

    results = DeployResults(notes=[n.as_detail() for n in dict.fromkeys(notes)])
    for plan in plans:
        current = latest.get(plan.key)
        if current is not None and current.content_hash == plan.content_hash:
            if plan.key in uploaded_keys:
                results.append(DeployResult(plan.key, current.version, created=False))
            continue
        version = (current.version if current else 0) + 1
        results.append(DeployResult(plan.key, version, created=True))
        if dry_run:
            continue
        for file_name, sha in plan.manifest.items():
            if session.get(ModelFile, sha) is None:
                session.add(
                    ModelFile(
                        sha256=sha,
                        name=file_name,
                        kind=_stored_kind(file_name, plan.files[file_name]),
                        content=plan.files[file_name],
                    )
                )
        session.add(
            ProcessVersion(
                key=plan.key,
                version=version,
                name=plan.name,
                content_hash=plan.content_hash,
                bpmn_file=_root_file(plan),
                manifest=plan.manifest,
                deployed_at=now,
                deployed_by=author,
            )
        )
        session.flush()
    session.flush()
    return results


def _stored_kind(name: str, content: bytes) -> str:
    kind = file_kind(name)
    if kind == "xml":
        return "dmn" if is_dmn(parse_model_xml(content)) else "bpmn"
    return kind or "form"


def _root_file(plan: _Plan) -> str:
    return next(iter(plan.files))


def _read_uploads(
    pool: _Pool, uploads: list[tuple[str, bytes]], problems: list[ModelProblem], notes: list[ModelProblem]
) -> list[str]:
    """Parse each uploaded file and lay it over the deployed pool; returns the uploaded process ids."""
    uploaded_keys: list[str] = []
    defined_in: dict[str, str] = {}
    names: set[str] = set()
    for name, content in uploads:
        kind = file_kind(name)
        if name in names:
            problems.append(ModelProblem(name, "The upload holds two files with this name; rename one"))
            continue
        names.add(name)
        if kind is None:
            problems.append(ModelProblem(name, "Only .bpmn, .dmn and .json form files can be deployed"))
            continue
        if "/" in name or "\\" in name or name.startswith("."):
            problems.append(ModelProblem(name, "A file name may not contain a path"))
            continue
        if kind == "form":
            problems.extend(_read_form(pool, name, content))
            continue
        try:
            tree = parse_model_xml(content)
        except XmlProblem as exc:
            problems.append(ModelProblem(name, _sentence(exc.message), line=exc.line))
            continue
        model = _model_kind(name, tree)
        source = _Source(name, content, tree, uploaded=True, kind=model)
        if model == "dmn":
            if not is_dmn(tree):
                problems.append(
                    ModelProblem(
                        name,
                        "The file is not a DMN 1.x document (its root element is not dmn:definitions)",
                        line=tree.getroot().sourceline,
                    )
                )
                continue
            problems.extend(check_dmn_tree(name, tree))
            for decision in tree.getroot():
                if not isinstance(decision.tag, str) or etree.QName(decision).localname != "decision":
                    continue
                did = decision.get("id") or ""
                if did in defined_in:
                    problems.append(
                        ModelProblem(
                            name,
                            f"Decision '{did}' is also defined in {defined_in[did]}",
                            did,
                            decision.sourceline,
                        )
                    )
                defined_in[did] = name
                pool.decisions[did] = source
            continue
        file_problems = check_definitions(name, tree)
        problems.extend(file_problems)
        for process in executable_processes(tree):
            pid = process.get("id") or ""
            if not pid:
                problems.append(ModelProblem(name, "A process has no id", line=process.sourceline))
                continue
            if not has_flow_nodes(process):
                notes.append(
                    ModelProblem(
                        name,
                        f"{_sentence(describe(process))} has no steps and was not deployed",
                        pid,
                        process.sourceline,
                    )
                )
                continue
            if pid in defined_in:
                problems.append(
                    ModelProblem(
                        name, f"Process '{pid}' is also defined in {defined_in[pid]}", pid, process.sourceline
                    )
                )
            defined_in[pid] = name
            pool.processes[pid] = source
            uploaded_keys.append(pid)
    return uploaded_keys


def _read_form(pool: _Pool, name: str, content: bytes) -> list[ModelProblem]:
    if camunda.is_generated(name):
        return [
            ModelProblem(
                name,
                "File names ending in .camunda-form.json or .camunda-ui.json are reserved for "
                "the forms Tripflow generates from camunda:formData; rename the file",
            )
        ]
    problems = check_forms({name: content})
    if not problems:
        pool.forms[name] = content
        pool.uploaded_forms.add(name)
    return problems


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Checker:
    """Checks each process once per deploy and assembles the files of each process version."""

    def __init__(
        self, pool: _Pool, handler_names: frozenset[str], roles: tuple[str, ...] | frozenset[str]
    ) -> None:
        self.pool = pool
        self.handler_names = handler_names
        self.roles = roles
        self.notes: list[ModelProblem] = []
        self._checked: dict[tuple[int, str], tuple[References, list[ModelProblem]]] = {}
        self.refused_files: set[str] = (
            set()
        )  # files our own checks refused: SpiffWorkflow need not parse them

    def check(self, pid: str) -> tuple[References, list[ModelProblem]]:
        source = self.pool.processes[pid]
        memo = (id(source), pid)
        if memo not in self._checked:
            refs, problems = check_bpmn_tree(source.name, source.tree, pid, self.handler_names, self.roles)
            self._checked[memo] = (refs, problems)
            if source.uploaded:
                self.notes.extend(refs.notes)
        return self._checked[memo]

    def touches_upload(self, key: str) -> bool:
        """Whether anything process ``key`` needs comes from the upload (only then can its hash change)."""
        todo, seen = [key], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in self.pool.processes:
                continue
            seen.add(pid)
            source = self.pool.processes[pid]
            if source.uploaded:
                return True
            refs = _quick_refs(source.tree, pid)
            if any(d in self.pool.decisions and self.pool.decisions[d].uploaded for d in refs[1]):
                return True
            if any(f in self.pool.uploaded_forms for f in refs[2]):
                return True
            todo.extend(refs[0])
        return False

    def plan(self, key: str, problems: list[ModelProblem]) -> _Plan | None:
        """Check ``key`` and everything it calls; the files and hash of its version, or None."""
        found: list[ModelProblem] = []
        files: dict[str, bytes] = {}
        root = self.pool.processes[key]
        files[root.name] = root.content
        provided = {p.get("id") for p in executable_processes(root.tree)}
        generated: dict[str, bytes] = {}
        order = self._walk(key, found)
        for pid in order:
            source = self.pool.processes[pid]
            refs, own = self.check(pid)
            found.extend(own)
            if source is not root and pid not in provided:
                name = _unique_name(files, source.name, source.content)
                files[name] = source.content
                provided.update(p.get("id") for p in executable_processes(source.tree))
            for decision, element in refs.decisions:
                dmn = self.pool.decisions.get(decision)
                if dmn is None:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{_sentence(describe(element))} refers to decision '{decision}', which is "
                            "neither in the upload nor deployed; upload the DMN file with it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                elif dmn.content not in files.values():
                    files[_unique_name(files, dmn.name, dmn.content)] = dmn.content
            for form, element in refs.forms:
                if form not in self.pool.forms:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{_sentence(describe(element))} uses the form '{form}', which is neither in "
                            "the upload nor deployed; upload the form file with it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                else:
                    files[form] = self.pool.forms[form]
            for task_id, task in refs.camunda_tasks.items():
                generated.update(camunda.form_files(pid, task_id, task))
        files.update(generated)
        problems.extend(found)
        if found or self.refused_files & set(files):
            return None
        parse_problems, name = _parse_check(self.pool, key, files)
        if parse_problems:
            problems.extend(parse_problems)
            return None
        ordered = {root.name: files.pop(root.name), **dict(sorted(files.items()))}
        manifest = {f: hashlib.sha256(c).hexdigest() for f, c in ordered.items()}
        content_hash = hashlib.sha256(
            json.dumps(dict(sorted(manifest.items())), sort_keys=True).encode()
        ).hexdigest()
        return _Plan(key, name, ordered, manifest, content_hash)

    def _walk(self, key: str, found: list[ModelProblem]) -> list[str]:
        """Processes reachable from ``key`` through call activities; a call cycle is a problem."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(pid: str, path: list[str]) -> None:
            state[pid] = "open"
            order.append(pid)
            source = self.pool.processes[pid]
            refs, _ = self.check(pid)
            for called, element in refs.called_processes:
                if called not in self.pool.processes:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{_sentence(describe(element))} calls process '{called}', which is neither in "
                            "the upload nor deployed; upload the file that defines it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                elif state.get(called) == "open":
                    cycle = path[path.index(called) :] + [pid, called] if called in path else [pid, called]
                    cycle = list(dict.fromkeys(cycle[:-1])) + [called]
                    what = (
                        "its own process"
                        if called == pid
                        else "back into " + " → ".join(f"'{p}'" for p in cycle)
                    )
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{_sentence(describe(element))} calls {what}; a process that calls itself "
                            "would never end, so SpiffWorkflow would loop forever",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                elif called not in state:
                    visit(called, path + [pid])
            state[pid] = "done"

        visit(key, [])
        return order


def _quick_refs(tree: etree._ElementTree, pid: str) -> tuple[list[str], list[str], list[str]]:
    process = find_process(tree, pid)
    if process is None:
        return [], [], []
    spiff = f"{{{NS['spiffworkflow']}}}"
    called = [e.get("calledElement") or "" for e in process.iter(f"{BPMN}callActivity")]
    decisions = [
        (e.findtext(f".//{spiff}calledDecisionId") or camunda.decision_ref(e) or "").strip()
        for e in process.iter(f"{BPMN}businessRuleTask")
    ]
    forms = [
        p.get("value") or ""
        for p in process.iter(f"{spiff}property")
        if p.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename")
    ]
    return called, decisions, forms


def _unique_name(files: dict[str, bytes], name: str, content: bytes) -> str:
    """``name``, or ``name`` marked with its hash when another file of the version already has it."""
    if name not in files or files[name] == content:
        return name
    path = PurePosixPath(name)
    return f"{path.stem}.{hashlib.sha256(content).hexdigest()[:8]}{path.suffix}"


def _parse_check(pool: _Pool, key: str, files: dict[str, bytes]) -> tuple[list[ModelProblem], str]:
    """Let SpiffWorkflow parse the bundle; its refusals become problems naming file and element."""
    root = pool.processes[key]
    try:
        bundle = build_bundle(key, files)
    except ValidationException as exc:
        file_name = exc.file_name or root.name
        tree = next(
            (s.tree for s in [*pool.processes.values(), *pool.decisions.values()] if s.name == file_name),
            root.tree,
        )
        element = (
            tree.getroot().xpath("//*[@id=$id]", id=exc.id)[0]
            if exc.id and tree.getroot().xpath("//*[@id=$id]", id=exc.id)
            else None
        )
        what = describe(element) if element is not None else f"process '{key}'"
        text = " ".join(str(exc).split("\n")[0].split()).rstrip(".")
        if element is None:
            element = find_process(root.tree, key)
        return [
            ModelProblem(
                file_name,
                f"SpiffWorkflow cannot run {what}: {text}",
                element_id=exc.id or key,
                line=element.sourceline if element is not None else None,
            )
        ], key
    except Exception as exc:  # noqa: BLE001 - the parser raises bare KeyError/AssertionError on bad models
        text = " ".join(str(exc).split()) or exc.__class__.__name__
        process = find_process(root.tree, key)
        return [
            ModelProblem(
                root.name,
                f"SpiffWorkflow cannot parse process '{key}' ({exc.__class__.__name__}: {text[:200]})",
                element_id=key,
                line=process.sourceline if process is not None else None,
            )
        ], key
    return [], bundle.name


def build_bundle(key: str, files: dict[str, bytes], timezone_name: str = "Asia/Shanghai") -> ProcessBundle:
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
        if _model_kind(name, tree) == "dmn":
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
    return ProcessBundle(key, spec.description or key, spec, subprocess_specs, forms, user_tasks)


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


def _deployed_pool(session: Session) -> _Pool:
    pool = _Pool()
    versions = list(_latest_versions(session).values())
    contents: dict[str, bytes] = {}

    def content(sha: str) -> bytes:
        if sha not in contents:
            row = session.get(ModelFile, sha)
            assert row is not None
            contents[sha] = row.content
        return contents[sha]

    sources: dict[tuple[str, str], _Source] = {}

    def source(name: str, sha: str) -> _Source:
        if (name, sha) not in sources:
            tree = _cached_tree(sha, content(sha))
            sources[(name, sha)] = _Source(
                name, content(sha), tree, uploaded=False, kind=_model_kind(name, tree)
            )
        return sources[(name, sha)]

    for version in versions:  # each process from its own file first: that is what it runs
        pool.processes[version.key] = source(version.bpmn_file, version.manifest[version.bpmn_file])
    for version in versions:
        for name, sha in version.manifest.items():
            kind = file_kind(name)
            if kind == "form":
                if not camunda.is_generated(name):
                    pool.forms.setdefault(name, content(sha))
                continue
            found = source(name, sha)
            if found.kind == "dmn":
                for decision in found.tree.getroot():
                    if isinstance(decision.tag, str) and etree.QName(decision).localname == "decision":
                        pool.decisions.setdefault(decision.get("id") or "", found)
    return pool


_TREES: dict[str, etree._ElementTree] = {}
_TREES_LOCK = threading.Lock()


def _cached_tree(sha: str, content: bytes) -> etree._ElementTree:
    """Deployed files are parsed once per server process (they never change; nothing edits the trees)."""
    with _TREES_LOCK:
        tree = _TREES.get(sha)
        if tree is None:
            if len(_TREES) > 2048:
                _TREES.clear()
            tree = _TREES[sha] = parse_model_xml(content)
        return tree


def _latest_versions(session: Session) -> dict[str, ProcessVersion]:
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    rows = session.scalars(
        select(ProcessVersion).join(
            newest, (ProcessVersion.key == newest.c.key) & (ProcessVersion.version == newest.c.v)
        )
    )
    return {row.key: row for row in rows}


def latest_version(session: Session, key: str) -> ProcessVersion:
    version = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound(f"no process '{key}' is deployed")
    return version


def version_files(session: Session, version: ProcessVersion) -> dict[str, bytes]:
    """Every file of one version, as stored."""
    files = {}
    for name, sha in version.manifest.items():
        row = session.get(ModelFile, sha)
        assert row is not None
        files[name] = row.content
    return files


class SpecCache:
    """Parsed bundles by process and content hash: each version is parsed once per server process."""

    def __init__(self) -> None:
        self._bundles: dict[tuple[str, str], ProcessBundle] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, version: ProcessVersion) -> ProcessBundle:
        cache_key = (version.key, version.content_hash)
        bundle = self._bundles.get(cache_key)
        if bundle is not None:
            return bundle
        with self._lock:
            bundle = self._bundles.get(cache_key)
            if bundle is None:
                bundle = build_bundle(version.key, version_files(session, version))
                self._bundles[cache_key] = bundle
        return bundle

    def clear(self) -> None:
        self._bundles.clear()


__all__ = [
    "DeployResult",
    "DeployResults",
    "SpecCache",
    "build_bundle",
    "deploy",
    "file_kind",
    "latest_version",
    "version_files",
    "MAX_MODEL_FILE_BYTES",
    "is_ui_schema",
]
