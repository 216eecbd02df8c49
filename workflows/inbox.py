"""Inbox queries: indexed SQL over ``work_item``, never a workflow deserialised.

Paging is by cursor (the last row's sort key), so a page costs the same at 100 or 100,000 open
tasks; badges use a separate count query.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from .errors import Invalid
from .models import WorkItem
from .permissions import Actor

SCOPES = ("mine", "group")


def _scope_filter(scope: str, actor: Actor, lane: str | None) -> object:
    if scope == "mine":
        return or_(
            and_(WorkItem.claimed_by == actor.username, WorkItem.status == "claimed"),
            and_(WorkItem.assignee == actor.username, WorkItem.status == "ready"),
        )
    if scope != "group":
        raise Invalid("unknown scope", [{"field": "scope", "message": "must be mine or group"}])
    lanes = sorted(actor.roles) if lane is None else ([lane] if lane in actor.roles else [])
    return and_(WorkItem.status == "ready", WorkItem.assignee.is_(None), WorkItem.lane.in_(lanes))


def encode_cursor(item: WorkItem) -> str:
    raw = json.dumps([item.priority, item.sort_due.isoformat(), item.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        priority, due, item_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(priority), datetime.fromisoformat(due), int(item_id)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid("bad cursor", [{"field": "cursor", "message": "is not a cursor this server gave"}]) from exc


def list_tasks(session: Session, actor: Actor, scope: str, *, lane: str | None = None, cursor: str | None = None,
               limit: int = 50) -> tuple[list[WorkItem], str | None]:
    """One page of the inbox, tier A first, then by due date; returns the items and the next cursor."""
    query: Select[tuple[WorkItem]] = select(WorkItem).where(_scope_filter(scope, actor, lane))
    if cursor:
        query = query.where(tuple_(WorkItem.priority, WorkItem.sort_due, WorkItem.id) > _decode_cursor(cursor))
    query = query.order_by(WorkItem.priority, WorkItem.sort_due, WorkItem.id).limit(limit + 1)
    items = list(session.scalars(query))
    next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
    return items[:limit], next_cursor


def count_tasks(session: Session, actor: Actor, scope: str, lane: str | None = None) -> int:
    return int(session.scalar(select(func.count()).select_from(WorkItem)
                              .where(_scope_filter(scope, actor, lane))) or 0)
