"""Reading one task: its row, its form and the case data it shows, without loading the workflow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.customers.points import balance
from workflows.customers.profile_card import profile_of
from workflows.errors import NotFound
from workflows.models import Case, Event, WorkItem
from workflows.runtime import Runtime
from workflows.views import event_view, task_view


def get_work_item(session: Session, task_id: int) -> WorkItem:
    item = session.get(WorkItem, task_id)
    if item is None:
        raise NotFound(f"task {task_id} does not exist")
    return item


def find_task(session: Session, task_id: int) -> dict[str, Any] | None:
    """The task as a view, or None when there is no such task."""
    item = session.get(WorkItem, task_id)
    return task_view(item) if item is not None else None


def task_form(session: Session, rt: Runtime, item: WorkItem) -> dict[str, Any]:
    case = session.get(Case, item.case_id)
    assert case is not None
    bundle = rt.specs.get(session, case.version)
    info = bundle.user_tasks.get(item.bpmn_id)
    schema = bundle.form(info.form_file if info else None) or {"type": "object", "properties": {}}
    ui_schema = bundle.form(info.ui_file if info else None) or {}
    return {"schema": schema, "ui_schema": ui_schema}


def earlier_steps(form: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """What earlier steps decided that this task shows (its form's ``ui:readonly_context``), as set."""
    keys = (form.get("ui_schema") or {}).get("ui:readonly_context") or []
    return {k: data[k] for k in keys if data.get(k) not in (None, "", [], {})}


def task_detail(session: Session, rt: Runtime, task_id: int) -> dict[str, Any]:
    item = get_work_item(session, task_id)
    case = session.get(Case, item.case_id)
    assert case is not None
    comments = session.scalars(
        select(Event)
        .where(Event.case_id == item.case_id, Event.kind == "comment", Event.work_item_id == item.id)
        .order_by(Event.id)
    )
    form = task_form(session, rt, item)
    return {
        **task_view(item),
        "case_status": case.status,
        "form": form,
        "data": case.data or {},
        "earlier_steps": earlier_steps(form, case.data or {}),
        "comments": [event_view(e) for e in comments],
        # what the customer likes and needs, on every task about them (seed 004's profile card)
        "customer_profile": profile_of(session, item.customer_id) if item.customer_id else None,
        "customer_points": balance(session, item.customer_id, rt.clock.now()) if item.customer_id else None,
    }
