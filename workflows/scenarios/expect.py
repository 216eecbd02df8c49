"""What a scenario step expects, compared with what the database shows after the step.

Each check returns ``None`` when it holds, or a ``Mismatch`` naming what was compared, the
expected value as the file wrote it and the actual value in the same shape, so that a process
owner reads the difference without knowing the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Case, Document, Event, Timer, WorkItem
from workflows.scenarios.timing import parse_instant

ANY = "$any"  # matches any value that is there
ABSENT = "$absent"  # matches a key that is not there (or null)


@dataclass(frozen=True)
class Mismatch:
    what: str  # e.g. "tasks", "data.total_price", "status of complaint_handling"
    expected: Any
    actual: Any
    message: str = ""


def matches(expected: Any, actual: Any) -> bool:
    """Expected is a pattern: mappings match by subset, lists element by element, instants as instants."""
    if expected == ANY:
        return actual is not None
    if expected == ABSENT:
        return actual is None
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(matches(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(expected - actual) < 1e-9
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        want, got = parse_instant(expected), parse_instant(actual)
        return want is not None and want == got
    return expected == actual


ZONE: ZoneInfo = ZoneInfo("Asia/Shanghai")


def set_zone(name: str) -> None:
    """Instants in failure reports read in the agency's time zone, as the scenario files write them."""
    global ZONE  # noqa: PLW0603 - one setting for the whole module, set by the runner per play
    ZONE = ZoneInfo(name)


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(ZONE).isoformat() if at is not None else None


# --- open tasks -----------------------------------------------------------------------------------


def task_view(item: WorkItem, label: str) -> dict[str, Any]:
    return {
        "task": item.bpmn_id,
        "case": label,
        "lane": item.lane,
        "assignee": item.assignee,
        "claimed_by": item.claimed_by,
        "due": _iso(item.due_at),
    }


def check_tasks(
    expected: Any,
    items: list[WorkItem],
    labels: dict[int, str],
    shows: Callable[[WorkItem], dict[str, Any]] | None = None,
) -> Mismatch | None:
    """The open tasks are exactly those listed (in any order); listed fields must match.

    ``shows`` (an entry's key) is what the task shows from earlier steps, compared by subset.
    """
    wanted = [{"task": e} if isinstance(e, str) else dict(e) for e in (expected or [])]
    actual = [task_view(item, labels.get(item.case_id, str(item.case_id))) for item in items]
    if shows is not None and any("shows" in w for w in wanted):
        for row, item in zip(actual, items, strict=True):
            row["shows"] = shows(item)
    left = list(actual)
    for want in wanted:
        hit = next((a for a in left if matches(want, a)), None)
        if hit is None:
            return Mismatch("tasks", wanted, actual, f"no open task matches {want}")
        left.remove(hit)
    if left:
        return Mismatch("tasks", wanted, actual, f"open but not expected: {[a['task'] for a in left]}")
    return None


# --- one case ---------------------------------------------------------------------------------------


def check_data(expected: dict[str, Any], case: Case, label: str) -> Mismatch | None:
    data = case.data or {}
    for key, want in expected.items():
        got = _dig(data, key)
        if not matches(want, got):
            return Mismatch(f"data.{key} of {label}", want, got)
    return None


def _dig(data: dict[str, Any], dotted: str) -> Any:
    """``trip.total_price`` reads nested data; a key with a dot in it is tried whole first."""
    if dotted in data:
        return data[dotted]
    value: Any = data
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def document_view(document: Document) -> dict[str, Any]:
    return {"name": document.name, "kind": document.kind, "content_type": document.content_type}


def check_documents(expected: list[Any], session: Session, case: Case, label: str) -> Mismatch | None:
    """The case holds exactly as many documents as listed, each matching one entry.

    A PDF copy of a listed document (``rendered_from``) is counted only when the scenario lists
    PDFs (an entry with ``content_type: application/pdf``): the copy is a rendition, not news.
    """
    documents = list(
        session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id))
    )
    lists_pdfs = any(isinstance(w, dict) and w.get("content_type") == "application/pdf" for w in expected)
    if not lists_pdfs:
        documents = [d for d in documents if d.rendered_from is None]
    actual = [document_view(d) for d in documents]
    left = list(documents)
    for want in expected:
        want = dict(want) if isinstance(want, dict) else {"kind": want}
        contains = want.pop("contains", None)
        hit = next(
            (
                d
                for d in left
                if matches(want, document_view(d))
                and (contains is None or str(contains) in d.content.decode("utf-8", errors="replace"))
            ),
            None,
        )
        if hit is None:
            return Mismatch(f"documents of {label}", expected, actual, "no document matches an entry")
        left.remove(hit)
    if left:
        return Mismatch(f"documents of {label}", expected, actual, "more documents than listed")
    return None


def event_view(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "task": event.bpmn_id,
        "user": event.user,
        "text": event.text,
        "at": _iso(event.at),
    }


def _event_matches(want: dict[str, Any], event: Event) -> bool:
    want = dict(want)
    text = want.pop("text", None)
    data = want.pop("data", None)
    if text is not None and str(text) not in (event.text or ""):
        return False
    if data is not None and not matches(data, {k: v[1] for k, v in (event.data_changes or {}).items()}):
        return False
    return matches(want, event_view(event))


def check_history(expected: list[Any], events: list[Event], label: str) -> Mismatch | None:
    """The listed events happened in this order (others may lie between them)."""
    wanted = [{"kind": e} if isinstance(e, str) else dict(e) for e in expected]
    position = 0
    for want in wanted:
        while position < len(events) and not _event_matches(want, events[position]):
            position += 1
        if position == len(events):
            actual = [event_view(e) for e in events]
            return Mismatch(f"history of {label}", wanted, actual, f"no event {want} (in this order)")
        position += 1
    return None


def check_no_history(expected: list[Any], events: list[Event], label: str) -> Mismatch | None:
    for want in expected:
        want = {"kind": want} if isinstance(want, str) else dict(want)
        hit = next((e for e in events if _event_matches(want, e)), None)
        if hit is not None:
            return Mismatch(
                f"no_history of {label}", want, event_view(hit), "this event should not have happened"
            )
    return None


def check_timers(expected: list[Any], timers: list[Timer], label: str) -> Mismatch | None:
    actual = [{"timer": t.bpmn_id, "due": _iso(t.due_at)} for t in timers]
    wanted = [{"timer": e} if isinstance(e, str) else dict(e) for e in expected]
    left = list(actual)
    for want in wanted:
        hit = next((a for a in left if matches(want, a)), None)
        if hit is None:
            return Mismatch(f"timers of {label}", wanted, actual, f"no waiting timer matches {want}")
        left.remove(hit)
    if left:
        return Mismatch(f"timers of {label}", wanted, actual, "more timers waiting than listed")
    return None
