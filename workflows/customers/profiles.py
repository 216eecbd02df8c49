"""What the customer pages and the API do to a customer: each call checks the role, is one unit
of work, and answers a plain profile card or contact record (``operations`` holds the rules and
the writes they share with handlers, which run inside a case's step)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflows.customers import operations as customers
from workflows.customers.value import card_extras
from workflows.engine.today import local_today
from workflows.errors import NotFound
from workflows.models import ContactRecord, WorkItem
from workflows.permissions import EDIT_CUSTOMERS, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work


def card(session: Session, rt: Runtime, customer_id: int) -> dict[str, Any]:
    """The profile card, identity number masked; ``NotFound`` for an unknown customer."""
    customer = customers.get_customer(session, customer_id)
    today = local_today(rt.clock, rt.timezone)
    card = customers.customer_card(session, customer, today)
    return {**card, **card_extras(session, customer, today, rt.clock.now())}


def create(session: Session, rt: Runtime, fields: Any, actor: Actor) -> dict[str, Any]:
    """A new customer (tier C); ``Invalid`` names the fields that are wrong."""
    actor.require(EDIT_CUSTOMERS, "creating customers")
    with unit_of_work(session):
        customer = customers.create_customer(session, fields, now=rt.clock.now())
    return card(session, rt, customer.id)


def update(session: Session, rt: Runtime, customer_id: int, fields: Any, actor: Actor) -> dict[str, Any]:
    actor.require(EDIT_CUSTOMERS, "editing customers")
    with unit_of_work(session):
        customers.update_customer(session, customer_id, fields, now=rt.clock.now())
    return card(session, rt, customer_id)


def reveal_id_number(session: Session, rt: Runtime, customer_id: int, actor: Actor, via: str) -> str | None:
    """The full identity number for an admin, the view recorded (``Forbidden`` for anyone else)."""
    with unit_of_work(session):
        return customers.reveal_id_number(session, customer_id, actor, now=rt.clock.now(), via=via)


def contact_view(record: ContactRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "channel": record.channel,
        "by": record.by,
        "summary": record.summary,
        "case_id": record.case_id,
    }


def log_contact(session: Session, rt: Runtime, customer_id: int, fields: Any, actor: Actor) -> dict[str, Any]:
    """A call or message with the customer, on their profile."""
    actor.require(EDIT_CUSTOMERS, "logging contacts")
    with unit_of_work(session):
        record = customers.add_contact(session, customer_id, fields, by=actor.username, now=rt.clock.now())
        return contact_view(record)


def log_task_contact(
    session: Session, rt: Runtime, task_id: int, fields: dict[str, Any], actor: Actor
) -> dict[str, Any] | None:
    """A contact with the customer of a task, linked to its case; None when the task has no customer yet."""
    actor.require(EDIT_CUSTOMERS, "logging contacts")
    with unit_of_work(session):
        item = session.get(WorkItem, task_id)
        if item is None:
            raise NotFound(f"task {task_id} does not exist")
        if item.customer_id is None:
            return None
        fields = {**fields, "case_id": item.case_id}
        record = customers.add_contact(
            session, item.customer_id, fields, by=actor.username, now=rt.clock.now()
        )
        return contact_view(record)
