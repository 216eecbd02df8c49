"""Popular routes with priority booking [000 §4.1]: A books before release, C waits until release
and then on the waitlist (A, B, C, new customers; C ahead of new ones in peak season), a freed
seat goes to the head, and a booking's trip case skips design."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from workflows.benefits import departures
from workflows.customers.operations import create_customer, set_tier
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.models import Case, DepartureBooking, Trip

from .conftest import actor, insert_trip_case, open_tasks

ROUTE = {
    "route_name": "Classic Yunnan",
    "destination": "Lijiang",
    "start_date": "2027-01-20",
    "end_date": "2027-01-25",
    "seats": 2,
    "price": 6000,
    "release_on": "2026-12-20",
    "itinerary": [{"day": 1, "transport": "flight", "accommodation": "inn", "attractions": "old town"}],
}


def customer(session, clock, name, tier, member=True):
    """A customer of ``tier``; a member has a trip on file (a new customer has none)."""
    row = create_customer(session, {"name": name}, now=clock.now())
    set_tier(session, row, tier, by="test", reason=None, now=clock.now())
    if member:
        case_id = insert_trip_case(session, clock, status="completed")
        session.add(
            Trip(case_id=case_id, customer_id=row.id, signed_on=date(2026, 1, 5), updated_at=clock.now())
        )
    session.commit()
    return row


def book(session, rt, departure, who, travellers=1):
    return departures.book(
        session, rt, departure.id, {"customer_id": who.id, "travellers": travellers}, actor("account_manager")
    )


def test_a_books_before_release_c_waits_until_release_then_on_the_waitlist(session, rt, clock):
    departure = departures.create_departure(session, rt, ROUTE, actor("travel_advisor"))
    vip = customer(session, clock, "Zhou Min", "A")
    regular = customer(session, clock, "Wu Lei", "C")
    clock.set(clock.now().replace(year=2026, month=12, day=6, hour=2))  # 10:00 in Shanghai, 14 days early
    first = book(session, rt, departure, vip, travellers=2)
    assert first.status == "booked"
    trip = session.get(Case, first.case_id)
    assert trip.process_key == "trip"
    assert [t.bpmn_id for t in open_tasks(session, trip.id) if t.bpmn_id != "call_itinerary_planning"] == [
        "present_to_customer"
    ], "design and review are skipped"
    assert trip.data["itinerary"] == ROUTE["itinerary"]
    assert (trip.data["total_price"], trip.data["departure_id"]) == (12000, departure.id)
    with pytest.raises(Conflict, match="2026-12-20"):
        book(session, rt, departure, regular)
    assert (
        session.scalars(select(DepartureBooking).where(DepartureBooking.customer_id == regular.id)).first()
        is None
    )
    clock.set(clock.now().replace(day=20))
    waiting = book(session, rt, departure, regular)
    assert (waiting.status, waiting.case_id) == ("waitlisted", None)
    with pytest.raises(Conflict, match="already"):
        book(session, rt, departure, regular)


@pytest.mark.parametrize("peak, order", [(True, ["A", "B", "C", "new"]), (False, ["A", "B", "new", "C"])])
def test_waitlist_order_and_a_freed_seat_goes_to_its_head(session, rt, clock, peak, order):
    departure = departures.create_departure(
        session, rt, {**ROUTE, "seats": 1, "peak_season": peak}, actor("process_owner")
    )
    clock.set(clock.now().replace(month=12, day=21))
    holder = customer(session, clock, "Holder", "C")
    booked = book(session, rt, departure, holder)
    new_face = customer(session, clock, "New Face", "C", member=False)
    c_tier = customer(session, clock, "C Tier", "C")
    b_tier = customer(session, clock, "B Tier", "B")
    a_tier = customer(session, clock, "A Tier", "A")
    for who in (new_face, c_tier, b_tier, a_tier):  # the new customer asked first
        clock.advance(minutes=5)
        book(session, rt, departure, who)
    assert [b.member_tier for b in departures.waitlist(session, departure.id)] == order
    departures.cancel(session, rt, booked.id, actor("account_manager"))
    assert session.get(Case, booked.case_id).status == "cancelled"
    promoted = session.scalars(
        select(DepartureBooking).where(DepartureBooking.customer_id == a_tier.id)
    ).one()
    assert promoted.status == "booked" and session.get(Case, promoted.case_id).process_key == "trip"
    assert [b.member_tier for b in departures.waitlist(session, departure.id)] == order[1:]
    with pytest.raises(Conflict):
        departures.cancel(session, rt, booked.id, actor("account_manager"))


def test_wrong_role_and_bad_input(session, rt, clock):
    with pytest.raises(Forbidden):
        departures.create_departure(session, rt, ROUTE, actor("account_manager"))
    departure = departures.create_departure(session, rt, ROUTE, actor("service_supervisor"))
    vip = customer(session, clock, "Zhou Min", "A")
    with pytest.raises(Forbidden):
        departures.book(session, rt, departure.id, {"customer_id": vip.id}, actor("travel_advisor"))
    with pytest.raises(Invalid) as bad:
        departures.create_departure(
            session, rt, {**ROUTE, "seats": 0, "end_date": "soon"}, actor("travel_advisor")
        )
    assert {d["field"] for d in bad.value.details} == {"seats", "end_date"}
    with pytest.raises(Invalid) as before:
        departures.create_departure(session, rt, {**ROUTE, "end_date": "2027-01-01"}, actor("travel_advisor"))
    assert [d["field"] for d in before.value.details] == ["end_date"]
    with pytest.raises(Invalid) as nobody:
        departures.book(session, rt, departure.id, {"customer_id": 999}, actor("account_manager"))
    assert [d["field"] for d in nobody.value.details] == ["customer_id"]


def test_the_process_owner_tunes_the_window_in_the_dmn(app, session, rt, clock):
    """An edited benefit_rules.dmn, deployed with the planning process that uses it, is what booking reads."""
    from webapp.setup import deploy_uploads

    from .conftest import ROOT

    edited = (
        (ROOT / "bpmn" / "benefit_rules.dmn")
        .read_text()
        .replace(
            '<outputEntry id="rule_a_days"><text>14</text>', '<outputEntry id="rule_a_days"><text>21</text>'
        )
    )
    assert "<text>21</text>" in edited
    planning = (ROOT / "bpmn" / "itinerary_planning.bpmn").read_bytes()
    deploy_uploads(
        app, [("benefit_rules.dmn", edited.encode()), ("itinerary_planning.bpmn", planning)], "process_owner"
    )
    session.commit()
    departure = departures.create_departure(session, rt, ROUTE, actor("travel_advisor"))
    assert departures.opens_on(session, departure, "A") == date(2026, 11, 29)
    vip = customer(session, clock, "Zhou Min", "A")
    clock.set(clock.now().replace(day=29))
    booking = book(session, rt, departure, vip)
    assert booking.status == "booked"
    assert session.get(Case, booking.case_id).data["days_early"] == 21


def test_a_b_tier_booking_gets_the_tier_discount_on_the_route_price(session, rt, clock):
    departure = departures.create_departure(session, rt, {**ROUTE, "seats": 3}, actor("travel_advisor"))
    clock.set(clock.now().replace(year=2026, month=12, day=21, hour=2))  # released
    member = customer(session, clock, "Qian Li", "B")
    plain = customer(session, clock, "Sun Yu", "C")
    b_trip = session.get(Case, book(session, rt, departure, member, travellers=2).case_id)
    c_trip = session.get(Case, book(session, rt, departure, plain).case_id)
    assert (b_trip.data["quoted_price"], b_trip.data["discount_rate"]) == (12000, 0.05)
    assert (b_trip.data["discount_amount"], b_trip.data["total_price"]) == (
        600,
        11400,
    )  # the contract default
    assert (c_trip.data["discount_rate"], c_trip.data["total_price"]) == (0.0, 6000)
