"""Popular routes with priority booking [000 §4.1]: A-tier customers book before general release
(days from the DMN), a full departure keeps a waitlist in DMN order, a freed seat goes to its
head, and a booking starts the ``trip`` case with the route's itinerary (design is skipped).

Each public function checks the role and is one unit of work.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.benefits.checks import ID, check, get_or_404
from workflows.benefits.decisions import booking_days_early, waitlist_rank
from workflows.cases import interventions
from workflows.cases import operations as cases
from workflows.engine.today import local_today
from workflows.errors import Conflict, Invalid
from workflows.models import Case, Customer, Departure, DepartureBooking, Trip
from workflows.permissions import BOOK_DEPARTURES, CANCEL_BOOKINGS, EDIT_DEPARTURES, SYSTEM, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

DAY = {
    "type": "object",
    "properties": {
        "day": {"type": "integer", "minimum": 1, "maximum": 366},
        "transport": {"type": "string", "maxLength": 200},
        "accommodation": {"type": "string", "maxLength": 200},
        "attractions": {"type": "string", "maxLength": 400},
        "meals": {"type": "string", "maxLength": 200},
    },
    "required": ["day"],
    "additionalProperties": False,
}
DEPARTURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "route_name": {"type": "string", "minLength": 1, "maxLength": 200},
        "destination": {"type": "string", "minLength": 1, "maxLength": 200},
        "start_date": {"type": "string", "format": "date"},
        "end_date": {"type": "string", "format": "date"},
        "seats": {"type": "integer", "minimum": 1, "maximum": 10000},
        "price": {"type": "number", "minimum": 0, "maximum": 10_000_000},
        "peak_season": {"type": "boolean"},
        "release_on": {"type": "string", "format": "date"},
        "itinerary": {"type": "array", "items": DAY, "minItems": 1, "maxItems": 60},
    },
    "required": [
        "route_name",
        "destination",
        "start_date",
        "end_date",
        "seats",
        "price",
        "release_on",
        "itinerary",
    ],
    "additionalProperties": False,
}
BOOKING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"customer_id": ID, "travellers": {"type": "integer", "minimum": 1, "maximum": 50}},
    "required": ["customer_id"],
    "additionalProperties": False,
}
OPEN_BOOKING = ("booked", "waitlisted")


def _dates(data: dict[str, Any]) -> dict[str, Any]:
    typed = dict(data)
    for name in ("start_date", "end_date", "release_on"):
        if name in typed:
            typed[name] = date.fromisoformat(typed[name])
    if typed["end_date"] < typed["start_date"]:
        raise Invalid(
            "the trip ends before it starts",
            [{"field": "end_date", "message": "must not be before start_date"}],
        )
    if typed["release_on"] > typed["start_date"]:
        raise Invalid(
            "released after departure", [{"field": "release_on", "message": "must not be after start_date"}]
        )
    return typed


def create_departure(session: Session, rt: Runtime, fields: Any, actor: Actor) -> Departure:
    """A new departure in the catalogue; ``Invalid`` names the wrong fields."""
    actor.require(EDIT_DEPARTURES, "editing the route catalogue")
    data = _dates(check(DEPARTURE_SCHEMA, fields))
    with unit_of_work(session):
        now = rt.clock.now()
        departure = Departure(created_at=now, updated_at=now, **{"peak_season": False, **data})
        session.add(departure)
        session.flush()
    return departure


def update_departure(
    session: Session, rt: Runtime, departure_id: int, fields: Any, actor: Actor
) -> Departure:
    """Changes a departure; seats may not drop below those already booked."""
    actor.require(EDIT_DEPARTURES, "editing the route catalogue")
    with unit_of_work(session):
        departure = get_or_404(session, Departure, departure_id, "departure", lock=True)
        if not isinstance(fields, dict):
            check(DEPARTURE_SCHEMA, fields)
        data = _dates(check(DEPARTURE_SCHEMA, {**departure_fields(departure), **fields}))
        if data["seats"] < seats_taken(session, departure.id):
            raise Invalid(
                "seats already booked", [{"field": "seats", "message": "fewer than the seats already booked"}]
            )
        for key, value in data.items():
            setattr(departure, key, value)
        departure.updated_at = rt.clock.now()
        _promote(session, rt, departure, actor)
    return departure


def departure_fields(departure: Departure) -> dict[str, Any]:
    return {
        "route_name": departure.route_name,
        "destination": departure.destination,
        "start_date": departure.start_date.isoformat(),
        "end_date": departure.end_date.isoformat(),
        "seats": departure.seats,
        "price": float(departure.price),
        "peak_season": bool(departure.peak_season),
        "release_on": departure.release_on.isoformat(),
        "itinerary": list(departure.itinerary or []),
    }


def seats_taken(session: Session, departure_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(DepartureBooking.travellers), 0)).where(
                DepartureBooking.departure_id == departure_id, DepartureBooking.status == "booked"
            )
        )
        or 0
    )


def member_tier(session: Session, customer: Customer) -> str:
    """The customer's tier, or ``new`` for a C-tier customer with no trip on file yet (not yet a member)."""
    if customer.tier != "C":
        return customer.tier
    has_trip = session.scalar(select(Trip.id).where(Trip.customer_id == customer.id).limit(1))
    return "C" if has_trip else "new"


