"""What the customer pages show beside the card: trips, cases, last trip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.models import Case, Trip


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
