"""Inbox queries: indexed SQL over ``work_item``, never a workflow deserialised.

Paging is by cursor (the last row's sort key), so a page costs the same at 100 or 100,000 open
tasks; badges use a separate count query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, literal, or_, select, tuple_, union_all
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


NOW = bindparam("now", type_=WorkItem.sort_due.type)
SOON = bindparam("soon", type_=WorkItem.sort_due.type)
AFTER = tuple_(bindparam("after_due", type_=WorkItem.sort_due.type), bindparam("after_id", type_=Integer))


@cache
def bands(sort: str) -> tuple[Band, ...]:
    """The order ``sort`` names, as bands each read by one index range scan (``now`` and ``soon``
    are bound when the page is read).

    ``urgency``: overdue (by due), then due within the window (by due), then the rest (tier A first,
    then due). One ORDER BY over a CASE could not read an index in page order; three ranges can:
    the first two from ``(status, lane, sort_due, id)``, the last (one tier at a time) from
    ``(status, lane, priority, sort_due, id)``.
    """
    if sort == "tier":
        return (Band(0, (), True),)
    if sort == "due":
        return (Band(0, (), False),)
    return (
        Band(0, (WorkItem.sort_due < NOW,), False),
        Band(1, (WorkItem.sort_due >= NOW, WorkItem.sort_due < SOON), False),
        Band(2, (WorkItem.sort_due >= SOON,), True),
    )


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


@dataclass(frozen=True)
class Part:
    """One index range of a page: a band, one tier of it (``None``: every tier), and whether it
    continues after the cursor's row rather than from its start."""

    band: int
    priority: int | None
    continues: bool


def _parts(sort: str, after: tuple[Any, ...] | None) -> tuple[Part, ...]:
    """The ranges a page reads: every band and tier from where the cursor stopped on."""
    out = []
    for band in bands(sort):
        if after is not None and after[1] > band.number:
            continue  # every row of this band was on earlier pages
        for priority in PRIORITIES if band.by_tier else (None,):
            continues = after is not None and after[1] == band.number
            if priority is not None and continues:
                if after[2] > priority:
                    continue  # this tier of the band was on earlier pages
                continues = after[2] == priority
            out.append(Part(band.number, priority, continues))
    return tuple(out)


def _lanes(scope: str, actor: Actor, lane: str | None) -> tuple[str | None, ...]:
    """The scans of a scope: one per lane of the group inbox, one (``None``) for my own tasks."""
    if scope == "mine":
        return (None,)
    if scope != "group":
        raise Invalid("unknown scope", [{"field": "scope", "message": "must be mine or group"}])
    if lane is None:
        return tuple(sorted(actor.roles))
    return (lane,) if lane in actor.roles else ()


def _scan_filter(lanes: tuple[str | None, ...]) -> object:
    """The rows of a scope's scan: my own tasks (``username`` bound) for ``(None,)``, else the
    unclaimed tasks of ``lanes`` (one lane per scan of a page; all of them for a badge)."""
    if lanes == (None,):
        return or_(
            and_(WorkItem.claimed_by == bindparam("username"), WorkItem.status == "claimed"),
            and_(WorkItem.assignee == bindparam("username"), WorkItem.status == "ready"),
        )
    lane = WorkItem.lane == lanes[0] if len(lanes) == 1 else WorkItem.lane.in_(lanes)
    return and_(WorkItem.status == "ready", WorkItem.assignee.is_(None), lane)


@lru_cache(maxsize=512)
def _page_statement(
    sort: str, lanes: tuple[str | None, ...], parts: tuple[Part, ...], limit: int, search: InboxSearch
) -> Any:
    """The SQL of one page shape, built once: a page differs from the next of its shape only in the
    bound instant, cursor and user. Building the union of sub-selects costs more than running it."""
    wanted = search.clauses(NOW)
    where_of = {band.number: band.where for band in bands(sort)}
    scans = []
    for part in parts:
        tier = (WorkItem.priority == part.priority,) if part.priority is not None else ()
        for lane in lanes:
            scan = select(
                WorkItem.id,
                literal(part.band, Integer).label("band"),
                literal(part.priority or 0, Integer).label("key"),
                WorkItem.sort_due,
            ).where(_scan_filter((lane,)), *where_of[part.band], *tier, *wanted)
            if part.continues:
                scan = scan.where(tuple_(WorkItem.sort_due, WorkItem.id) > AFTER)
            order = (WorkItem.sort_due, WorkItem.id)
            scans.append(scan.order_by(*order).limit(limit + 1).subquery().select())
    merged = union_all(*scans).subquery() if len(scans) > 1 else scans[0].subquery()
    page_ids = (
        select(merged.c.id)
        .order_by(merged.c.band, merged.c.key, merged.c.sort_due, merged.c.id)
        .limit(limit + 1)
    )
    return select(WorkItem).where(WorkItem.id.in_(page_ids))


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
    lanes = _lanes(scope, actor, lane)
    parts = _parts(sort, after)
    if not lanes or not parts:
        return [], None
    statement = _page_statement(sort, lanes, parts, limit, search or InboxSearch())
    params = {"username": actor.username, "now": now, "soon": now + window}
    if after is not None:
        params.update(after_due=after[3], after_id=after[4])
    items = sorted(
        session.scalars(statement, params),
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
    lanes = _lanes(scope, actor, lane)
    if not lanes:
        return 0
    matching = select(WorkItem.id).where(_scan_filter(lanes))
    if cap is not None:
        matching = matching.limit(cap)
    counted = select(func.count()).select_from(matching.subquery())
    return int(session.scalar(counted, {"username": actor.username}) or 0)


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
