"""The case row locked for a step, and what is read under that lock (its timers, its open items)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
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


# built once: a step runs these three every time, and building a statement costs more than its
# compiled form's cache lookup (the values are bound per call)
_CASE_OF_ITEM = (
    select(Case)
    .where(Case.id == select(WorkItem.case_id).where(WorkItem.id == bindparam("item_id")).scalar_subquery())
    .execution_options(populate_existing=True)
    .with_for_update(of=Case)
)
_TIMERS = (
    select(Timer)
    .where(Timer.case_id == bindparam("case_id"))
    .order_by(Timer.id)
    .execution_options(populate_existing=True)
)
_OPEN_ITEMS = (
    select(WorkItem)
    .where(WorkItem.case_id == bindparam("case_id"), WorkItem.status.in_(OPEN))
    .order_by(WorkItem.id)
    .execution_options(populate_existing=True)
)


def lock_case_of_item(session: Session, work_item_id: int) -> Case | None:
    """The case a work item belongs to, locked, in one statement (None when there is no such item)."""
    return session.scalars(_CASE_OF_ITEM, {"item_id": work_item_id}).first()


def timers_of(session: Session, case_id: int) -> list[Timer]:
    """The case's timer rows (read after its lock is held)."""
    return list(session.scalars(_TIMERS, {"case_id": case_id}))


def open_items_of(session: Session, case_id: int) -> list[WorkItem]:
    """The case's open work items as they are now (read after its lock is held)."""
    return list(session.scalars(_OPEN_ITEMS, {"case_id": case_id}))
