"""The scenarios of a model, played against files not yet deployed: the workbench tab and deploy's check.

A process owner edits a model; before deploying, its scenarios run on a throwaway database
holding every deployed model with the edited files in their place. The answer lists pass or
fail per scenario (the failing step with expected and actual values) and the model's coverage,
so the workbench can paint taken and never-taken elements on the diagram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.deploy.operations import version_files
from workflows.errors import Conflict
from workflows.models import ProcessVersion
from workflows.permissions import DEPLOY, Actor
from workflows.runtime import Runtime
from workflows.scenarios.coverage import Taken, coverage_of, model_elements
from workflows.scenarios.loader import Scenario, ScenarioError, load_file, scenario_files
from workflows.scenarios.throwaway import play_all


def deployed_files(session: Session) -> dict[str, bytes]:
    """Every file of the latest version of every deployed process, by file name."""
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("version"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    versions = session.scalars(
        select(ProcessVersion).join(
            newest, (ProcessVersion.key == newest.c.key) & (ProcessVersion.version == newest.c.version)
        )
    )
    files: dict[str, bytes] = {}
    for version in versions:
        files.update(version_files(session, version))
    return files


def processes_in(uploads: list[tuple[str, bytes]]) -> list[str]:
    """The process ids the uploaded BPMN files define (files that do not parse are the deploy's to refuse)."""
    from workflows.deploy.operations import file_kind

    keys: list[str] = []
    for name, content in uploads:
        if file_kind(name) not in ("bpmn", "xml"):
            continue
        try:
            keys += [m.process for m in model_elements(content)]
        except Exception:  # noqa: BLE001 - the deploy's own checks name what is wrong with the file
            continue
    return keys


def run_scenarios(
    session: Session,
    rt: Runtime,
    key: str,
    uploads: list[tuple[str, bytes]],
    root: Path,
    actor: Actor,
) -> dict[str, Any]:
    """Play the scenarios of ``key`` against the deployed models with ``uploads`` in their place.

    Raises ``InvalidModel`` (422) when the files would not deploy, ``Forbidden`` without the
    process owner's role."""
    actor.require(DEPLOY, "running scenarios")
    files = {**deployed_files(session), **dict(uploads)}
    session.rollback()  # the throwaway databases are separate; hold no read transaction meanwhile
    scenarios: list[Scenario] = []
    results: list[dict[str, Any]] = []
    for file in scenario_files(root, key):
        try:
            scenarios.append(load_file(file, root))
        except ScenarioError as exc:
            results.append(_unreadable(exc))
    taken = Taken()
    for result in play_all(rt, files, scenarios, root):
        taken.update(result.taken)
        results.append(result.as_dict())
    bpmn = next((content for name, content in uploads if key in processes_in([(name, content)])), None)
    models = model_elements(bpmn, key) if bpmn is not None else []
    coverage = coverage_of(models[0], taken).as_dict() if models else None
    return {
        "process": key,
        "passed": all(r["passed"] for r in results),
        "scenarios": sorted(results, key=lambda r: r["scenario"]),
        "coverage": coverage,
    }


def _unreadable(exc: ScenarioError) -> dict[str, Any]:
    return {
        "scenario": exc.path.removesuffix(".yaml"),
        "name": exc.path,
        "passed": False,
        "steps": 0,
        "steps_run": 0,
        "failure": {
            "step": exc.step,
            "action": "load",
            "file": exc.path,
            "what": "file",
            "expected": None,
            "actual": None,
            "message": exc.message,
        },
    }


def refuse_failing_scenarios(
    session: Session, rt: Runtime, uploads: list[tuple[str, bytes]], root: Path, actor: Actor
) -> None:
    """Deploy's check: ``Conflict`` (409) listing each failing scenario of the uploaded processes."""
    failures = []
    for key in processes_in(uploads):
        if not scenario_files(root, key):
            continue
        outcome = run_scenarios(session, rt, key, uploads, root, actor)
        failures += [
            {**r["failure"], "field": r["scenario"], "message": r["failure"]["message"]}
            for r in outcome["scenarios"]
            if not r["passed"]
        ]
    if failures:
        raise Conflict(
            f"{len(failures)} scenario(s) of this model fail; deploy anyway with force=true", failures
        )
