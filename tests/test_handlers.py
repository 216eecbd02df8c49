"""Each handler on its own, with a real HandlerContext over the test database."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from handlers import change, confirmation, feedback, planning, tiering
from workflows.cases.context import HandlerContext
from workflows.customers.operations import create_customer
from workflows.engine.handlers import DuplicateHandler, HandlerRegistry
from workflows.errors import Invalid
from workflows.models import Document, Improvement, Trip
from workflows.permissions import Actor

from .conftest import SHANGHAI, insert_trip_case


@pytest.fixture
def case_id(session, clock):
    return insert_trip_case(session, clock)


def ctx(session, clock, case_id, data=None, user="account_manager"):
    return HandlerContext(
        session, case_id, dict(data or {}), Actor(user, frozenset({user})), clock.now(), "Asia/Shanghai"
    )


TRIP = {
    "customer_name": "Lin Yi",
    "destination": "Lijiang",
    "start_date": "2026-12-20",
    "end_date": "2026-12-24",
    "travellers": 2,
    "total_price": 12000,
    "contract_number": "HT-7",
    "signed_on": "2026-11-22",
    "itinerary": [
        {
            "day": 1,
            "transport": "flight",
            "accommodation": "Old town inn",
            "attractions": "Old town",
            "meals": "Naxi dinner",
        }
    ],
}


def test_registry_refuses_duplicates():
    registry = HandlerRegistry()
    registry.service("x")(lambda c: {})
    with pytest.raises(DuplicateHandler):
        registry.service("x")(lambda c: {})


def test_collect_needs_creates_or_picks_the_customer(session, clock, case_id):
    created = planning.collect_needs_done(ctx(session, clock, case_id), {"new_customer": {"name": "New One"}})
    assert created["customer_name"] == "New One" and created["customer_tier"] == "C"
    assert created["trip_account_manager"] == "account_manager"
    picked = planning.collect_needs_done(
        ctx(session, clock, case_id), {"customer_id": created["customer_id"]}
    )
    assert picked["customer_id"] == created["customer_id"]
    with pytest.raises(Invalid):
        planning.collect_needs_done(ctx(session, clock, case_id), {})


def test_record_itinerary_and_letter(session, clock, case_id):
    customer = create_customer(session, {"name": "Lin Yi"}, now=clock.now())
    data = {**TRIP, "customer_id": customer.id}
    result = confirmation.record_itinerary(ctx(session, clock, case_id, data))
    trip = session.get(Trip, result["trip_id"])
    assert trip.destination == "Lijiang" and trip.signed_on == date(2026, 11, 22)
    letter = confirmation.prepare_confirmation_letter(ctx(session, clock, case_id, data))
    document = session.get(Document, letter["confirmation_letter_id"])
    html = document.content.decode()
    assert document.kind == "confirmation_letter" and "Lijiang" in html and "What to bring" in html
    hostile = confirmation.prepare_confirmation_letter(
        ctx(session, clock, case_id, {**data, "customer_name": "<script>alert(1)</script>"})
    )
    escaped = session.get(Document, hostile["confirmation_letter_id"]).content.decode()
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped


def test_change_window(session, clock, case_id):
    soon = ctx(session, clock, case_id, {"start_date": "2026-11-24"})  # clock: 23 Nov 09:00
    assert change.check_change_window(soon)["change_allowed"] is False
    later = ctx(session, clock, case_id, {"start_date": "2026-11-25"})
    assert change.check_change_window(later) == {"change_allowed": True, "change_refusal": ""}
    with pytest.raises(Invalid):
        change.submit_change_request_done(soon, {"change_type": "hotel"})
    exact = ctx(
        session,
        clock,
        case_id,
        {"start_date": "2026-12-01", "affected_service_start": "2026-11-24T08:59:00+08:00"},
    )
    assert change.check_change_window(exact)["change_allowed"] is False


def test_apply_change_updates_trip_and_queues_message(session, clock, case_id):
    confirmation.save_trip_record(ctx(session, clock, case_id), TRIP)
    change_ctx = ctx(
        session,
        clock,
        case_id,
        {
            **TRIP,
            "trip_case_id": case_id,
            "new_start_date": "2026-12-27",
            "new_end_date": "2026-12-31",
            "cost_delta": -500,
        },
    )
    result = change.apply_change(change_ctx)
    assert {k: result[k] for k in ("start_date", "end_date", "total_price")} == {
        "start_date": "2026-12-27",
        "end_date": "2026-12-31",
        "total_price": 11500,
    }
    [message] = change_ctx.outbox
    assert message.name == "itinerary_changed" and message.payload["start_date"] == "2026-12-27"
    trip = session.scalars(select(Trip).where(Trip.case_id == case_id)).one()
    assert trip.start_date == date(2026, 12, 27)


def test_feedback_spend_and_backlog(session, clock, case_id):
    customer = create_customer(session, {"name": "Spender"}, now=clock.now())
    confirmation.save_trip_record(ctx(session, clock, case_id), {**TRIP, "customer_id": customer.id})
    spend = feedback.customer_spend(ctx(session, clock, case_id), {"customer_id": customer.id})
    assert spend == {"annual_spend": 12000.0, "trips_12m": 1}
    result = feedback.log_improvement(
        ctx(session, clock, case_id, {"suggestion": "Warmer rooms", "topic": "hotel"})
    )
    assert session.get(Improvement, result["improvement_id"]).text == "Warmer rooms"


def test_tiering_values_and_apply(session, clock, case_id):
    customer = create_customer(session, {"name": "Tiered"}, now=clock.now())
    values = tiering.compute_customer_values(ctx(session, clock, case_id))
    assert {
        "customer_id": customer.id,
        "name": "Tiered",
        "tier": "C",
        "annual_spend": 0.0,
        "trips_12m": 0,
        "spend_basis": "contract",
        "settled_spend": 0.0,
        "contract_spend": 0.0,
        "complaints_12m": 0,
        "low_ratings_12m": 0,
    } in values["customers"]
    proposals = [
        {
            "customer_id": customer.id,
            "proposed_tier": "B",
            "current_tier": "C",
            "annual_spend": 0,
            "trips_12m": 0,
        }
    ]
    applied = tiering.apply_tiers(
        ctx(
            session, clock, case_id, {"tier_proposals": proposals, "overrides": []}, user="service_supervisor"
        )
    )
    assert applied["tier_changes"][0]["new_tier"] == "B" and customer.tier == "B"


def test_b_discount(session, clock, case_id):
    result = planning.design_itinerary_done(
        ctx(session, clock, case_id, {"customer_tier": "B"}), {"quoted_price": 10000}
    )
    assert result == {
        "design_advisor": "account_manager",
        "discount_rate": 0.05,
        "discount_amount": 500.0,
        "discounted_price": 9500.0,
        "total_price": 9500.0,
    }
    letter = confirmation.prepare_confirmation_letter(
        ctx(
            session,
            clock,
            case_id,
            {**TRIP, **result, "customer_tier": "B", "quoted_price": 10000, "contract_price": 9500},
        )
    )
    html = session.get(Document, letter["confirmation_letter_id"]).content.decode()
    assert "Fee breakdown" in html and "B-tier discount 5 %" in html and "−¥500.00" in html
    assert (
        planning.design_itinerary_done(
            ctx(session, clock, case_id, {"customer_tier": "A"}), {"quoted_price": 10000}
        )["discount_rate"]
        == 0.0
    )


def test_clock_is_the_contexts(session, clock, case_id):
    clock.set(datetime(2027, 3, 1, 23, 30, tzinfo=SHANGHAI))
    assert ctx(session, clock, case_id).today == date(2027, 3, 1)
