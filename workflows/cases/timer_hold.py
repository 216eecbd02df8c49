"""Holding the timers: one process (the demo's simulated year) fires timers while others wait.

The demo moves a simulated clock through a past year and fires each timer at its simulated
instant. A timer worker running beside it reads the real clock, to which every simulated timer
is long due: left alone it would fire them all at once, at the wrong time. So the demo takes a
lease (``hold_timers``); while any lease but the caller's own is unexpired, ``due_timer_cases``
finds nothing, ``run_schedules`` starts nothing and the worker's round (deadline notices
included) waits. The lease is on the wall clock, never the simulated one, and runs out by
itself should its holder die, so a killed demo cannot stop the timers for good.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows.models import TimerHold
from workflows.unit import unit_of_work

LEASE = timedelta(minutes=5)


def _wall_now() -> datetime:
    return datetime.now(UTC)


def hold_timers(session: Session, holder: str, lease: timedelta = LEASE) -> None:
    """Take (or renew) the lease ``holder`` for ``lease`` of wall-clock time. Commits."""
    with unit_of_work(session):
        row = session.get(TimerHold, holder)
        if row is None:
            session.add(TimerHold(holder=holder, until=_wall_now() + lease))
        else:
            row.until = _wall_now() + lease


def release_timers(session: Session, holder: str) -> None:
    """Give the lease back: the timer worker fires what is due from its next round. Commits."""
    with unit_of_work(session):
        session.execute(delete(TimerHold).where(TimerHold.holder == holder))


def timers_held(session: Session, holder: str | None = None) -> bool:
    """Whether someone other than ``holder`` holds the timers now (an unexpired lease)."""
    query = select(TimerHold.holder).where(TimerHold.until > _wall_now())
    if holder is not None:
        query = query.where(TimerHold.holder != holder)
    return session.scalars(query.limit(1)).first() is not None
