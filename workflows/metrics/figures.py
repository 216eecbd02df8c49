"""What every metric returns and reads: the ``Figure``, the ``Scope``, and the statistics helpers.

Medians and percentiles are computed in Python over the selected values (portable across SQLite
and PostgreSQL); a figure without data has ``value`` None and a ``reason``, never a division by
zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.engine.today import local_date
from workflows.metrics.periods import Period


@dataclass
class Figure:
    """One metric for one period, as ``GET /api/v1/metrics`` shows it."""

    value: Any
    unit: str
    n: int
    target: float | None = None
    target_text: str | None = None
    met: bool | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "target": self.target, "unit": self.unit, "n": self.n}
        if self.target_text:
            out["target_text"] = self.target_text
        if self.target is not None or self.met is not None:
            out["met"] = self.met
        if self.reason:
            out["reason"] = self.reason
        out.update(self.details)
        return out


@dataclass(frozen=True)
class Scope:
    """What every metric function reads: the session, the period, and 'now' (for open items)."""

    session: Session
    period: Period
    now: datetime
    cache: dict[str, Any] = field(
        default_factory=dict, compare=False, repr=False
    )  # selections shared by metrics

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    @property
    def today(self) -> date:
        return local_date(self.now, self.period.timezone)


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (``q`` = 0.5 is the median); ``None`` when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600.0


def spread(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "median_hours": rounded(percentile(values, 0.5)),
        "p90_hours": rounded(percentile(values, 0.9)),
    }


def no_data(
    unit: str, reason: str, target: float | None = None, target_text: str | None = None, **details: Any
) -> Figure:
    return Figure(None, unit, 0, target=target, target_text=target_text, reason=reason, details=details)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
