"""Paging cursors, made and read in one place, so that none can reach the database out of range.

A cursor comes back from the client: it may be edited, guessed or fuzzed. Every value read from it
becomes a bind parameter, and PostgreSQL refuses an ``integer`` past 2**31 - 1 or a timestamp it
cannot hold with an error, which would be a 500. So a cursor is read completely here, every part
checked against what its column holds, and a bad one is a 400 naming ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from workflows.errors import Invalid

MAX_ID = 2**31 - 1  # PostgreSQL integer: every id and the priority column
MAX_DIGITS = len(str(MAX_ID))


def bad_cursor() -> Invalid:
    return Invalid("bad cursor", [{"field": "cursor", "message": "is not a cursor this server gave"}])


def decode_id_cursor(cursor: str | None) -> int | None:
    """The row id an id cursor continues after; ``Invalid`` unless it is one an id column can hold."""
    if not cursor:
        return None
    # isdigit() alone would let "²" or "١" through, which int() then refuses or reads
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= MAX_DIGITS):
        raise bad_cursor()
    value = int(cursor)
    if not 0 <= value <= MAX_ID:
        raise bad_cursor()
    return value


def encode_sort_cursor(priority: int, due: datetime, item_id: int) -> str:
    """The inbox order key (priority, due, id) of the last row of a page."""
    raw = json.dumps([priority, due.isoformat(), item_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_sort_cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    """The (priority, due, id) key a cursor from ``encode_sort_cursor`` holds; ``Invalid`` otherwise."""
    if not cursor:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise bad_cursor() from None
    if not isinstance(parts, list) or len(parts) != 3:
        raise bad_cursor()
    priority, due, item_id = parts
    if not (_storable_int(priority) and _storable_int(item_id) and isinstance(due, str)):
        raise bad_cursor()
    try:
        when = datetime.fromisoformat(due)
        if when.tzinfo is None:
            raise ValueError("naive")
        when.astimezone(UTC)  # an instant UTC cannot hold (year 1 at +14:00) is refused here, not in SQL
    except (ValueError, OverflowError):
        raise bad_cursor() from None
    return priority, when, item_id


INBOX_SORTS = ("urgency", "tier", "due")


def encode_inbox_cursor(sort: str, now: datetime, band: int, key: int, due: datetime, item_id: int) -> str:
    """The inbox order key of a page's last row, with the instant the first page was read at.

    Urgency bands are read against that instant on every later page, so a task cannot move from one
    band to another between two pages (and be shown twice or never).
    """
    raw = json.dumps([sort, now.isoformat(), band, key, due.isoformat(), item_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_inbox_cursor(cursor: str | None, sort: str) -> tuple[datetime, int, int, datetime, int] | None:
    """``(now, band, key, due, id)`` of an ``encode_inbox_cursor`` cursor for ``sort``; else ``Invalid``."""
    if not cursor:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise bad_cursor() from None
    if not isinstance(parts, list) or len(parts) != 6 or parts[0] != sort:
        raise bad_cursor()
    _sort, now, band, key, due, item_id = parts
    if not (_storable_int(band) and _storable_int(key) and _storable_int(item_id)):
        raise bad_cursor()
    return _instant(now), band, key, _instant(due), item_id


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise bad_cursor()
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise ValueError("naive")
        when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_cursor() from None
    return when


def _storable_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_ID - 1 <= value <= MAX_ID
