"""Calendar days in the agency's time zone, read from the one clock: the one place that turns an
instant into the agency's date (handlers, schedules, customer cards and reports all ask here)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from workflows.engine.clock import Clock


def local_date(instant: datetime, timezone_name: str) -> date:
    """The agency's calendar date at ``instant``."""
    return instant.astimezone(ZoneInfo(timezone_name)).date()


def local_today(clock: Clock, timezone_name: str) -> date:
    return local_date(clock.now(), timezone_name)
