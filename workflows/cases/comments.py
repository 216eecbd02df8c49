"""Comments on tasks and cases: audit events of kind ``comment``, allowed at any time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.errors import Invalid, NotFound
from workflows.models import Case, Event, WorkItem
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work


def _text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Invalid("write something", [{"field": "text", "message": "must not be empty"}])
    return text.strip()[:4000]


def comment_on_task(session: Session, rt: Runtime, task_id: int, text: object, actor: Actor) -> Event:
    with unit_of_work(session):
        item = session.get(WorkItem, task_id)
        if item is None:
            raise NotFound(f"task {task_id} does not exist")
        return record(
            session,
            "comment",
            rt.clock.now(),
            case_id=item.case_id,
            item=item,
            user=actor.username,
            text=_text(text),
        )


def comment_on_case(session: Session, rt: Runtime, case_id: int, text: object, actor: Actor) -> Event:
    with unit_of_work(session):
        if session.get(Case, case_id) is None:
            raise NotFound(f"case {case_id} does not exist")
        return record(
            session, "comment", rt.clock.now(), case_id=case_id, user=actor.username, text=_text(text)
        )