def opens_on(session: Session, departure: Departure, tier: str) -> date:
    """The first day ``tier`` may book ``departure``."""
    return departure.release_on - timedelta(
        days=booking_days_early(session, tier, bool(departure.peak_season))
    )


def book(session: Session, rt: Runtime, departure_id: int, fields: Any, actor: Actor) -> DepartureBooking:
    """Books seats for a customer, or puts them on the waitlist when the departure is full.

    Refused (409) before the customer's booking window opens, for a departure already gone, and
    for a customer already booked or waiting on it.
    """
    actor.require(BOOK_DEPARTURES, "booking a departure")
    data = check(BOOKING_SCHEMA, fields)
    with unit_of_work(session):
        departure = get_or_404(session, Departure, departure_id, "departure", lock=True)
        customer = session.get(Customer, data["customer_id"])
        if customer is None:
            raise Invalid(
                "no such customer", [{"field": "customer_id", "message": "pick a customer who is on file"}]
            )
        today = local_today(rt.clock, rt.timezone)
        tier = member_tier(session, customer)
        first_day = opens_on(session, departure, tier)
        if today < first_day:
            raise Conflict(
                f"booking opens for this customer on {first_day.isoformat()}",
                [{"code": "not_open_yet", "params": {"date": first_day.isoformat()}}],
            )
        if today >= departure.start_date:
            raise Conflict("the departure has already left", [{"code": "departed"}])
        if session.scalar(
            select(DepartureBooking.id).where(
                DepartureBooking.departure_id == departure.id,
                DepartureBooking.customer_id == customer.id,
                DepartureBooking.status.in_(OPEN_BOOKING),
            )
        ):
            raise Conflict(
                "the customer is already booked or waiting on this departure", [{"code": "already_booked"}]
            )
        booking = DepartureBooking(
            departure_id=departure.id,
            customer_id=customer.id,
            travellers=int(data.get("travellers") or 1),
            status="waitlisted",
            member_tier=tier,
            rank=waitlist_rank(session, tier, bool(departure.peak_season)),
            requested_at=rt.clock.now(),
            by=actor.username,
        )
        session.add(booking)
        session.flush()
        _promote(session, rt, departure, actor)
    return booking


def cancel(session: Session, rt: Runtime, booking_id: int, actor: Actor) -> DepartureBooking:
    """Cancels a booking or a waitlist place; a freed seat goes to the head of the waitlist."""
    actor.require(CANCEL_BOOKINGS, "cancelling a booking")
    with unit_of_work(session):
        booking = get_or_404(session, DepartureBooking, booking_id, "booking")
        departure = get_or_404(session, Departure, booking.departure_id, "departure", lock=True)
        session.refresh(booking)  # as it is now that the departure is ours
        if booking.status not in OPEN_BOOKING:
            raise Conflict(f"the booking is already {booking.status}", [{"code": "already_cancelled"}])
        was_booked = booking.status == "booked"
        booking.status, booking.cancelled_at = "cancelled", rt.clock.now()
        session.flush()
        if was_booked and booking.case_id is not None:
            case = session.get(Case, booking.case_id)
            if case is not None and case.status in ("running", "suspended", "error"):
                interventions.cancel_case(session, rt, case.id, "booking cancelled", SYSTEM)
        _promote(session, rt, departure, actor)
    return booking


