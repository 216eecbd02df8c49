"""Inbox queries: indexed SQL over ``work_item``, never a workflow deserialised.

Paging is by cursor (the last row's sort key), so a page costs the same at 100 or 100,000 open
tasks; badges use a separate count query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from workflows.cursors import (
    INBOX_SORTS,
    decode_inbox_cursor,
    decode_sort_cursor,
    encode_inbox_cursor,
    encode_sort_cursor,
)
from workflows.customers.operations import TIER_PRIORITY
from workflows.errors import Invalid
from workflows.inbox.search import InboxSearch
from workflows.models import ProcessVersion, WorkItem
from workflows.permissions import OPEN, SUPERVISE, Actor
from workflows.runtime import Runtime

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
    """A team-list cursor: (priority, due, id) of the last row."""
    return encode_sort_cursor(item.priority, item.sort_due, item.id)


PAGE_ORDER = (WorkItem.priority, WorkItem.sort_due, WorkItem.id)
SORTS = INBOX_SORTS
ESCALATION_WINDOW = timedelta(hours=4)  # the default; webapp/config.py's INBOX_ESCALATION_HOURS sets it


PRIORITIES = sorted(set(TIER_PRIORITY.values()))  # 0 = tier A


@dataclass(frozen=True)
class Band:
    """One slice of an inbox order: rows with ``number`` come before the next band's; inside it rows
    go by ``priority`` (when ``by_tier``), then due, then id.

    A tier-ordered band is read one priority at a time (``priority = p``, by due): an equality and a
    range on ``(status, lane, priority, sort_due, id)`` that SQLite and PostgreSQL both read in order,
    where ``ORDER BY priority, sort_due`` with a range on ``sort_due`` let SQLite sort every row."""

    number: int
    where: tuple[Any, ...]
    by_tier: bool


def bands(sort: str, now: datetime, window: timedelta) -> list[Band]:
    """The order ``sort`` names, as bands each read by one index range scan.

    ``urgency``: overdue (by due), then due within ``window`` (by due), then the rest (tier A first,
    then due). One ORDER BY over a CASE could not read an index in page order; three ranges can:
    the first two from ``(status, lane, sort_due, id)``, the last (one tier at a time) from
    ``(status, lane, priority, sort_due, id)``.
    """
    if sort == "tier":
        return [Band(0, (), True)]
    if sort == "due":
        return [Band(0, (), False)]
    soon = now + window
    return [
        Band(0, (WorkItem.sort_due < now,), False),
        Band(1, (WorkItem.sort_due >= now, WorkItem.sort_due < soon), False),
        Band(2, (WorkItem.sort_due >= soon,), True),
    ]


def _band_of(item: WorkItem, sort: str, now: datetime, window: timedelta) -> tuple[int, int]:
    """The (band, key) of a row, as ``bands`` ordered it: what the next page's cursor continues from."""
    if sort == "tier":
        return 0, item.priority
    if sort == "due":
        return 0, 0
    if item.sort_due < now:
        return 0, 0
    if item.sort_due < now + window:
        return 1, 0
    return 2, item.priority


def list_tasks(
    session: Session,
    actor: Actor,
    scope: str,
    *,
    now: datetime,
    sort: str = "urgency",
    search: InboxSearch | None = None,
    lane: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    window: timedelta = ESCALATION_WINDOW,
) -> tuple[list[WorkItem], str | None]:
    """One page of the inbox in ``sort`` order (default urgency), narrowed by ``search``; returns the
    items and the next cursor.

    Each (lane, band) reads at most one page from an index, and the page is merged from those: one
    query with ``lane IN (...)`` or a CASE in ORDER BY would make the database fetch and sort every
    ready task, a cost growing with the number of open cases.
    """
    if sort not in SORTS:
        raise Invalid("unknown sort", [{"field": "sort", "message": "must be one of " + ", ".join(SORTS)}])
    after = decode_inbox_cursor(cursor, sort)
    if after is not None:
        now = after[0]  # bands as the first page saw them
    wanted = (search or InboxSearch()).clauses(now)
    if scope == "group" and lane is None:
        scopes = [_scope_filter(scope, actor, one) for one in sorted(actor.roles)]
    else:
        scopes = [_scope_filter(scope, actor, lane)]
    parts = []
    for band in bands(sort, now, window):
        if after is not None and after[1] > band.number:
            continue  # every row of this band was on earlier pages
        for priority in PRIORITIES if band.by_tier else (None,):
            keys = after[3:] if after is not None and after[1] == band.number else None
            if priority is not None and keys is not None:
                if after[2] > priority:
                    continue  # this tier of the band was on earlier pages
                if after[2] < priority:
                    keys = None
            tier = (WorkItem.priority == priority,) if priority is not None else ()
            for where in scopes:
                part = select(
                    WorkItem.id,
                    literal(band.number, Integer).label("band"),
                    literal(priority or 0, Integer).label("key"),
                    WorkItem.sort_due,
                ).where(where, *band.where, *tier, *wanted)
                if keys is not None:
                    part = part.where(tuple_(WorkItem.sort_due, WorkItem.id) > keys)
                order = (WorkItem.sort_due, WorkItem.id)
                parts.append(part.order_by(*order).limit(limit + 1).subquery().select())
    if not parts:
        return [], None
    merged = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    page_ids = (
        select(merged.c.id)
        .order_by(merged.c.band, merged.c.key, merged.c.sort_due, merged.c.id)
        .limit(limit + 1)
    )
    query = select(WorkItem).where(WorkItem.id.in_(page_ids))
    items = sorted(
        session.scalars(query),
        key=lambda i: (*_band_of(i, sort, now, window), i.sort_due, i.id),
    )[: limit + 1]
    next_cursor = None
    if len(items) > limit:
        last = items[limit - 1]
        band_number, key = _band_of(last, sort, now, window)
        next_cursor = encode_inbox_cursor(sort, now, band_number, key, last.sort_due, last.id)
    return items[:limit], next_cursor


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


def task_choices(
    session: Session, rt: Runtime, roles: frozenset[str] | None = None
) -> list[tuple[str, str, str]]:
    """``(process, task id, task name)`` of every user task of every newest process version (in a lane
    of ``roles`` when given): what an inbox's task filter offers."""
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    versions = session.scalars(
        select(ProcessVersion).join(
            newest, (ProcessVersion.key == newest.c.key) & (ProcessVersion.version == newest.c.v)
        )
    )
    out = []
    for version in versions:
        for info in rt.specs.get(session, version).user_tasks.values():
            if roles is None or info.lane is None or info.lane in roles:
                out.append((version.key, info.bpmn_id, info.name))
    return sorted(set(out))
