"""Deploying models: check every file together, then store a new version only where content changed.

A process version is its own BPMN plus every file it needs (called processes, DMN tables, forms),
hashed together, so a change to a called process or a decision table versions every process that
uses it, and identical content never makes a new version.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .engine import ProcessBundle, make_parser, user_task_info
from .errors import InvalidModel, NotFound, TooLarge
from .models import ModelFile, ProcessVersion
from .model_checks import ModelProblem, check_bpmn_tree, check_forms
from .xml import NS, XmlProblem, parse_model_xml

MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool


@dataclass
class _Pool:
    """The model files in play: what is deployed now, overlaid with what is being uploaded."""

    bpmn: dict[str, bytes] = field(default_factory=dict)  # file name -> content
    dmn: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    process_file: dict[str, str] = field(default_factory=dict)  # process id -> bpmn file
    decision_file: dict[str, str] = field(default_factory=dict)  # decision id -> dmn file

    def content(self, name: str) -> bytes:
        return self.bpmn.get(name) or self.dmn.get(name) or self.forms[name]


def file_kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith((".bpmn", ".bpmn20.xml", ".bpmn2")):
        return "bpmn"
    if lower.endswith(".dmn"):
        return "dmn"
    if lower.endswith(".json"):
        return "form"
    return None


def deploy(
    session: Session,
    uploads: Iterable[tuple[str, bytes]],
    *,
    author: str,
    now: datetime,
    handler_names: frozenset[str],
    dry_run: bool = False,
) -> list[DeployResult]:
    """Check all uploaded files together and store new versions; raises ``InvalidModel`` (422).

    Files that the uploaded models reference but the upload lacks are taken from what is deployed
    now. Nothing is stored unless every file is valid. Does not commit: the caller owns the
    transaction.
    """
    uploads = list(uploads)
    problems: list[ModelProblem] = []
    pool = _deployed_pool(session)
    uploaded_processes: list[str] = []
    for name, content in uploads:
        kind = file_kind(name)
        if len(content) > MAX_MODEL_FILE_BYTES:
            raise TooLarge(f"{name} is larger than {MAX_MODEL_FILE_BYTES // (1024 * 1024)} MB")
        if kind is None:
            problems.append(ModelProblem(name, "only .bpmn, .dmn and .json form files can be deployed"))
            continue
        try:
            if kind == "form":
                json.loads(content)
                pool.forms[name] = content
                continue
            tree = parse_model_xml(content)
        except XmlProblem as exc:
            problems.append(ModelProblem(name, exc.message, line=exc.line))
            continue
        except ValueError as exc:
            problems.append(ModelProblem(name, f"the file is not valid JSON: {exc}"))
            continue
        if kind == "bpmn":
            ids, file_problems = _add_bpmn(pool, name, content, tree, replace=True)
            problems.extend(file_problems)
            uploaded_processes.extend(ids)
        else:
            problems.extend(_add_dmn(pool, name, content, tree, replace=True))
    if problems:
        raise InvalidModel("the upload has problems; nothing was deployed", [p.as_detail() for p in problems])

    latest = _latest_versions(session)
    keys = list(dict.fromkeys(uploaded_processes + sorted(latest)))
    planned: list[tuple[str, dict[str, str], str, str]] = []
    for key in keys:
        if key not in pool.process_file:
            continue
        files, key_problems = _bundle_files(pool, key, handler_names)
        problems.extend(key_problems)
        if key_problems:
            continue
        parse_problems, name = _parse_check(pool, key, files)
        problems.extend(parse_problems)
        if parse_problems:
            continue
        manifest = {f: hashlib.sha256(pool.content(f)).hexdigest() for f in sorted(files)}
        content_hash = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
        planned.append((key, manifest, content_hash, name))
    if problems:
        raise InvalidModel("the upload has problems; nothing was deployed", [p.as_detail() for p in problems])

    results = []
    for key, manifest, content_hash, name in planned:
        current = latest.get(key)
        if current is not None and current.content_hash == content_hash:
            if key in uploaded_processes:
                results.append(DeployResult(key, current.version, created=False))
            continue
        version = (current.version if current else 0) + 1
        results.append(DeployResult(key, version, created=True))
        if dry_run:
            continue
        for file_name, sha in manifest.items():
            if session.get(ModelFile, sha) is None:
                session.add(ModelFile(sha256=sha, name=file_name, kind=file_kind(file_name) or "form",
                                      content=pool.content(file_name)))
        session.add(ProcessVersion(
            key=key, version=version, name=name, content_hash=content_hash,
            bpmn_file=pool.process_file[key], manifest=manifest, deployed_at=now, deployed_by=author,
        ))
    session.flush()
    return results


def _add_bpmn(pool: _Pool, name: str, content: bytes, tree: etree._ElementTree, replace: bool
              ) -> tuple[list[str], list[ModelProblem]]:
    processes = tree.getroot().findall(f"{{{NS['bpmn']}}}process")
    executable = [p.get("id") for p in processes if p.get("isExecutable", "true").lower() != "false"]
    problems: list[ModelProblem] = []
    if not processes:
        problems.append(ModelProblem(name, "the file contains no BPMN process"))
    elif not executable:
        problems.append(ModelProblem(
            name, "no process in the file is executable (isExecutable=\"false\"); mark the process "
                  "executable to deploy it", element_id=processes[0].get("id"),
            line=processes[0].sourceline))
    if replace:
        for pid, fname in list(pool.process_file.items()):
            if pid in executable or fname == name:
                pool.process_file.pop(pid)
                pool.bpmn.pop(fname, None)
                pool.trees.pop(fname, None)
    for pid in executable:
        if pid in pool.process_file and pool.process_file[pid] != name and not replace:
            continue
        pool.process_file[pid] = name
    pool.bpmn[name] = content
    pool.trees[name] = tree
    return [p for p in executable if p], problems


def _add_dmn(pool: _Pool, name: str, content: bytes, tree: etree._ElementTree, replace: bool
             ) -> list[ModelProblem]:
    root = tree.getroot()
    if etree.QName(root).localname != "definitions" or etree.QName(root).namespace not in _dmn_namespaces():
        return [ModelProblem(name, "the file is not a DMN 1.x definitions document")]
    decisions = [d.get("id") for d in root if etree.QName(d).localname == "decision"]
    if not decisions:
        return [ModelProblem(name, "the file contains no decision")]
    if replace:
        for did, fname in list(pool.decision_file.items()):
            if did in decisions or fname == name:
                pool.decision_file.pop(did)
                pool.dmn.pop(fname, None)
    for did in decisions:
        pool.decision_file[did] = name
    pool.dmn[name] = content
    pool.trees[name] = tree
    return []


def _dmn_namespaces() -> tuple[str, ...]:
    from .xml import DMN_NAMESPACES

    return DMN_NAMESPACES + ("https://www.omg.org/spec/DMN/20230324/MODEL/",)


def _bundle_files(pool: _Pool, key: str, handler_names: frozenset[str]) -> tuple[set[str], list[ModelProblem]]:
    """Every file process ``key`` needs, following call activities, decisions and forms."""
    files: set[str] = set()
    problems: list[ModelProblem] = []
    todo, seen = [key], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        fname = pool.process_file.get(pid)
        if fname is None:
            continue
        files.add(fname)
        refs, file_problems = check_bpmn_tree(fname, pool.trees[fname], pid, handler_names)
        problems.extend(file_problems)
        for called, element in refs.called_processes:
            if called == pid or called == key:
                problems.append(ModelProblem(
                    fname, f"call activity calls its own process '{called}', which would never end",
                    element_id=element.get("id"), line=element.sourceline))
            elif called not in pool.process_file:
                problems.append(ModelProblem(
                    fname, f"call activity calls process '{called}', which is neither uploaded nor deployed",
                    element_id=element.get("id"), line=element.sourceline))
            else:
                todo.append(called)
        for decision, element in refs.decisions:
            dmn = pool.decision_file.get(decision)
            if dmn is None:
                problems.append(ModelProblem(
                    fname, f"business rule task refers to decision '{decision}', which is neither uploaded "
                           "nor deployed", element_id=element.get("id"), line=element.sourceline))
            else:
                files.add(dmn)
        for form, element in refs.forms:
            if form not in pool.forms:
                problems.append(ModelProblem(
                    fname, f"task form '{form}' is neither uploaded nor deployed",
                    element_id=element.get("id"), line=element.sourceline))
            else:
                files.add(form)
    problems.extend(check_forms({f: pool.forms[f] for f in files if f in pool.forms}))
    return files, problems


def _parse_check(pool: _Pool, key: str, files: set[str]) -> tuple[list[ModelProblem], str]:
    """Let SpiffWorkflow parse the bundle; its refusals become problems naming file and element."""
    try:
        bundle = build_bundle(key, {f: pool.content(f) for f in files})
    except ValidationException as exc:
        return [ModelProblem(exc.file_name or pool.process_file[key], str(exc).split("\n")[0],
                             element_id=exc.id or None, line=_line_of(pool, exc.file_name, exc.id))], key
    except (SpiffWorkflowException, KeyError, AssertionError, AttributeError, TypeError, ValueError) as exc:
        text = str(exc) or exc.__class__.__name__
        return [ModelProblem(pool.process_file[key], f"SpiffWorkflow cannot run this model: {text}")], key
    return [], bundle.name


def _line_of(pool: _Pool, file_name: str | None, element_id: str | None) -> int | None:
    tree = pool.trees.get(file_name or "")
    if tree is None or not element_id:
        return None
    found = tree.getroot().xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def build_bundle(key: str, files: dict[str, bytes]) -> ProcessBundle:
    """Parse one version's files into runnable specs (hardened XML only)."""
    parser = make_parser()
    forms: dict[str, dict[str, Any]] = {}
    for name, content in sorted(files.items()):
        kind = file_kind(name)
        if kind == "bpmn":
            parser.add_bpmn_xml(parse_model_xml(content), filename=name)
        elif kind == "dmn":
            parser.add_dmn_xml(parse_model_xml(content).getroot(), filename=name)
        else:
            forms[name] = json.loads(content)
    spec = parser.get_spec(key)
    subprocess_specs = parser.get_subprocess_specs(key)
    user_tasks = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, UserTaskMixin) and task_spec.bpmn_id not in user_tasks:
                user_tasks[task_spec.bpmn_id] = user_task_info(task_spec)
    return ProcessBundle(key, spec.description or key, spec, subprocess_specs, forms, user_tasks)


