"""Customer tiers: the DMN boundaries, the tiering round with overrides, and tier benefits."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from workflows.customers.operations import create_customer, spend_last_12_months
from workflows.models import TierChange, Trip, WorkItem

from .conftest import ITINERARY, NEEDS, insert_trip_case, open_task


def _customer_with_trips(session, clock, name, prices, days_ago=30):
    customer = create_customer(session, {"name": name}, now=clock.now())
    for i, price in enumerate(prices):
        case_id = insert_trip_case(session, clock, status="completed")
        session.add(
            Trip(
                case_id=case_id,
                customer_id=customer.id,
                total_price=price,
                signed_on=date(2026, 11, 23).fromordinal(date(2026, 11, 23).toordinal() - days_ago - i),
                updated_at=clock.now(),
            )
        )
    session.commit()
    return customer


@pytest.mark.parametrize(
    "prices, tier",
    [
        ([49_999.99], "B"),
        ([50_000], "A"),
        ([9_999], "C"),
        ([10_000], "B"),
        ([100, 100], "B"),
        ([100, 100, 100, 100], "A"),
        ([100, 100, 100], "B"),
    ],
)
def test_dmn_boundaries(session, clock, start_case, work, prices, tier):
    customer = _customer_with_trips(session, clock, "Boundary", prices)
    case = start_case("customer_tiering", by="service_supervisor")
    proposal = next(p for p in case.data["tier_proposals"] if p["customer_id"] == customer.id)
    assert proposal["proposed_tier"] == tier


def test_tiering_round_with_override_and_checklist(session, clock, start_case, work):
    big = _customer_with_trips(session, clock, "Big Spender", [60_000])
    loyal = _customer_with_trips(session, clock, "Loyal Friend", [3_000])
    create_customer(session, {"name": "New Face"}, now=clock.now())
    session.commit()
    case = start_case("customer_tiering", by="service_supervisor")
    review = open_task(session, case.id, "review_tier_changes")
    assert review.lane == "service_supervisor"
    changes = {p["name"]: p["proposed_tier"] for p in case.data["proposed_tier_changes"]}
    assert changes == {"Big Spender": "A"}
    case = work(
        case,
        "review_tier_changes",
        overrides=[{"customer_id": loyal.id, "tier": "B", "reason": "word-of-mouth: brought three families"}],
    )
    checklist = open_task(session, case.id, "notify_tier_changes")
    assert checklist.lane == "customer_service"
    moved = {c["name"]: (c["old_tier"], c["new_tier"]) for c in case.data["tier_changes"]}
    assert moved == {"Big Spender": ("C", "A"), "Loyal Friend": ("C", "B")}
    session.refresh(big)
    session.refresh(loyal)
    assert big.tier == "A" and loyal.tier == "B"
    history = session.scalars(select(TierChange).where(TierChange.customer_id == loyal.id)).one()
    assert history.reason.startswith("word-of-mouth") and history.by == "service_supervisor"
    case = work(
        case,
        "notify_tier_changes",
        tier_changes=[
            {**c, "contacted": True, "contact_channel": "phone"} for c in case.data["tier_changes"]
        ],
    )
    assert case.status == "completed"


def test_retiering_after_a_contract(session, clock, start_case, work):
    case = start_case()
    case = work(case, "collect_needs", new_customer={"name": "Repeat Buyer"}, **NEEDS)
    customer_id = case.data["customer_id"]
    assert spend_last_12_months(session, customer_id, date(2026, 11, 23)).annual_spend == 0
    case = work(case, "design_itinerary", **ITINERARY)
    case = work(case, "review_itinerary", approved=True)
    case = work(case, "present_to_customer", customer_accepts=True)
    work(case, "sign_contract", contract_number="C-1", signed_on="2026-11-23", total_price=55_000)
    assert spend_last_12_months(session, customer_id, date(2026, 11, 23)).annual_spend == 55_000
    tiering = start_case("customer_tiering", by="service_supervisor")
    assert [p["proposed_tier"] for p in tiering.data["proposed_tier_changes"]] == ["A"]


def test_a_tier_first_in_the_inbox_and_reprioritised_on_change(session, clock, start_case, work, rt):
    from workflows.customers.operations import set_tier
    from workflows.inbox.queries import list_tasks
    from workflows.permissions import Actor

    plain = create_customer(session, {"name": "Plain"}, now=clock.now())
    vip = create_customer(session, {"name": "Soon VIP"}, now=clock.now())
    session.commit()
    for customer in (plain, vip):
        work(start_case(), "collect_needs", customer_id=customer.id, **NEEDS)
    advisor = Actor("travel_advisor", frozenset({"travel_advisor"}))
    names = [i.customer_name for i in list_tasks(session, advisor, "group", now=clock.now())[0]]
    assert names == ["Plain", "Soon VIP"]
    set_tier(session, vip, "A", by="test", reason="test", now=clock.now())
    session.commit()
    items, _ = list_tasks(session, advisor, "group", now=clock.now())
    assert [(i.customer_name, i.customer_tier) for i in items] == [("Soon VIP", "A"), ("Plain", "C")]


def test_b_tier_discount_recorded_on_the_quote(session, clock, start_case, work):
    from workflows.customers.operations import set_tier

    customer = create_customer(session, {"name": "Bee"}, now=clock.now())
    set_tier(session, customer, "B", by="test", reason="test", now=clock.now())
    session.commit()
    case = work(start_case(), "collect_needs", customer_id=customer.id, **NEEDS)
    case = work(case, "design_itinerary", **ITINERARY)
    assert case.data["discount_rate"] == 0.05 and case.data["discounted_price"] == 32_300


def test_identity_numbers_masked_everywhere_but_the_admin_view(api, session):
    card = (
        api.as_("account_manager")
        .post("/api/v1/customers", json={"name": "Masked", "id_number": "310101198001011234"})
        .get_json()
    )
    assert card["id_number"] == "310***********1234"
    listed = api.get("/api/v1/customers").get_json()["items"][0]
    assert listed["id_number"] == "310***********1234"
    assert session.scalars(select(WorkItem)).all() == []
