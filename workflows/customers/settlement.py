"""Finance's settlement of a trip after return [000 §2.4, 004]: the amount paid, supplier costs, margin.

Spend for tiering reads the settled amount once a trip is settled (``operations.spend_last_12_months``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import Invalid
from workflows.models import Trip, TripSettlement


def margin_of(amount_paid: Any, supplier_costs: Any) -> float:
    """What the agency keeps: the amount paid less supplier costs (may be negative)."""
    return round(float(amount_paid) - float(supplier_costs), 2)


def record_settlement(
    session: Session,
    case_id: int,
    *,
    customer_id: int | None,
    amount_paid: Any,
    supplier_costs: Any,
    by: str,
    now: datetime,
) -> TripSettlement:
    """The trip's one settlement; ``Invalid`` naming the field when an amount is missing or negative.
    Does not commit."""
    for name, value in (("amount_paid", amount_paid), ("supplier_costs", supplier_costs)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise Invalid(
                "the settlement has errors", [{"field": name, "message": "must be an amount of 0 or more"}]
            )
    trip = session.scalars(select(Trip).where(Trip.case_id == case_id)).first()
    row = session.scalars(select(TripSettlement).where(TripSettlement.case_id == case_id)).first()
    if row is None:
        row = TripSettlement(case_id=case_id)
    row.trip_id = trip.id if trip else None
    row.customer_id = customer_id
    row.amount_paid = round(float(amount_paid), 2)
    row.supplier_costs = round(float(supplier_costs), 2)
    row.margin = margin_of(amount_paid, supplier_costs)
    row.settled_at = now
    row.settled_by = by
    session.add(row)
    session.flush()
    return row


def settlement_of_case(session: Session, case_id: int) -> TripSettlement | None:
    return session.scalars(select(TripSettlement).where(TripSettlement.case_id == case_id)).first()


def settled_cases(session: Session, customer_id: int) -> dict[int, TripSettlement]:
    """The customer's settlements by trip case, for the card's trip list."""
    rows = session.scalars(select(TripSettlement).where(TripSettlement.customer_id == customer_id))
    return {row.case_id: row for row in rows}
