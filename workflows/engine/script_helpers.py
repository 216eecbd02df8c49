"""Date and time helpers that BPMN scripts and expressions may call.

Scripts get these functions and nothing else from the outside world: no modules and no
``datetime`` classes (``datetime.now()`` would read the system clock instead of the engine's
clock, and datetime objects in task data do not survive JSON). Every value in and out is a
string in ISO 8601 form, so what a script stores in the case data is plain JSON.

"Local" means the agency time zone (Asia/Shanghai unless configured otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflows.engine.clock import current_clock


def script_helpers(timezone_name: str = "Asia/Shanghai") -> dict[str, object]:
    """The helper functions for scripts, reading ``current_clock()`` in ``timezone_name``."""
    zone = ZoneInfo(timezone_name)

    def local_now() -> datetime:
        return current_clock().now().astimezone(zone)

    def as_date(value: object, helper: str) -> date:
        if isinstance(value, datetime):
            return _aware(value, zone).astimezone(zone).date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return date.fromisoformat(value)
                return _aware(datetime.fromisoformat(value), zone).astimezone(zone).date()
            except ValueError:
                pass
        raise ValueError(f"{helper}(): {value!r} is not a date like '2026-12-01'")

    def now() -> str:
        """The current instant in the agency time zone, e.g. '2026-11-24T09:00:00+08:00'."""
        return local_now().isoformat()

    def today() -> str:
        """Today's local date, e.g. '2026-11-24'."""
        return local_now().date().isoformat()

    def local_instant(day: object, days: int = 0, time: str = "09:00") -> str:
        """The instant at local ``time`` on ``day`` shifted by ``days``: a timer due date."""
        shifted = as_date(day, "local_instant") + timedelta(days=days)
        try:
            clock_time = _parse_time(time)
        except ValueError:
            raise ValueError(f"local_instant(): {time!r} is not a time like '09:00'") from None
        return datetime.combine(shifted, clock_time, tzinfo=zone).isoformat()

    def add_hours(instant_iso: str, hours: float) -> str:
        """``instant_iso`` plus ``hours`` (real elapsed hours), in the agency time zone."""
        try:
            instant = _aware(datetime.fromisoformat(instant_iso), zone)
        except (TypeError, ValueError):
            raise ValueError(
                f"add_hours(): {instant_iso!r} is not an instant like '2026-11-24T09:00:00+08:00'"
            ) from None
        shifted = instant.astimezone(UTC) + timedelta(hours=hours)
        return shifted.astimezone(zone).isoformat()

    def add_days(day: object, n: int) -> str:
        """The date ``n`` days after ``day`` ('YYYY-MM-DD')."""
        return (as_date(day, "add_days") + timedelta(days=n)).isoformat()

    def days_between(a: object, b: object) -> int:
        """Whole days from date ``a`` to date ``b`` (negative when ``b`` is earlier)."""
        return (as_date(b, "days_between") - as_date(a, "days_between")).days

    helpers: dict[str, Callable[..., object]] = {
        "now": now,
        "today": today,
        "local_instant": local_instant,
        "add_hours": add_hours,
        "add_days": add_days,
        "days_between": days_between,
    }
    return dict(helpers)


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    """Read a naive datetime as agency local time."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _parse_time(value: str) -> time:
    parsed = time.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError(value)
    return parsed
