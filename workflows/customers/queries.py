"""What the customer pages show beside the card: trips, cases, last trip."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.models import Case, Customer, Trip


def trips_of(session: Session, customer_id: int) -> list[Trip]:
    return list(
        session.scalars(
            select(Trip)
            .where(Trip.customer_id == customer_id)
            .order_by(Trip.start_date.desc().nullslast(), Trip.id.desc())
        )
    )


def cases_of(session: Session, customer_id: int, limit: int = 100) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.customer_id == customer_id).order_by(Case.id.desc()).limit(limit)
        )
    )


def last_trips(session: Session, customer_ids: list[int]) -> dict[int, Any]:
    """The latest trip start date per customer, for a page of the customer list (one query)."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Trip.customer_id, func.max(Trip.start_date))
        .where(Trip.customer_id.in_(customer_ids))
        .group_by(Trip.customer_id)
    )
    return {customer_id: start for customer_id, start in rows}


OPEN_COMPLAINT_TASKS = ("resolve_complaint", "follow_up_call", "escalate_complaint", "escalate_follow_up")


def has_open_complaint(session: Session, customer_id: int) -> bool:
    """Whether a complaint of the customer is still being handled (no repurchase invitation then)."""
    from workflows.models import WorkItem

    query = select(WorkItem.id).where(
        WorkItem.customer_id == customer_id,
        WorkItem.bpmn_id.in_(OPEN_COMPLAINT_TASKS),
        WorkItem.status.in_(("ready", "claimed")),
    )
    return session.scalars(query.limit(1)).first() is not None


FEEDBACK_TASKS = ("revisit_call", "collect_survey")


def service_records(session: Session, since: datetime) -> dict[int, dict[str, int]]:
    """Per customer, complaints raised and low ratings (satisfaction below 4) since ``since``.

    Tier reviews weigh them beside spend [000 §3.4]: a complaint is a complaint case's first
    ``resolve_complaint``; a low rating a completed survey or revisit call answered below 4.
    """
    from workflows.models import Event, WorkItem

    records: dict[int, dict[str, int]] = {}

    def entry(customer_id: int) -> dict[str, int]:
        return records.setdefault(customer_id, {"complaints": 0, "low_ratings": 0})

    complaints = session.execute(
        select(WorkItem.customer_id, WorkItem.case_id, func.min(WorkItem.created_at))
        .where(WorkItem.bpmn_id == "resolve_complaint", WorkItem.customer_id.is_not(None))
        .group_by(WorkItem.customer_id, WorkItem.case_id)
    )
    for customer_id, _case_id, first in complaints:
        if first is not None and _aware(first) >= since:
            entry(customer_id)["complaints"] += 1
    answers = session.execute(
        select(WorkItem.customer_id, Event.data_changes)
        .join(Event, Event.work_item_id == WorkItem.id)
        .where(
            WorkItem.bpmn_id.in_(FEEDBACK_TASKS),
            WorkItem.customer_id.is_not(None),
            Event.kind == "task_completed",
            Event.at >= since,
        )
    )
    for customer_id, changes in answers:
        change = (changes or {}).get("satisfaction")
        value = change[-1] if isinstance(change, list) and change else change
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 4:
            entry(customer_id)["low_ratings"] += 1
    return records


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC instants."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def phones_of(session: Session, customer_ids: list[int]) -> dict[int, str]:
    """Customer id -> phone, for the guide's inbox (a tap calls the customer)."""
    if not customer_ids:
        return {}
    query = select(Customer.id, Customer.phone).where(Customer.id.in_(set(customer_ids)))
    rows = session.execute(query.where(Customer.phone.is_not(None)))
    return {row.id: row.phone for row in rows if row.phone}
