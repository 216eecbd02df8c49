"""Reading the audit trail (``event``) and the inbox rows (``work_item``) for the metrics.

Rows are selected by indexed columns bounded by the period, in chunks of ids, so the cost follows
the size of the period, not of the whole history. A completion records only fields whose value
changed, so a value it did not record is recovered by replaying the case's earlier recorded
changes (``values_after``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.metrics.figures import Scope
from workflows.models import Event, WorkItem

_CHUNK = 500  # ids per IN (...) list


def events_in(scope: Scope, kind: str, bpmn_ids: Iterable[str] | None = None) -> list[Event]:
    """Events of one kind in the period, oldest first (index ``ix_event_kind_at``)."""
    query = select(Event).where(
        Event.kind == kind, Event.at >= scope.period.start_at, Event.at < scope.period.end_at
    )
    if bpmn_ids is not None:
        query = query.where(Event.bpmn_id.in_(list(bpmn_ids)))
    return list(scope.session.scalars(query.order_by(Event.id)))


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def _new_value(change: Any) -> Any:
    return change[1] if isinstance(change, list) and len(change) == 2 else change


def changes_of_cases(
    session: Session, case_ids: Iterable[int]
) -> dict[int, list[tuple[int, datetime, dict]]]:
    """Every recorded data change of the cases, per case, oldest first (index ``ix_event_case``)."""
    kinds = ("case_started", "task_completed", "data_changed", "message_received")
    found: dict[int, list[tuple[int, datetime, dict]]] = defaultdict(list)
    for chunk in chunks(case_ids):
        rows = session.execute(
            select(Event.case_id, Event.id, Event.at, Event.data_changes)
            .where(Event.case_id.in_(chunk), Event.kind.in_(kinds))
            .order_by(Event.case_id, Event.id)
        )
        for case_id, event_id, at, changes in rows:
            if changes:
                found[case_id].append((event_id, at, changes))
    return found


def values_after(session: Session, events: list[Event], key: str) -> dict[int, Any]:
    """The value of case variable ``key`` right after each event, by event id.

    Read from the event's own ``data_changes`` when it recorded ``key``; otherwise the value was
    unchanged, and is the last one the case recorded before (the engine records only changes).
    """
    values: dict[int, Any] = {}
    missing: list[Event] = []
    for event in events:
        changes = event.data_changes or {}
        if key in changes:
            values[event.id] = _new_value(changes[key])
        else:
            missing.append(event)
    if missing:
        history = changes_of_cases(session, (e.case_id for e in missing if e.case_id is not None))
        for event in missing:
            earlier = [
                c for eid, _at, c in history.get(event.case_id or 0, []) if eid < event.id and key in c
            ]
            values[event.id] = _new_value(earlier[-1][key]) if earlier else None
    return values


def value_at(changes: list[tuple[int, datetime, dict]], key: str, at: datetime | None = None) -> Any:
    """The last recorded value of ``key`` at or before ``at`` (else the first one after; else None)."""
    before = [c[key] for _eid, when, c in changes if key in c and (at is None or when <= at)]
    if before:
        return _new_value(before[-1])
    after = [c[key] for _eid, when, c in changes if key in c]
    return _new_value(after[0]) if after else None


def work_items_of(session: Session, case_ids: Iterable[int], bpmn_ids: Iterable[str]) -> list[WorkItem]:
    """Work items of some tasks in some cases (index ``ix_work_item_case``), oldest first."""
    wanted = list(bpmn_ids)
    items: list[WorkItem] = []
    for chunk in chunks(case_ids):
        items += session.scalars(
            select(WorkItem).where(WorkItem.case_id.in_(chunk), WorkItem.bpmn_id.in_(wanted))
        )
    return sorted(items, key=lambda i: (i.created_at, i.id))
