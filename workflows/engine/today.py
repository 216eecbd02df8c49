"""Calendar days in the agency's time zone, read from the one clock."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from workflows.engine.clock import Clock


def local_today(clock: Clock, timezone_name: str) -> date:
    return clock.now().astimezone(ZoneInfo(timezone_name)).date()
