"""What each customer spent, trip by trip: the one source the value view, the churn list and the
win-back campaign read.

A settled trip counts with the amount finance recorded as paid (``trip_settlement``), one not yet
settled with its contract price (``trip.total_price``), as tiering counts them
(``customers.operations.spend_last_12_months``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.models import Trip, TripSettlement


@dataclass(frozen=True)
class SpentTrip:
    customer_id: int
    case_id: int
    signed_on: date
    travel_day: date  # the departure, or the signing day when the trip has no dates
    amount: float


def spent_trips(session: Session, until: date) -> list[SpentTrip]:
    """Every trip signed by a customer on or before ``until``, oldest first."""
    rows = session.execute(
        select(
            Trip.customer_id,
            Trip.case_id,
            Trip.signed_on,
            Trip.start_date,
            func.coalesce(TripSettlement.amount_paid, Trip.total_price),
        )
        .outerjoin(TripSettlement, TripSettlement.case_id == Trip.case_id)
        .where(Trip.customer_id.is_not(None), Trip.signed_on.is_not(None), Trip.signed_on <= until)
        .order_by(Trip.signed_on, Trip.id)
    )
    return [
        SpentTrip(customer_id, case_id, signed_on, start_date or signed_on, float(price or 0))
        for customer_id, case_id, signed_on, start_date, price in rows
    ]
