"""Inbox queries: indexed SQL over ``work_item``, never a workflow deserialised.

Paging is by cursor (the last row's sort key), so a page costs the same at 100 or 100,000 open
tasks; badges use a separate count query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from workflows.cursors import decode_sort_cursor, encode_sort_cursor
from workflows.errors import Invalid
from workflows.models import WorkItem
from workflows.permissions import OPEN, SUPERVISE, Actor

SCOPES = ("mine", "group")
BADGE_CAP = 1000  # counting stops here, so a badge costs the same at any inbox size ("999+")


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
    return encode_sort_cursor(item.priority, item.sort_due, item.id)


def list_tasks(
    session: Session,
    actor: Actor,
    scope: str,
    *,
    lane: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[WorkItem], str | None]:
    """One page of the inbox, tier A first, then by due date; returns the items and the next cursor."""
    after = decode_sort_cursor(cursor)
    lanes = sorted(actor.roles) if scope == "group" and lane is None else []
    if len(lanes) > 1:
        query = _merged_lanes(lanes, after, limit)
    else:
        query = select(WorkItem).where(_scope_filter(scope, actor, lane))
        if after is not None:
            query = query.where(tuple_(*PAGE_ORDER) > after)
        query = query.order_by(*PAGE_ORDER).limit(limit + 1)
    items = list(session.scalars(query))
    next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
    return items[:limit], next_cursor


PAGE_ORDER = (WorkItem.priority, WorkItem.sort_due, WorkItem.id)


def _merged_lanes(
    lanes: list[str], after: tuple[int, datetime, int] | None, limit: int
) -> Select[tuple[WorkItem]]:
    """A page over several lanes: each lane's first rows in index order, then merged.

    One query with ``lane IN (...)`` cannot read the (status, lane, priority, due) index in page order
    across lanes, so PostgreSQL would fetch and sort every ready task of those lanes: a cost growing
    with the number of open cases. Here each lane reads at most one page from the index.
    """
    parts = []
    for one in lanes:
        part = select(WorkItem.id).where(
            WorkItem.status == "ready", WorkItem.assignee.is_(None), WorkItem.lane == one
        )
        if after is not None:
            part = part.where(tuple_(*PAGE_ORDER) > after)
        parts.append(part.order_by(*PAGE_ORDER).limit(limit + 1).subquery().select())
    first_rows = union_all(*parts).subquery()
    query = select(WorkItem).where(WorkItem.id.in_(select(first_rows.c.id)))
    return query.order_by(*PAGE_ORDER).limit(limit + 1)


def count_tasks(
    session: Session, actor: Actor, scope: str, lane: str | None = None, *, cap: int | None = None
) -> int:
    """How many tasks a scope holds, for badges.

    An exact count reads every matching row, so it grows with the number of open tasks; with ``cap``
    counting stops there (a badge then shows e.g. "999+") and costs the same at any size.
    """
    matching = select(WorkItem.id).where(_scope_filter(scope, actor, lane))
    if cap is not None:
        matching = matching.limit(cap)
    return int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)


# --- the team: every open task, for a supervisor ----------------------------------------------------


def _team_filter(lane: str | None) -> object:
    query = WorkItem.status.in_(OPEN)
    return and_(query, WorkItem.lane == lane) if lane else query


def team_tasks(
    session: Session, actor: Actor, *, lane: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[WorkItem], str | None]:
    """Every open task of every lane (or of ``lane``), held or not, in inbox order: what a supervisor
    hands around. ``Forbidden`` for anyone else; ``Invalid`` for a cursor this server did not give."""
    actor.require(SUPERVISE, "seeing the team's tasks")
    query = select(WorkItem).where(_team_filter(lane))
    if cursor:
        query = query.where(tuple_(*PAGE_ORDER) > decode_sort_cursor(cursor))
    items = list(session.scalars(query.order_by(*PAGE_ORDER).limit(limit + 1)))
    next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
    return items[:limit], next_cursor


def count_team_tasks(session: Session, actor: Actor, *, cap: int | None = BADGE_CAP) -> int:
    """How many tasks are open in every lane, counted up to ``cap`` like the other badges."""
    actor.require(SUPERVISE, "counting the team's tasks")
    matching = select(WorkItem.id).where(_team_filter(None))
    if cap is not None:
        matching = matching.limit(cap)
    return int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