def _deployed_pool(session: Session) -> _Pool:
    pool = _Pool()
    for version in _latest_versions(session).values():
        for name, sha in version.manifest.items():
            kind = file_kind(name)
            if name in pool.bpmn or name in pool.dmn or name in pool.forms:
                continue
            content = session.get(ModelFile, sha).content  # type: ignore[union-attr]
            if kind == "form":
                pool.forms[name] = content
                continue
            tree = parse_model_xml(content)
            if kind == "bpmn":
                _add_bpmn(pool, name, content, tree, replace=False)
            else:
                _add_dmn(pool, name, content, tree, replace=False)
    return pool


def _latest_versions(session: Session) -> dict[str, ProcessVersion]:
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    rows = session.scalars(
        select(ProcessVersion).join(newest, (ProcessVersion.key == newest.c.key)
                                    & (ProcessVersion.version == newest.c.v))
    )
    return {row.key: row for row in rows}


def latest_version(session: Session, key: str) -> ProcessVersion:
    version = session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version.desc()).limit(1)
    ).first()
    if version is None:
        raise NotFound(f"no process '{key}' is deployed")
    return version


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
                files = {name: session.get(ModelFile, sha).content  # type: ignore[union-attr]
                         for name, sha in version.manifest.items()}
                bundle = build_bundle(version.key, files)
                self._bundles[cache_key] = bundle
        return bundle

    def clear(self) -> None:
        self._bundles.clear()
