"""Playing scenarios on a throwaway database: the workbench's "Scenarios" tab and deploy's check.

Each scenario gets its own temporary SQLite file, made from one template per call (schema plus
the given model files deployed), so a model being edited runs before it is deployed and
production data is never touched. The template holds the tables of ``workflows.models`` made
with ``create_all``: the same tables the migrations build, without their history.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from workflows import models  # noqa: F401 - registers every table on Base.metadata
from workflows.connections import configure_engine
from workflows.db import Base
from workflows.deploy.operations import deploy
from workflows.engine.clock import FixedClock
from workflows.runtime import Runtime
from workflows.scenarios.loader import Scenario
from workflows.scenarios.runner import ScenarioResult, run_scenario
from workflows.unit import unit_of_work

DEPLOYED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _session(path: Path) -> tuple[Session, object]:
    engine = create_engine(f"sqlite:///{path}")
    configure_engine(engine)
    return Session(engine, expire_on_commit=False), engine


def _template(path: Path, files: dict[str, bytes], rt: Runtime) -> None:
    session, engine = _session(path)
    try:
        Base.metadata.create_all(engine)
        with unit_of_work(session):
            deploy(
                session,
                sorted(files.items()),
                author="scenarios",
                now=DEPLOYED_AT,
                handler_names=rt.handler_names,
            )
    finally:
        session.close()
        engine.dispose()  # type: ignore[attr-defined]


def play_all(
    rt: Runtime, files: dict[str, bytes], scenarios: Iterable[Scenario], root: Path | None
) -> list[ScenarioResult]:
    """Deploy ``files`` (BPMN, DMN, forms by file name) into a fresh database, then play each scenario
    on its own copy of it, with its own clock. Raises ``InvalidModel`` when the files do not deploy."""
    results = []
    with tempfile.TemporaryDirectory(prefix="tripflow-scenarios-") as folder:
        template = Path(folder) / "template.db"
        _template(template, files, rt)
        for n, scenario in enumerate(scenarios):
            copy = Path(folder) / f"play-{n}.db"
            shutil.copyfile(template, copy)
            session, engine = _session(copy)
            play_rt = Runtime(
                engine=rt.engine,
                handlers=rt.handlers,
                clock=FixedClock(DEPLOYED_AT),
                spec_cache=rt.spec_cache,  # parsed bundles are keyed by content hash: safe to share
                timezone=rt.timezone,
            )
            try:
                results.append(run_scenario(session, play_rt, scenario, root))
            finally:
                session.close()
                engine.dispose()  # type: ignore[attr-defined]
    return results


def directory_files(folder: Path) -> dict[str, bytes]:
    """The model files of a folder such as ``bpmn/`` (scenarios and notes left out)."""
    from workflows.deploy.operations import file_kind

    return {
        p.name: p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and file_kind(p.name) and "scenarios" not in p.relative_to(folder).parts
    }
