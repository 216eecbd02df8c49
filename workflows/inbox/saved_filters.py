"""Case-list filters a user keeps under a name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.errors import Conflict, Invalid, NotFound
from workflows.models import SavedFilter
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

FILTER_KEYS = ("process", "status", "customer_id", "tier", "overdue", "q")


def list_filters(session: Session, actor: Actor) -> list[SavedFilter]:
    return list(
        session.scalars(
            select(SavedFilter).where(SavedFilter.username == actor.username).order_by(SavedFilter.name)
        )
    )


def save_filter(session: Session, rt: Runtime, actor: Actor, name: Any, query: Any) -> SavedFilter:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name the filter", [{"field": "name", "message": "this field is required"}])
    if not isinstance(query, dict) or set(query) - set(FILTER_KEYS):
        raise Invalid(
            "unknown filter", [{"field": "query", "message": "keys must be among " + ", ".join(FILTER_KEYS)}]
        )
    with unit_of_work(session):
        row = SavedFilter(
            username=actor.username, name=name.strip()[:120], query=query, created_at=rt.clock.now()
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
