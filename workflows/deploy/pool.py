"""What a deploy works on: the files deployed now, overlaid with the upload, by identity.

A process is identified by its id, a decision by its id, a form by its file name; an uploaded file
replaces what is deployed under those identities and nothing else. Reading the upload checks each
file on its own (well-formed, DMN or BPMN, no duplicate definitions); the planner checks them
together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy.orm import Session

from workflows.deploy import camunda
from workflows.deploy.camunda_import import translate_model
from workflows.deploy.checks import check_definitions
from workflows.deploy.dmn_checks import check_dmn_tree
from workflows.deploy.form_checks import check_forms
from workflows.deploy.problems import ModelProblem, describe, executable_processes, has_flow_nodes, sentence
from workflows.deploy.queries import latest_versions
from workflows.engine.xml import XmlProblem, cached_tree, file_kind, is_dmn, model_kind, parse_model_xml
from workflows.models import ModelFile


@dataclass(eq=False)
class Source:
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
class Pool:
    """What is deployed now, overlaid with what is being uploaded, by identity."""

    processes: dict[str, Source] = field(default_factory=dict)  # process id -> file defining it
    decisions: dict[str, Source] = field(default_factory=dict)  # decision id -> DMN file
    forms: dict[str, bytes] = field(default_factory=dict)  # form file name -> content
    uploaded_forms: set[str] = field(default_factory=set)


def read_uploads(
    pool: Pool, uploads: list[tuple[str, bytes]], problems: list[ModelProblem], notes: list[ModelProblem]
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
            problems.append(ModelProblem(name, sentence(exc.message), line=exc.line))
            continue
        content, tree, translated = translate_model(name, content, tree)  # Camunda 7 / Activiti / FEEL
        notes.extend(translated)
        model = model_kind(name, tree)
        source = Source(name, content, tree, uploaded=True, kind=model)
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
                        f"{sentence(describe(process))} has no steps and was not deployed",
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


def _read_form(pool: Pool, name: str, content: bytes) -> list[ModelProblem]:
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


def deployed_pool(session: Session) -> Pool:
    pool = Pool()
    versions = list(latest_versions(session).values())
    contents: dict[str, bytes] = {}

    def content(sha: str) -> bytes:
        if sha not in contents:
            row = session.get(ModelFile, sha)
            assert row is not None
            contents[sha] = row.content
        return contents[sha]

    sources: dict[tuple[str, str], Source] = {}

    def source(name: str, sha: str) -> Source:
        if (name, sha) not in sources:
            tree = cached_tree(sha, lambda: content(sha))
            sources[(name, sha)] = Source(
                name, content(sha), tree, uploaded=False, kind=model_kind(name, tree)
            )
        return sources[(name, sha)]

    for version in versions:  # each process from its own file first: that is what it runs
        pool.processes[version.key] = source(version.bpmn_file, version.manifest[version.bpmn_file])
    for version in versions:
        for name, sha in version.manifest.items():
            kind = file_kind(name)
            if kind == "form":
                if not camunda.is_generated(name) and not camunda.is_placeholder(content(sha)):
                    pool.forms.setdefault(name, content(sha))
                continue
            found = source(name, sha)
            if found.kind == "dmn":
                for decision in found.tree.getroot():
                    if isinstance(decision.tag, str) and etree.QName(decision).localname == "decision":
                        pool.decisions.setdefault(decision.get("id") or "", found)
    return pool
