"""Planning a deploy: check each process with everything it calls, and assemble its version's files.

A process version stores its own BPMN plus every file it needs (called processes, DMN tables,
forms, and the forms generated from Camunda ``formData``), so SpiffWorkflow can parse the bundle
before anything is stored; its refusals become problems naming file and element. Its hash covers
only what is its own: its BPMN file, and the tables and forms its own processes use, each in its
canonical form (``canonical``). A called process that is deployed on its own is left out: a call
binds to the called process's deployed versions when it starts (``workflows.cases.binding``), so a
new version of ``itinerary_planning`` makes no new version of ``trip``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from workflows.deploy import camunda
from workflows.deploy.camunda_import import is_camunda_file
from workflows.deploy.canonical import canonical_hash
from workflows.deploy.checks import check_bpmn_tree
from workflows.deploy.pool import Pool
from workflows.deploy.problems import ModelProblem, References, describe, executable_processes, sentence
from workflows.deploy.recursion import reached_unconditionally
from workflows.engine.spec_cache import build_bundle
from workflows.engine.xml import BPMN, NS, find_process


@dataclass
class Plan:
    key: str
    name: str
    files: dict[str, bytes]
    manifest: dict[str, str]
    content_hash: str
    own_manifest: dict[str, str]  # the version's own files (file name -> sha256 of the bytes)


class Checker:
    """Checks each process once per deploy and assembles the files of each process version."""

    def __init__(
        self, pool: Pool, handler_names: frozenset[str], roles: tuple[str, ...] | frozenset[str]
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

    def plan(self, key: str, problems: list[ModelProblem]) -> Plan | None:
        """Check ``key`` and everything it calls; the files and hash of its version, or None."""
        found: list[ModelProblem] = []
        files: dict[str, bytes] = {}
        root = self.pool.processes[key]
        files[root.name] = root.content
        provided = {p.get("id") for p in executable_processes(root.tree)}
        own_processes = {p.get("id") for p in root.tree.getroot().iter(f"{BPMN}process")}
        own_names = {root.name}
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
                if pid not in {p.get("id") for p in executable_processes(source.tree)}:
                    own_names.add(name)  # not deployed on its own: only this version carries it
            is_own = pid in own_processes or not any(
                p.get("id") == pid for p in executable_processes(source.tree)
            )
            for decision, element in refs.decisions:
                dmn = self.pool.decisions.get(decision)
                if dmn is None:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{sentence(describe(element))} refers to decision '{decision}', which is "
                            "neither in the upload nor deployed; upload the DMN file with it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                else:
                    if dmn.content not in files.values():
                        files[_unique_name(files, dmn.name, dmn.content)] = dmn.content
                    if is_own:
                        own_names.update(n for n, c in files.items() if c == dmn.content)
            for form, element in refs.forms:
                if form not in self.pool.forms and is_camunda_file(source.tree):
                    files[form] = camunda.placeholder_form(form, element)
                    if is_own:
                        own_names.add(form)
                    if source.uploaded:
                        self.notes.append(
                            ModelProblem(
                                source.name,
                                f"{sentence(describe(element))} uses the form '{form}', which is neither in "
                                "the upload nor deployed; the task shows a generated form without fields "
                                "until that file is deployed",
                                element.get("id"),
                                element.sourceline,
                            )
                        )
                elif form not in self.pool.forms:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{sentence(describe(element))} uses the form '{form}', which is neither in "
                            "the upload nor deployed; upload the form file with it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                else:
                    files[form] = self.pool.forms[form]
                    if is_own:
                        own_names.add(form)
            for task_id, task in refs.camunda_tasks.items():
                made = camunda.form_files(pid, task_id, task)
                generated.update(made)
                if is_own:
                    own_names.update(made)
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
        own_manifest = {f: sha for f, sha in manifest.items() if f in own_names}
        content_hash = model_hash({f: ordered[f] for f in own_manifest})
        return Plan(key, name, ordered, manifest, content_hash, own_manifest)

    def _walk(self, key: str, found: list[ModelProblem]) -> list[str]:
        """Processes reachable from ``key`` through call activities; a call cycle is a problem."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(pid: str, path: list[str], trail: list[tuple[str, etree._Element]]) -> None:
            state[pid] = "open"
            order.append(pid)
            source = self.pool.processes[pid]
            refs, _ = self.check(pid)
            for called, element in refs.called_processes:
                if called not in self.pool.processes:
                    found.append(
                        ModelProblem(
                            source.name,
                            f"{sentence(describe(element))} calls process '{called}', which is neither in "
                            "the upload nor deployed; upload the file that defines it",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                elif state.get(called) == "open" and self._guarded(
                    [*trail[[p for p, _ in trail].index(called) :], (pid, element)]
                    if called in [p for p, _ in trail]
                    else [(pid, element)]
                ):
                    continue  # recursion that a wait or a choice can end: legal
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
                            f"{sentence(describe(element))} calls {what} straight from the start, with no "
                            "task that waits and no choice on the way, so each case would start itself "
                            "again forever; put the call behind a gateway condition or a user task",
                            element.get("id"),
                            element.sourceline,
                        )
                    )
                elif called not in state:
                    visit(called, path + [pid], [*trail, (pid, element)])
            state[pid] = "done"

        visit(key, [], [])
        return order

    def _guarded(self, calls: list[tuple[str, etree._Element]]) -> bool:
        """Whether some call of a cycle waits or chooses on its way (``recursion``), so the cycle can end."""
        for pid, element in calls:
            process = find_process(self.pool.processes[pid].tree, pid)
            if process is None or not reached_unconditionally(process, element):
                return True
        return False


def model_hash(files: dict[str, bytes]) -> str:
    """The hash of a version's own files by meaning: reformatting or moving shapes keeps it."""
    canonical = {name: canonical_hash(name, content) for name, content in files.items()}
    return hashlib.sha256(json.dumps(dict(sorted(canonical.items())), sort_keys=True).encode()).hexdigest()


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


def _parse_check(pool: Pool, key: str, files: dict[str, bytes]) -> tuple[list[ModelProblem], str]:
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
