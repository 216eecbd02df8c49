"""Deploying and checking model files as operations: the permission, the transaction, the lock.

``operations.deploy`` checks and stores inside the caller's transaction; these wrap it in one unit
of work. Several servers starting at once deploy the same models, so a deploy also takes a
PostgreSQL advisory lock (``DEPLOY_LOCK``) and they run one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from workflows.deploy.operations import DeployResults, deploy
from workflows.permissions import DEPLOY, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

DEPLOY_LOCK = 7461  # the advisory lock key every deploy takes (PostgreSQL)


def deploy_models(
    session: Session,
    rt: Runtime,
    uploads: Iterable[tuple[str, bytes]],
    actor: Actor,
    *,
    scenario_root: Path | None = None,
    force: bool = False,
) -> DeployResults:
    """Deploy the files, all or nothing; a new version only where something changed.

    With ``scenario_root``, a process whose own scenarios fail against the upload is refused
    (``Conflict``) unless ``force``: the process owner sees what breaks before it breaks.
    """
    actor.require(DEPLOY, "deploying")
    uploads = list(uploads)
    if scenario_root is not None and not force:
        from workflows.scenarios.service import refuse_failing_scenarios

        refuse_failing_scenarios(session, rt, uploads, scenario_root, actor)
    with unit_of_work(session, advisory_lock=DEPLOY_LOCK):
        return deploy(
            session, uploads, author=actor.username, now=rt.clock.now(), handler_names=rt.handler_names
        )


def validate_models(
    session: Session, rt: Runtime, uploads: Iterable[tuple[str, bytes]], actor: Actor
) -> DeployResults:
    """Check the files as a deploy would; nothing is stored, whatever the outcome."""
    actor.require(DEPLOY, "validating")
    try:
        return deploy(
            session,
            uploads,
            author=actor.username,
            now=rt.clock.now(),
            handler_names=rt.handler_names,
            dry_run=True,
        )
    finally:
        session.rollback()