def waitlist(session: Session, departure_id: int) -> list[DepartureBooking]:
    """The waiting bookings, head first: rank from the DMN, then first come."""
    return list(
        session.scalars(
            select(DepartureBooking)
            .where(DepartureBooking.departure_id == departure_id, DepartureBooking.status == "waitlisted")
            .order_by(DepartureBooking.rank, DepartureBooking.requested_at, DepartureBooking.id)
        )
    )


def _promote(session: Session, rt: Runtime, departure: Departure, actor: Actor) -> None:
    """Gives free seats to the waitlist in order, each booking starting its trip case."""
    free = departure.seats - seats_taken(session, departure.id)
    for booking in waitlist(session, departure.id):
        if free <= 0:
            break
        if booking.travellers > free:
            continue
        booking.status, booking.booked_at = "booked", rt.clock.now()
        free -= booking.travellers
        session.flush()
        booking.case_id = _start_trip(session, rt, departure, booking, actor).id


def _start_trip(
    session: Session, rt: Runtime, departure: Departure, booking: DepartureBooking, actor: Actor
) -> Any:
    """The ``trip`` case of a booking: the route's itinerary and price, so planning skips design."""
    price = round(float(departure.price) * booking.travellers, 2)
    data = {
        "customer_id": booking.customer_id,
        "departure_id": departure.id,
        "peak_season": bool(departure.peak_season),
        "route_name": departure.route_name,
        "destination": departure.destination,
        "start_date": departure.start_date.isoformat(),
        "end_date": departure.end_date.isoformat(),
        "travellers": booking.travellers,
        "itinerary": list(departure.itinerary or []),
        "quoted_price": price,
        "total_price": price,
        "trip_account_manager": booking.by,
        "purpose": departure.route_name,
    }
    starter = actor if actor.has_any(BOOK_DEPARTURES) else SYSTEM
    return cases.start_case(session, rt, "trip", data, starter)


def catalogue(session: Session, *, include_past: bool = False, today: date | None = None) -> list[Departure]:
    query = select(Departure).order_by(Departure.start_date, Departure.id)
    if not include_past and today is not None:
        query = query.where(Departure.start_date >= today)
    return list(session.scalars(query))


def bookings_of(session: Session, departure_id: int) -> list[DepartureBooking]:
    return list(
        session.scalars(
            select(DepartureBooking)
            .where(DepartureBooking.departure_id == departure_id)
            .order_by(DepartureBooking.status, DepartureBooking.rank, DepartureBooking.requested_at)
        )
    )


def bookings_of_customer(session: Session, customer_id: int) -> list[DepartureBooking]:
    return list(
        session.scalars(
            select(DepartureBooking)
            .where(DepartureBooking.customer_id == customer_id)
            .order_by(DepartureBooking.requested_at.desc())
        )
    )


def departure_view(session: Session, departure: Departure, today: date) -> dict[str, Any]:
    taken = seats_taken(session, departure.id)
    return {
        "id": departure.id,
        **departure_fields(departure),
        "seats_taken": taken,
        "seats_left": max(departure.seats - taken, 0),
        "waitlist": len(waitlist(session, departure.id)),
        "priority_opens_on": opens_on(session, departure, "A").isoformat(),
        "released": today >= departure.release_on,
    }


def booking_view(booking: DepartureBooking, customer_name: str | None = None) -> dict[str, Any]:
    return {
        "id": booking.id,
        "departure_id": booking.departure_id,
        "customer_id": booking.customer_id,
        "customer_name": customer_name,
        "travellers": booking.travellers,
        "status": booking.status,
        "member_tier": booking.member_tier,
        "rank": booking.rank,
        "requested_at": booking.requested_at.isoformat(),
        "booked_at": booking.booked_at.isoformat() if booking.booked_at else None,
        "case_id": booking.case_id,
    }


def get_departure(session: Session, departure_id: int) -> Departure:
    return get_or_404(session, Departure, departure_id, "departure")


def customer_names(session: Session, customer_ids: list[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    return dict(
        session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()
    )
