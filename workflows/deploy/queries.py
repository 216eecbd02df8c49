"""Reading deployed processes: versions, lanes, user tasks and their forms, the BPMN as deployed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.errors import NotFound
from workflows.models import Case, ModelFile, ProcessVersion
from workflows.runtime import Runtime


def latest_versions(session: Session) -> dict[str, ProcessVersion]:
    """The newest version of every deployed process, by key."""
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
    """The newest version of one process; ``NotFound`` when none is deployed."""
    version = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound(f"no process '{key}' is deployed")
    return version


def _version_view(v: ProcessVersion) -> dict[str, Any]:
    return {
        "key": v.key,
        "name": v.name,
        "version": v.version,
        "deployed_at": v.deployed_at.isoformat(),
        "deployed_by": v.deployed_by,
        "content_hash": v.content_hash,
        "files": sorted(v.manifest),
    }


def process_list(session: Session) -> list[dict[str, Any]]:
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    rows = session.scalars(
        select(ProcessVersion)
        .join(newest, (ProcessVersion.key == newest.c.key) & (ProcessVersion.version == newest.c.v))
        .order_by(ProcessVersion.key)
    )
    return [_version_view(v) for v in rows]


def process_detail(session: Session, rt: Runtime, key: str) -> dict[str, Any]:
    latest = latest_version(session, key)
    versions = list(
        session.scalars(
            select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version.desc())
        )
    )
    running = dict(
        session.execute(
            select(Case.process_version_id, func.count(Case.id))
            .where(Case.process_key == key, Case.status.in_(("running", "suspended", "error")))
            .group_by(Case.process_version_id)
        ).all()
    )
    bundle = rt.specs.get(session, latest)
    lanes = sorted({t.lane for t in bundle.user_tasks.values() if t.lane})
    return {
        **_version_view(latest),
        "translation_notes": latest.translation_notes or [],
        "versions": [
            {
                **_version_view(v),
                "running_cases": running.get(v.id, 0),
                "translation_notes": v.translation_notes or [],
            }
            for v in versions
        ],
        "lanes": lanes,
        "user_tasks": [
            {
                "task_id": t.bpmn_id,
                "name": t.name,
                "lane": t.lane,
                "form": {"schema": bundle.form(t.form_file), "ui_schema": bundle.form(t.ui_file) or {}},
            }
            for t in bundle.user_tasks.values()
        ],
    }


def version_row(session: Session, key: str, version: int | None = None) -> ProcessVersion:
    """One version of a process (the newest without ``version``); ``NotFound`` otherwise."""
    if version is None:
        return latest_version(session, key)
    row = session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(f"process '{key}' has no version {version}")
    return row


def process_bpmn(session: Session, key: str, version: int | None = None) -> bytes:
    row = version_row(session, key, version)
    file = session.get(ModelFile, row.manifest[row.bpmn_file])
    assert file is not None
    return file.content


def process_file(session: Session, key: str, name: str, version: int | None = None) -> tuple[bytes, str]:
    """One file of a version as stored, with its media type; ``NotFound`` for a name not in it."""
    row = version_row(session, key, version)
    sha = row.manifest.get(name)
    if sha is None:
        raise NotFound(f"version {row.version} of '{key}' has no file '{name}'")
    file = session.get(ModelFile, sha)
    assert file is not None
    return file.content, "application/json" if file.kind == "form" else "application/xml"


def process_catalogue(session: Session) -> list[dict[str, Any]]:
    """Every deployed process with all its versions, newest first, and the cases open on each.

    Two queries whatever the number of processes: the versions, and the open cases per version.
    """
    running = dict(
        session.execute(
            select(Case.process_version_id, func.count(Case.id))
            .where(Case.status.in_(("running", "suspended", "error")))
            .group_by(Case.process_version_id)
        ).all()
    )
    catalogue: dict[str, dict[str, Any]] = {}
    for v in session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version.desc())
    ):
        entry = catalogue.setdefault(
            v.key, {"key": v.key, "name": v.name, "versions": [], "running_cases": 0}
        )
        entry["versions"].append({**_version_view(v), "running_cases": running.get(v.id, 0)})
        entry["running_cases"] += running.get(v.id, 0)
    return list(catalogue.values())


def deployed_form_names(session: Session) -> list[str]:
    """The form files the newest versions use (what a model may name without uploading it again)."""
    names: set[str] = set()
    for version in session.scalars(select(ProcessVersion)):
        names.update(n for n in version.manifest if n.endswith(".json") and ".camunda-" not in n)
    return sorted(names)
