"""What a new case starts with besides its start data: the trip a change request, complaint or
feedback case belongs to, and the customer record's own fields (which start data cannot override)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflows.cursors import MAX_ID
from workflows.errors import Conflict, Invalid
from workflows.models import Case, Customer


def change_request_start(session: Session, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A change request belongs to a trip case; it starts with that trip's data."""
    trip_case_id = data.get("trip_case_id")
    if not _storable_id(trip_case_id):
        raise Invalid(
            "a change request needs the trip case",
            [{"field": "trip_case_id", "message": "must be the id of a trip case"}],
        )
    trip = session.get(Case, trip_case_id)
    if trip is None or trip.process_key != "trip":
        raise Invalid(
            "no such trip", [{"field": "trip_case_id", "message": f"case {trip_case_id} is not a trip"}]
        )
    if trip.status not in ("running", "suspended"):
        raise Conflict(f"trip case {trip_case_id} is {trip.status}; only a running trip can be changed")
    inherited = {k: v for k, v in (trip.data or {}).items() if not k.startswith("_")}
    return {**inherited, **data}, trip_case_id


def customer_fields(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """A case started for a customer shows who it is from its first task on.

    These fields override what the start data says: ``dedicated_advisor`` routes tasks, so start
    data naming a customer must not be able to pick another advisor (or tier) than the record's.
    """
    customer_id = data.get("customer_id")
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        return {}
    customer = session.get(Customer, customer_id) if _storable_id(customer_id) else None
    if customer is None:
        raise Invalid(
            "no such customer",
            [{"field": "customer_id", "message": f"customer {customer_id} does not exist"}],
        )
    return {
        "customer_name": customer.name,
        "customer_tier": customer.tier,
        "dedicated_advisor": customer.dedicated_advisor or "",
    }


def _storable_id(value: Any) -> bool:
    """An id a client sent in case data that an id column can hold (PostgreSQL ``integer``)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def trip_parent(session: Session, trip_case_id: int) -> int:
    """A complaint or feedback case started about a trip is listed among that trip's children."""
    trip = session.get(Case, trip_case_id) if _storable_id(trip_case_id) else None
    if trip is None:
        raise Invalid(
            "no such trip", [{"field": "trip_case_id", "message": f"case {trip_case_id} does not exist"}]
        )
    return trip.id
