"""The case row locked for a step, and what is read under that lock (its timers, its open items)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import NotFound
from workflows.models import Case, Timer, WorkItem
from workflows.permissions import OPEN


def lock_case(session: Session, case_id: int, *, skip_locked: bool = False) -> Case | None:
    query = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    query = query.with_for_update(skip_locked=skip_locked, of=Case)
    return session.scalars(query).first()


def require_case(session: Session, case_id: int) -> Case:
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def lock_case_of_item(session: Session, work_item_id: int) -> Case | None:
    """The case a work item belongs to, locked, in one statement (None when there is no such item)."""
    of_item = select(WorkItem.case_id).where(WorkItem.id == work_item_id).scalar_subquery()
    query = select(Case).where(Case.id == of_item).execution_options(populate_existing=True)
    return session.scalars(query.with_for_update(of=Case)).first()


def timers_of(session: Session, case_id: int) -> list[Timer]:
    """The case's timer rows (read after its lock is held)."""
    query = select(Timer).where(Timer.case_id == case_id).order_by(Timer.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def open_items_of(session: Session, case_id: int) -> list[WorkItem]:
    """The case's open work items as they are now (read after its lock is held)."""
    query = select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.status.in_(OPEN))
    return list(session.scalars(query.order_by(WorkItem.id).execution_options(populate_existing=True)))
