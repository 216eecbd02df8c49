"""What the web layer is handed: plain, JSON-ready views of cases and tasks (no engine objects)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workflows.cases.binding import case_called_versions
from workflows.models import Case, Document, Event, WorkItem
from workflows.permissions import OPEN


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def task_view(item: WorkItem, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A task as JSON; ``names`` (from ``people.names.display_names``) fills the ``*_name`` fields,
    which otherwise repeat the username."""
    names = names or {}
    return {
        "id": item.id,
        "case_id": item.case_id,
        "process": item.process_key,
        "task_id": item.bpmn_id,
        "name": item.name,
        "lane": item.lane,
        "assignee": item.assignee,
        "assignee_name": names.get(item.assignee, item.assignee) if item.assignee else None,
        "claimed_by": item.claimed_by,
        "claimed_by_name": names.get(item.claimed_by, item.claimed_by) if item.claimed_by else None,
        "created_at": _iso(item.created_at),
        "due_at": _iso(item.due_at),
        "priority": item.priority,
        "customer_id": item.customer_id,
        "customer_tier": item.customer_tier,
        "customer_name": item.customer_name,
        "destination": item.destination,
        "start_date": _iso(item.start_date),
        "end_date": _iso(item.end_date),
        "status": item.status,
        "completed_at": _iso(item.completed_at),
        "completed_by": item.completed_by,
        "completed_by_name": names.get(item.completed_by, item.completed_by) if item.completed_by else None,
    }


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "process": case.process_key,
        "version": case.version.version,
        "status": case.status,
        "started_at": _iso(case.started_at),
        "started_by": case.started_by,
        "ended_at": _iso(case.ended_at),
        "customer_id": case.customer_id,
        "customer_name": case.customer_name,
        "customer_tier": case.customer_tier,
        "destination": case.destination,
        "start_date": _iso(case.start_date),
        "end_date": _iso(case.end_date),
        "parent": case.parent_id,
    }


_CHILDREN = select(Case.id).where(Case.parent_id == bindparam("case_id")).order_by(Case.id)


def case_view(session: Session, case: Case, active: list[WorkItem] | None = None) -> dict[str, Any]:
    """The full case of ``GET /api/v1/cases/{id}``: a few indexed queries, no workflow loaded.

    ``active``: its open work items when the caller holds them already (the step that just ran)."""
    if active is None:
        active = list(
            session.scalars(
                select(WorkItem)
                .where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
                .order_by(WorkItem.id)
            )
        )
    children = session.scalars(_CHILDREN, {"case_id": case.id})
    return {
        **case_summary(case),
        "data": case.data or {},
        "active_tasks": [task_view(item) for item in active],
        "children": list(children),
        "called_versions": called_versions(case),
        "error": None
        if case.status != "error"
        else {"element_id": case.error_element, "message": case.error_message, "at": _iso(case.error_at)},
    }


def called_versions(case: Case) -> dict[str, int]:
    """Which version of each called process the case ran (process -> version; the latest call wins).

    Read from the column each step writes (or the stored state's JSON), not by restoring the workflow."""
    found: dict[str, int] = {}
    for entry in case_called_versions(case).values():
        found[entry["process"]] = entry["version"]
    return found


def event_view(event: Event, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "id": event.id,
        "at": _iso(event.at),
        "kind": event.kind,
        "task_id": event.bpmn_id,
        "task_name": event.task_name,
        "work_item_id": event.work_item_id,
        "user": event.user,
        "user_name": names.get(event.user, event.user) if event.user else None,
        "data_changes": event.data_changes or {},
        "text": event.text,
    }


def document_view(document: Document, url: str) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "kind": document.kind,
        "content_type": document.content_type,
        "size": document.size,
        "created_at": _iso(document.created_at),
        "url": url,
    }
