"""Filters a user keeps under a name: for the case list (``kind="cases"``) or the inbox (``"inbox"``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.errors import Conflict, Invalid, NotFound
from workflows.inbox.search import SEARCH_KEYS, search_from
from workflows.models import SavedFilter
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

FILTER_KEYS = ("process", "status", "customer_id", "tier", "overdue", "q")
INBOX_FILTER_KEYS = ("scope", "lane", "sort", *SEARCH_KEYS)
KINDS = {"cases": FILTER_KEYS, "inbox": INBOX_FILTER_KEYS}


def list_filters(session: Session, actor: Actor, kind: str = "cases") -> list[SavedFilter]:
    return list(
        session.scalars(
            select(SavedFilter)
            .where(SavedFilter.username == actor.username, SavedFilter.kind == kind)
            .order_by(SavedFilter.name)
        )
    )


def save_filter(
    session: Session, rt: Runtime, actor: Actor, name: Any, query: Any, kind: str = "cases"
) -> SavedFilter:
    """Keep ``query`` under ``name``; an inbox filter's values are checked as the inbox reads them."""
    if kind not in KINDS:
        raise Invalid("unknown kind", [{"field": "kind", "message": "must be cases or inbox"}])
    keys = KINDS[kind]
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name the filter", [{"field": "name", "message": "this field is required"}])
    if not isinstance(query, dict) or set(query) - set(keys):
        raise Invalid(
            "unknown filter", [{"field": "query", "message": "keys must be among " + ", ".join(keys)}]
        )
    if kind == "inbox":
        search_from(query)  # a value the inbox would refuse is refused now, naming its field
        if not all(isinstance(v, str) for v in query.values()):
            raise Invalid("bad filter", [{"field": "query", "message": "values must be text"}])
    with unit_of_work(session):
        row = SavedFilter(
            username=actor.username,
            name=name.strip()[:120],
            kind=kind,
            query=query,
            created_at=rt.clock.now(),
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"you already have a filter named '{name}'") from None
    return row


def delete_filter(session: Session, actor: Actor, filter_id: int) -> None:
    with unit_of_work(session):
        row = session.get(SavedFilter, filter_id)
        if row is None or row.username != actor.username:
            raise NotFound(f"filter {filter_id} does not exist")
        session.delete(row)
