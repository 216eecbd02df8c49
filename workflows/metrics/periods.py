"""Periods of the quarterly review: quarters, months and date ranges in the agency's time zone.

A period is a range of calendar days, both ends included; ``period_from_query`` reads one from
``?quarter=`` or ``?from=&to=`` and names the bad field when it cannot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows.errors import Invalid

QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Calendar days ``first``..``last`` (both included) in the agency's time zone."""

    first: date
    last: date
    timezone: str = "Asia/Shanghai"
    quarter: str | None = None

    @property
    def start_at(self) -> datetime:
        """The first instant of the period (local midnight of ``first``), in UTC."""
        return _local_midnight(self.first, self.timezone)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period (local midnight after ``last``), in UTC."""
        return _local_midnight(self.last + timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        return self.quarter or f"{self.first.isoformat()} – {self.last.isoformat()}"

    def previous(self) -> Period:
        """The quarter before a quarter; otherwise the same number of days just before."""
        if self.quarter:
            year, number = int(self.quarter[:4]), int(self.quarter[-1])
            return quarter_period(f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}", self.timezone)
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.timezone)

    def year_before(self) -> Period:
        quarter = f"{int(self.quarter[:4]) - 1}{self.quarter[4:]}" if self.quarter else None
        return Period(_minus_year(self.first), _minus_year(self.last), self.timezone, quarter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "quarter": self.quarter,
            "label": self.label,
        }


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def quarter_period(text: str, zone: str = "Asia/Shanghai") -> Period:
    """``2026Q3`` → 1 July – 30 September 2026; raises ``Invalid`` naming the field ``quarter``."""
    match = QUARTER.match(text.strip()) if isinstance(text, str) else None
    if match is None or not 1900 <= int(match.group(1)) <= 2999:
        raise Invalid("bad quarter", [{"field": "quarter", "message": "must be a quarter like 2026Q3"}])
    year, number = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * number - 2, 1)
    last = (date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)) - timedelta(days=1)
    return Period(first, last, zone, f"{year}Q{number}")


def quarter_of(day: date, zone: str = "Asia/Shanghai") -> Period:
    return quarter_period(f"{day.year}Q{(day.month - 1) // 3 + 1}", zone)


def previous_quarter(day: date, zone: str = "Asia/Shanghai") -> Period:
    """The last full quarter before the one ``day`` falls in (what the quarterly review freezes)."""
    return quarter_of(day, zone).previous()


def month_periods(last: date, months: int, zone: str = "Asia/Shanghai") -> list[Period]:
    """The ``months`` calendar months ending with the month of ``last``, oldest first."""
    periods = []
    year, month = last.year, last.month
    for _ in range(months):
        first = date(year, month, 1)
        end = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
        periods.append(Period(first, end, zone))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return periods[::-1]


def period_from_query(args: Mapping[str, str], zone: str, today: date) -> Period:
    """``?quarter=2026Q3`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD``; neither: the quarter of ``today``.

    Raises ``Invalid`` with one detail per bad field (``quarter``, ``from``, ``to``).
    """
    quarter, first, last = args.get("quarter"), args.get("from"), args.get("to")
    if quarter:
        if first or last:
            raise Invalid(
                "give a quarter or a date range, not both",
                [{"field": "quarter", "message": "leave out from and to when giving a quarter"}],
            )
        return quarter_period(quarter, zone)
    if not first and not last:
        return quarter_of(today, zone)
    errors = []
    days: dict[str, date] = {}
    for name, raw in (("from", first), ("to", last)):
        if not raw:
            errors.append({"field": name, "message": "give both from and to (YYYY-MM-DD)"})
            continue
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError
            days[name] = date.fromisoformat(raw)
        except ValueError:
            errors.append({"field": name, "message": "must be a date YYYY-MM-DD"})
    if not errors and days["to"] < days["from"]:
        errors.append({"field": "to", "message": "must not be before from"})
    if not errors and (days["to"] - days["from"]).days >= MAX_PERIOD_DAYS:
        errors.append({"field": "to", "message": f"a period spans at most {MAX_PERIOD_DAYS} days"})
    if errors:
        raise Invalid("bad period", errors)
    return Period(days["from"], days["to"], zone)
