"""Reading a workflow's data: the case's variables as people see them, and the values the inbox
index and the timer rows take from them (ids, short texts, dates, due instants)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState


def case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's variables as the people working on it see them now (JSON-safe)."""
    if workflow.completed:
        finished = workflow.get_tasks(state=TaskState.COMPLETED)
        merged = dict(max(finished, key=lambda t: t.last_state_change).data) if finished else {}
        merged.update(workflow.data or {})
    else:
        frontier = workflow.get_tasks(
            state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
        )
        # SpiffWorkflow's own join before the end waits with the data of paths that ended long ago
        frontier = [t for t in frontier if getattr(t.task_spec, "bpmn_id", None)] or frontier
        merged = {}
        for task in sorted(frontier, key=lambda t: t.last_state_change):
            merged.update(task.data)
    clean = {k: v for k, v in merged.items() if not k.startswith("spiff__")}
    return json.loads(json.dumps(clean, default=str))


def timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        return None
    return due if due.tzinfo else None


def iso_duration(text: str) -> timedelta:
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return timedelta(
        days=parsed.get("days", 0) + 7 * parsed.get("weeks", 0),
        hours=parsed.get("hours", 0),
        minutes=parsed.get("minutes", 0),
        seconds=parsed.get("seconds", 0),
    )


def as_int(value: Any) -> int | None:
    """An id for an index column (PostgreSQL ``integer``); None when the data holds no such id."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and -(2**31) <= number < 2**31 else None


def as_text(value: Any) -> str | None:
    return str(value)[:200] if value not in (None, "") else None


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
