"""Instants and ISO 8601 durations as scenario files write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_DURATION = re.compile(r"^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(value: Any) -> timedelta:
    """``PT2H``, ``P1D``, ``P1DT12H``, ``-PT30M``: weeks, days, hours, minutes, seconds."""
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None or value in ("P", "-P", "PT", "-PT"):
        raise ValueError(f"'{value}' is not an ISO 8601 duration such as PT2H or P1D")
    sign, weeks, days, hours, minutes, seconds = match.groups()
    delta = timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(seconds or 0),
    )
    return -delta if sign else delta


def parse_instant(value: Any) -> datetime | None:
    """An instant with an offset, as UTC; None when ``value`` is not one."""
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if at.tzinfo is None:
        return None
    return at.astimezone(UTC)
