"""Reading cases: lists with filters and cursor paging, history, documents. Index tables only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from workflows.cases import renditions
from workflows.cursors import decode_id_cursor
from workflows.errors import NotFound
from workflows.models import Case, Customer, Document, Event, WorkItem
from workflows.permissions import OPEN
from workflows.runtime import Runtime
from workflows.unit import unit_of_work


def list_cases(
    session: Session,
    rt: Runtime,
    *,
    process: str | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    tier: str | None = None,
    overdue: bool = False,
    q: str | None = None,
    trip_account_manager: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Case], str | None]:
    """Newest first; ``cursor`` is the id to continue below. ``tier`` is the customer's current tier.

    ``trip_account_manager``: the cases whose trip that account manager handles ("my trips"),
    read from the case data the planning step recorded.
    """
    query = select(Case).order_by(Case.id.desc()).limit(limit + 1)
    where = case_filter(
        rt,
        process=process,
        customer_id=customer_id,
        tier=tier,
        overdue=overdue,
        q=q,
        trip_account_manager=trip_account_manager,
    )
    query = query.where(*where)
    if status:
        query = query.where(Case.status == status)
    after = decode_id_cursor(cursor)
    if after is not None:
        query = query.where(Case.id < after)
    cases = list(session.scalars(query))
    next_cursor = str(cases[limit - 1].id) if len(cases) > limit else None
    return cases[:limit], next_cursor


def case_filter(
    rt: Runtime,
    *,
    process: str | None = None,
    customer_id: int | None = None,
    tier: str | None = None,
    overdue: bool = False,
    q: str | None = None,
    trip_account_manager: str | None = None,
) -> list[Any]:
    """The case-list conditions other than status, shared by the list and its status-tab counts so
    that a count always says how many cases that tab would list."""
    where: list[Any] = []
    if process:
        where.append(Case.process_key == process)
    if customer_id is not None:
        where.append(Case.customer_id == customer_id)
    if tier:
        # the customer's tier now (a tier change moves their cases); a case without a customer record
        # keeps the tier it started with
        where.append(
            or_(
                Case.customer_id.in_(select(Customer.id).where(Customer.tier == tier)),
                and_(Case.customer_id.is_(None), Case.customer_tier == tier),
            )
        )
    if overdue:
        where.append(
            exists().where(
                WorkItem.case_id == Case.id, WorkItem.status.in_(OPEN), WorkItem.due_at < rt.clock.now()
            )
        )
    if trip_account_manager:
        where.append(Case.data["trip_account_manager"].as_string() == trip_account_manager)
    if q:
        like = f"%{q}%"
        where.append(
            or_(Case.customer_name.ilike(like), Case.destination.ilike(like), Case.process_key.ilike(like))
        )
    return where


def status_counts(session: Session, rt: Runtime, **filters: Any) -> dict[str, int]:
    """``{status: number of cases}`` among the cases ``filters`` (as ``case_filter``) select: the
    status tabs' counts, in one grouped query."""
    query = select(Case.status, func.count()).where(*case_filter(rt, **filters)).group_by(Case.status)
    return {status: int(n) for status, n in session.execute(query)}


def current_tiers(session: Session, customer_ids: list[int | None]) -> dict[int, str]:
    """``{customer id: tier now}`` for the customers of a page of cases."""
    wanted = sorted({i for i in customer_ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(Customer.id, Customer.tier).where(Customer.id.in_(wanted))).all())


def case_history(
    session: Session, case_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Event], str | None]:
    if session.get(Case, case_id) is None:
        raise NotFound(f"case {case_id} does not exist")
    query = select(Event).where(Event.case_id == case_id).order_by(Event.id).limit(limit + 1)
    after = decode_id_cursor(cursor)
    if after is not None:
        query = query.where(Event.id > after)
    events = list(session.scalars(query))
    next_cursor = str(events[limit - 1].id) if len(events) > limit else None
    return events[:limit], next_cursor


def case_documents(session: Session, case_id: int) -> list[Document]:
    if session.get(Case, case_id) is None:
        raise NotFound(f"case {case_id} does not exist")
    return list(session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.id)))


def get_document(session: Session, case_id: int, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.case_id != case_id:
        raise NotFound(f"document {document_id} of case {case_id} does not exist")
    if renditions.is_pending(document):  # the worker has not made this PDF yet: make it now, once
        with unit_of_work(session):
            renditions.render(session, document)
    return document


def cases_by_id(session: Session, case_ids: list[int]) -> list[Case]:
    """The cases with these ids that exist, by id."""
    if not case_ids:
        return []
    return list(session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)))
