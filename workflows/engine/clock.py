"""The one clock that timers, due dates and SLA checks read.

SpiffWorkflow's timer classes call ``datetime.now(timezone.utc)`` themselves; the engine points
them at the clock that is active for the current step (see ``engine.use_clock``), so that
``flask timers run --at`` and the tests move time for every rule at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and for ``timers run --at``."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, **delta: float) -> datetime:
        self._at = self._at + timedelta(**delta)
        return self._at


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("clock instants must carry a time zone")
    return at.astimezone(UTC)


_active: ContextVar[Clock] = ContextVar("tripflow_clock", default=SystemClock())  # noqa: B039 - stateless


def current_clock() -> Clock:
    """The clock of the step running in this thread (the system clock outside a step)."""
    return _active.get()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the one every timer and script helper reads inside the block."""
    token = _active.set(clock)
    try:
        yield clock
    finally:
        _active.reset(token)
