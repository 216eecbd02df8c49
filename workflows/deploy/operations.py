"""Deploying models: check every file together, then store a new version only where content changed.

Identical content never makes a new version. The upload is laid over what is deployed
(``pool``), each affected process is checked and assembled with what it calls (``plan``), and
only when nothing is wrong are the new files and versions stored here. The run-time side, parsing
a stored version into runnable specs, is ``workflows.engine.spec_cache``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.deploy.canonical import layout_hash
from workflows.deploy.plan import Checker, Plan, model_hash
from workflows.deploy.pool import deployed_pool, read_uploads
from workflows.deploy.problems import ModelProblem
from workflows.deploy.queries import latest_versions
from workflows.engine.xml import file_kind, is_dmn, parse_model_xml
from workflows.errors import InvalidModel, TooLarge
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
    layout_updated: bool = False  # same model, new diagram layout: stored with the current version

    def as_dict(self) -> dict[str, Any]:
        """The deploy answer's item; ``layout_updated`` only where the drawing was replaced."""
        item: dict[str, Any] = {"key": self.key, "version": self.version, "created": self.created}
        if self.layout_updated:
            item["layout_updated"] = True
        return item


class DeployResults(list[DeployResult]):
    """The versions a deploy made or found, plus notes: what was read but not used, and why."""

    def __init__(
        self, results: Iterable[DeployResult] = (), notes: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(results)
        self.notes = notes or []


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
    pool = deployed_pool(session)
    problems: list[ModelProblem] = []
    notes: list[ModelProblem] = []
    uploaded_keys = read_uploads(pool, uploads, problems, notes)

    latest = latest_versions(session)
    checker = Checker(pool, handler_names, roles)
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
    plans: list[Plan] = []
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
        if current is not None and _same_model(session, current, plan, dry_run):
            moved = _moved_layout(session, current, plan)
            if plan.key in uploaded_keys:
                results.append(
                    DeployResult(plan.key, current.version, created=False, layout_updated=bool(moved))
                )
            if moved and plan.key in uploaded_keys and not dry_run:
                # the same model drawn differently: keep the drawing, under the same version number
                _store_files(session, plan, moved)
                current.manifest = {**current.manifest, **moved}
            continue
        version = (current.version if current else 0) + 1
        results.append(DeployResult(plan.key, version, created=True))
        if dry_run:
            continue
        _store_files(session, plan, plan.manifest)
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
                translation_notes=version_notes(results.notes, plan) or None,
            )
        )
        session.flush()
    session.flush()
    return results


def _same_model(session: Session, current: ProcessVersion, plan: Plan, dry_run: bool) -> bool:
    """Whether the planned version means what ``current`` means.

    A version stored before hashes were canonical carries the hash of its bytes: its own files are
    hashed again the canonical way, and the hash is brought up to date when they agree.
    """
    if current.content_hash == plan.content_hash:
        return True
    stored: dict[str, bytes] = {}
    for name in plan.own_manifest:
        sha = current.manifest.get(name)
        row = session.get(ModelFile, sha) if sha else None
        if row is None:
            return False
        stored[name] = row.content
    if model_hash(stored) != plan.content_hash:
        return False
    if not dry_run:
        current.content_hash = plan.content_hash
    return True


def _moved_layout(session: Session, current: ProcessVersion, plan: Plan) -> dict[str, str]:
    """The version's own files whose diagram layout differs from the stored one (name -> new sha).

    Bytes that differ only in formatting keep the stored file: nothing was drawn differently.
    """
    moved = {}
    for name, sha in plan.own_manifest.items():
        stored_sha = current.manifest.get(name)
        if stored_sha == sha:
            continue
        row = session.get(ModelFile, stored_sha) if stored_sha else None
        if row is None or layout_hash(name, row.content) != layout_hash(name, plan.files[name]):
            moved[name] = sha
    return moved


def _store_files(session: Session, plan: Plan, manifest: dict[str, str]) -> None:
    for file_name, sha in manifest.items():
        if session.get(ModelFile, sha) is None:
            session.add(
                ModelFile(
                    sha256=sha,
                    name=file_name,
                    kind=_stored_kind(file_name, plan.files[file_name]),
                    content=plan.files[file_name],
                )
            )


def _stored_kind(name: str, content: bytes) -> str:
    kind = file_kind(name)
    if kind == "xml":
        return "dmn" if is_dmn(parse_model_xml(content)) else "bpmn"
    return kind or "form"


def version_notes(notes: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    """The deploy's notes about this version's own files: kept with it, as the workbench shows them."""
    return [n for n in notes if n.get("file") in plan.own_manifest]


def _root_file(plan: Plan) -> str:
    return next(iter(plan.files))
