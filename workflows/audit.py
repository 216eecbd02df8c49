"""The audit trail: append-only events, written in the transaction of the step they describe."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.models import Event, WorkItem

EVENT_KINDS = (
    "case_started",
    "task_created",
    "task_claimed",
    "task_unclaimed",
    "task_assigned",
    "assignment_refused",
    "task_completed",
    "timer_fired",
    "message_received",
    "data_changed",
    "comment",
    "case_suspended",
    "case_resumed",
    "case_cancelled",
    "case_error",
    "case_retried",
    "case_migrated",
    "case_completed",
)


def record(
    session: Session,
    kind: str,
    at: datetime,
    *,
    case_id: int | None,
    user: str | None = None,
    item: WorkItem | None = None,
    bpmn_id: str | None = None,
    task_name: str | None = None,
    data_changes: dict[str, Any] | None = None,
    text: str | None = None,
) -> Event:
    """Append one event; there is no function that updates or deletes one."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = Event(
        case_id=case_id,
        at=at,
        kind=kind,
        work_item_id=item.id if item is not None else None,
        bpmn_id=item.bpmn_id if item is not None else bpmn_id,
        task_name=item.name if item is not None else task_name,
        user=user,
        data_changes=_jsonable(data_changes) if data_changes else None,
        text=text,
    )
    session.add(event)
    return event


def submitted_values(before: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any]:
    """``{key: [old, new]}`` for every submitted field, changed or not: the answer itself is the record."""
    return {k: [before.get(k), v] for k, v in submitted.items()}


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{key: [old, new]}`` for every key whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
