"""What an inbox can be narrowed by: free text, process, task, tier, due range and overdue.

Read once from query parameters (API and page alike, and a saved inbox filter), so a bad value is a
400 naming its parameter in both places, and turned into SQL conditions on ``work_item`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_

from workflows.errors import Invalid
from workflows.models import WorkItem

SEARCH_KEYS = ("q", "process", "task", "tier", "due_from", "due_to", "overdue")
TIERS = ("A", "B", "C")
MAX_TEXT = 200
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class InboxSearch:
    """The narrowing of one inbox page; every field optional. Dates are the agency's local days."""

    q: str | None = None
    process: str | None = None
    task: str | None = None
    tier: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    zone: str = "UTC"

    def clauses(self, now: datetime) -> list[Any]:
        """SQL conditions on ``work_item``, to be added to an indexed inbox scan."""
        out: list[Any] = []
        if self.q:
            out.append(_text_match(self.q))
        if self.process:
            out.append(WorkItem.process_key == self.process)
        if self.task:
            out.append(WorkItem.bpmn_id == self.task)
        if self.tier:
            out.append(WorkItem.customer_tier == self.tier)
        if self.due_from:
            out.append(WorkItem.due_at >= _day_start(self.due_from, self.zone))
        if self.due_to:
            out.append(WorkItem.due_at < _day_start(self.due_to + timedelta(days=1), self.zone))
        if self.overdue:
            out.append(WorkItem.due_at < now)
        return out

    def as_query(self) -> dict[str, str]:
        """The non-empty fields as query parameters (links, saved filters)."""
        raw = asdict(self)
        raw.pop("zone")
        out = {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in raw.items() if v}
        if self.overdue:
            out["overdue"] = "1"
        return out


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def _text_match(text: str) -> Any:
    """Customer name or destination containing ``text`` (any case), or the case number itself."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    matches = [
        func.lower(WorkItem.customer_name).like(pattern, escape="\\"),
        func.lower(WorkItem.destination).like(pattern, escape="\\"),
    ]
    number = text.lstrip("#")
    if number.isascii() and number.isdigit() and len(number) <= 9:
        matches.append(WorkItem.case_id == int(number))
    return or_(*matches)


def _bad(field: str, message: str) -> Invalid:
    return Invalid(f"bad {field}", [{"field": field, "message": message}])


def _day(args: Mapping[str, Any], field: str) -> date | None:
    raw = args.get(field)
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise _bad(field, "must be a date, YYYY-MM-DD") from None


def _text(args: Mapping[str, Any], field: str) -> str | None:
    raw = args.get(field)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > MAX_TEXT or "\x00" in raw:
        raise _bad(field, f"must be text of at most {MAX_TEXT} characters")
    return raw.strip() or None


def search_from(args: Mapping[str, Any], zone: str = "UTC") -> InboxSearch:
    """The search that query parameters ask for; ``Invalid`` naming the first bad parameter."""
    tier = _text(args, "tier")
    if tier is not None and tier not in TIERS:
        raise _bad("tier", "must be A, B or C")
    overdue = args.get("overdue")
    if overdue not in (None, "", True, False) and str(overdue).lower() not in (
        *TRUE,
        "0",
        "false",
        "no",
        "off",
    ):
        raise _bad("overdue", "must be true or false")
    due_from, due_to = _day(args, "due_from"), _day(args, "due_to")
    if due_from and due_to and due_to < due_from:
        raise _bad("due_to", "must not be before due_from")
    return InboxSearch(
        q=_text(args, "q"),
        process=_text(args, "process"),
        task=_text(args, "task"),
        tier=tier,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue is True or str(overdue).lower() in TRUE,
        zone=zone,
    )
