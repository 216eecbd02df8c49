"""Customer value (issue 18): the cards after a trip, settlement, points, the benefits written from DMN.

Trips are played by the real engine (the scenario files of ``bpmn/scenarios/trip_settlement``);
the clock moves for the expiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from workflows.cases.schedules import run_schedules
from workflows.customers import points
from workflows.customers.benefits import benefits_of, benefits_text
from workflows.customers.operations import create_customer, spend_last_12_months
from workflows.customers.settlement import settlement_of_case
from workflows.errors import Invalid
from workflows.metrics import metrics_json, quarter_period
from workflows.models import Case, ContactRecord, Customer, Notification, PointsEntry, TierChange, WorkItem
from workflows.scenarios.loader import load_file
from workflows.scenarios.runner import run_scenario

from .conftest import PASSWORD, ROOT, SHANGHAI, open_task

SCENARIOS = ROOT / "bpmn" / "scenarios"


def _play(session, rt, name: str):
    result = run_scenario(session, rt, load_file(SCENARIOS / name, SCENARIOS), SCENARIOS)
    assert result.passed, str(result.failure)
    return result


def _customer(session, name: str = "Gao Yuan") -> Customer:
    return session.scalars(select(Customer).where(Customer.name == name)).one()


def test_settled_trip_writes_settlement_cards_copy_and_points(session, rt):
    _play(session, rt, "trip_settlement/cards_block_settlement.yaml")
    gao = _customer(session)
    trip = session.scalars(select(Case).where(Case.process_key == "trip")).one()
    settled = settlement_of_case(session, trip.id)
    assert (float(settled.amount_paid), float(settled.supplier_costs), float(settled.margin)) == (
        34000,
        25500,
        8500,
    )
    assert settled.settled_by == "finance"
    # 1 point per 10 CNY for tier A (DMN points_rules): 3,400 points, valid 24 months
    [earned] = session.scalars(select(PointsEntry).where(PointsEntry.customer_id == gao.id)).all()
    assert (earned.delta, earned.reason, earned.case_id) == (3400, "earned", trip.id)
    assert earned.expires_at.astimezone(SHANGHAI) == datetime(2028, 12, 28, 11, 0, tzinfo=SHANGHAI)
    # the profile card took the structured answers, and collect_needs' text
    card = rt_card(session, rt, gao.id)
    assert card["profile"]["preferences"]["dietary"] == "no shellfish"
    assert card["profile"]["preferences"]["pace"] == "relaxed"
    assert card["profile"]["special_needs"]["notes"] == "no stairs for grandmother"
    assert card["profile"]["special_needs"]["mobility"] == "uses a cane"  # from collect_needs, kept
    assert card["profile"]["offer_next"] == "Hokkaido in winter"
    # the contact record card is a contact on the customer's card, by the guide
    [contact] = session.scalars(select(ContactRecord).where(ContactRecord.customer_id == gao.id)).all()
    assert contact.by == "tour_guide" and "loved the ryokan" in contact.summary and contact.case_id == trip.id
    # 抄送主管: the supervisor is told, linked to the case
    [copy] = session.scalars(select(Notification).where(Notification.kind == "copy_filed")).all()
    assert (copy.username, copy.case_id, copy.customer_name) == ("service_supervisor", trip.id, "Gao Yuan")
    assert card["points"]["balance"] == 3400 and card["points"]["value_cny"] == 340.0


def rt_card(session, rt, customer_id: int):
    from workflows.customers import profiles

    return profiles.card(session, rt, customer_id)


def test_spend_for_tiering_counts_the_settled_amount_and_says_so(session, rt, clock):
    _play(session, rt, "trip_settlement/points_earned_redeemed_and_expired.yaml")
    gao = _customer(session)
    today = datetime(2026, 12, 28, tzinfo=SHANGHAI).date()  # the first trip only: settled
    spend = spend_last_12_months(session, gao.id, today)
    assert (spend.annual_spend, spend.settled_trips, spend.basis) == (34000.0, 1, "settled")
    today = datetime(2027, 1, 5, tzinfo=SHANGHAI).date()
    spend = spend_last_12_months(session, gao.id, today)
    # the second trip (17,700 after points) is not settled: its contract price counts
    assert (spend.settled_spend, spend.contract_spend, spend.basis) == (34000.0, 17700.0, "mixed")


def test_tier_review_shows_where_spend_comes_from(session, rt, clock, client):
    _play(session, rt, "trip_settlement/cards_block_settlement.yaml")
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI))
    [case_id] = run_schedules(session, rt)[:1]
    case = session.get(Case, case_id)
    assert case.process_key == "customer_tiering"
    gao = _customer(session)
    [proposal] = [p for p in case.data["tier_proposals"] if p["customer_id"] == gao.id]
    assert (proposal["spend_basis"], proposal["settled_spend"], proposal["annual_spend"]) == (
        "settled",
        34000.0,
        34000.0,
    )


def _ledger_customer(session, clock, name: str) -> Customer:
    customer = create_customer(session, {"name": name}, now=clock.now())
    session.commit()
    return customer


def test_points_expire_by_the_clock_soonest_first(session, rt, clock):
    """Redemptions use the points that lapse first; a lot lapses by what is left of it."""
    terms = points.redemption_terms(session, "A")
    assert (terms.points, terms.cny) == (100, 10.0)
    t0 = datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI)
    wu = _ledger_customer(session, clock, "Wu Lei")
    points.earn(session, wu.id, 1000, case_id=None, now=t0, months=24)
    points.earn(session, wu.id, 500, case_id=None, now=t0 + timedelta(days=31), months=24)
    points.redeem(session, wu.id, 800, case_id=None, now=t0 + timedelta(days=40), terms=terms)
    session.commit()
    lapse_1 = datetime(2029, 1, 10, 9, 0, tzinfo=SHANGHAI)
    assert points.balance(session, wu.id, lapse_1 - timedelta(seconds=1)) == 700
    # the first lot had 200 left (800 of it redeemed): those lapse, the second lot's 500 stay
    assert points.balance(session, wu.id, lapse_1) == 500
    # the timer round writes the expiry line once, at the lot's expiry instant
    clock.set(lapse_1 + timedelta(hours=1))
    run_schedules(session, rt)
    run_schedules(session, rt)
    lines = session.scalars(
        select(PointsEntry).where(PointsEntry.customer_id == wu.id, PointsEntry.reason == "expired")
    ).all()
    assert [(e.delta, e.at.astimezone(SHANGHAI)) for e in lines] == [(-200, lapse_1)]
    assert points.balance(session, wu.id, clock.now()) == 500
    history = points.history(session, wu.id, clock.now())
    assert [h["reason"] for h in history] == ["expired", "redeemed", "earned", "earned"]
    # a month later the second lot lapses too; redeeming now is refused, naming the field
    clock.set(datetime(2029, 2, 10, 9, 0, tzinfo=SHANGHAI))
    assert points.balance(session, wu.id, clock.now()) == 0
    with pytest.raises(Invalid) as refused:
        points.redeem(session, wu.id, 100, case_id=None, now=clock.now(), terms=terms)
    assert [d["field"] for d in refused.value.details] == ["points_redeemed"]
    session.rollback()


def test_points_outstanding_against_a_hand_computed_answer(session, rt, clock, api, client):
    """Gao: 3,400 earned 2026-12-28 (settled trip), 3,000 redeemed on the next contract: 400 left.
    Wu: 1,000 earned 2027-01-10. End of 2027Q1: 400 + 1,000 = 1,400 points held by 2 customers,
    worth 1,400 / 100 × 10 = 140 CNY. 2029Q1 (after both lapse): 0."""
    _play(session, rt, "trip_settlement/points_earned_redeemed_and_expired.yaml")
    wu = _ledger_customer(session, clock, "Wu Lei")
    points.earn(
        session, wu.id, 1000, case_id=None, now=datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI), months=24
    )
    session.commit()
    clock.set(datetime(2029, 6, 1, 9, 0, tzinfo=SHANGHAI))
    q1 = metrics_json(session, quarter_period("2027Q1"), clock.now())["points_outstanding"]
    assert (q1["value"], q1["n"], q1["unit"], q1["target"], q1["value_cny"]) == (
        1400,
        2,
        "points",
        None,
        140.0,
    )
    later = metrics_json(session, quarter_period("2029Q2"), clock.now())["points_outstanding"]
    assert (later["value"], later["n"]) == (0, 0)
    body = api.as_("data_analyst").get("/api/v1/metrics?quarter=2027Q1").get_json()
    assert body["points_outstanding"]["value"] == 1400
    csv = api.as_("data_analyst").get("/api/v1/metrics/export.csv?quarter=2027Q1").get_data(as_text=True)
    assert any(line.startswith("points_outstanding,") and ",1400," in line for line in csv.splitlines())
    client.post("/login", data={"username": "data_analyst", "password": PASSWORD})
    html = client.get("/reports?quarter=2027Q1", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "未兑付积分" in html and "1,400" in html and "可抵扣 140 元" in html


def test_benefit_text_comes_from_the_dmn_values(session, rt):
    a = {b.key: b for b in benefits_of(session, "A")}
    assert "每消费 10 元积 1 分" in a["points"].zh and "100 积分抵 10 元" in a["points"].zh
    assert "24 个月" in a["points"].zh and "priority_booking" in a and "birthday_gift" in a
    b = {x.key for x in benefits_of(session, "B")}
    assert {"discount", "points", "news", "member_events"} <= b and "priority_booking" not in b
    assert "points" not in {x.key for x in benefits_of(session, "C")}  # C earns none (rate 0)
    assert "每消费 50 元积 1 分" in benefits_text(session, "B")


def test_tier_change_notice_uses_the_same_benefit_text(session, rt, clock):
    _play(session, rt, "trip_settlement/cards_block_settlement.yaml")
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI))
    [case_id] = run_schedules(session, rt)[:1]
    from workflows.cases import operations as cases
    from workflows.models import WorkItem
    from workflows.permissions import Actor

    item = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.bpmn_id == "review_tier_changes")
    ).one()
    gao = _customer(session)
    overrides = [{"customer_id": gao.id, "tier": "B", "reason": "test"}]
    cases.complete_task(
        session,
        rt,
        item.id,
        {"overrides": overrides},
        Actor("service_supervisor", frozenset({"service_supervisor"})),
    )
    changes = session.get(Case, case_id).data["tier_changes"]
    [mine] = [c for c in changes if c["customer_id"] == gao.id]
    assert mine["benefits"] == benefits_text(session, "B")
    latest = select(TierChange).where(TierChange.customer_id == gao.id).order_by(TierChange.id.desc())
    assert session.scalars(latest).first().to_tier == "B"


def test_card_api_and_pages_show_profile_points_and_benefits(session, rt, api, client):
    _play(session, rt, "trip_settlement/points_earned_redeemed_and_expired.yaml")
    gao = _customer(session)
    body = api.as_("account_manager").get(f"/api/v1/customers/{gao.id}").get_json()
    # 3,400 earned, 3,000 redeemed; the scenario ends when the other 400 lapse
    assert body["points"]["balance"] == 0
    assert [(h["reason"], h["delta"]) for h in body["points"]["history"]] == [
        ("expired", -400),
        ("redeemed", -3000),
        ("earned", 3400),
    ]
    assert body["profile"]["special_needs"]["notes"] == "no stairs for grandmother"
    assert body["spend_basis"] in ("settled", "contract", "mixed") and body["benefits"]
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    zh = {"Accept-Language": "zh-CN"}
    html = client.get(f"/customers/{gao.id}", headers=zh).get_data(as_text=True)
    assert "偏好与特殊需求" in html and "no shellfish" in html and "过期作废" in html and "合同抵扣" in html
    assert "旅行积分：每消费 10 元积 1 分" in html
    # every task about the customer shows the profile: here trip #3's open contract
    task = session.scalars(
        select(WorkItem).where(WorkItem.customer_id == gao.id, WorkItem.status.in_(("ready", "claimed")))
    ).first()
    detail = api.as_("account_manager").get(f"/api/v1/tasks/{task.id}").get_json()
    assert detail["customer_profile"]["preferences"]["dietary"] == "no shellfish"
    assert detail["customer_points"] == 0  # the last 400 lapsed as the scenario ended
    html = client.get(f"/tasks/{task.id}", headers=zh).get_data(as_text=True)
    assert "偏好与特殊需求" in html and "no stairs for grandmother" in html and "Hokkaido in winter" in html
    assert "持有积分：0" in html


def test_redeeming_refuses_bad_input_naming_the_field(session, rt, api):
    """Through the API: 400 naming points_redeemed, and nothing redeemed."""
    _play(session, rt, "trip_settlement/cards_block_settlement.yaml")
    gao = _customer(session)
    from workflows.cases import operations as cases
    from workflows.permissions import Actor

    manager = Actor("account_manager", frozenset({"account_manager"}))
    case = cases.start_case(session, rt, "trip", {}, manager)
    for task_id, answers in (
        (
            "collect_needs",
            {
                "customer_id": gao.id,
                "purpose": "x",
                "destination": "Sanya",
                "start_date": "2027-03-01",
                "end_date": "2027-03-05",
                "travellers": 1,
                "budget": 5000,
            },
        ),
        ("design_itinerary", {"itinerary": [{"day": 1, "transport": "flight"}], "quoted_price": 5000}),
        ("review_itinerary", {"approved": True}),
        ("present_to_customer", {"customer_accepts": True}),
    ):
        item = open_task(session, case.id, task_id)
        who = Actor(item.lane, frozenset({item.lane}))
        cases.complete_task(session, rt, item.id, answers, who)
    item = open_task(session, case.id, "sign_contract")
    base = {"contract_number": "HT-99", "signed_on": "2026-12-29", "total_price": 5000}
    for bad in (-100, 150, 3500, "many", True):
        response = api.as_("account_manager").post(
            f"/api/v1/tasks/{item.id}/complete", json={"data": {**base, "points_redeemed": bad}}
        )
        assert response.status_code == 400, (bad, response.get_json())
        assert [d["field"] for d in response.get_json()["details"]] == ["points_redeemed"], bad
    # worth more than the price: 3,400 points would be 340 CNY off a 300 CNY contract
    response = api.as_("account_manager").post(
        f"/api/v1/tasks/{item.id}/complete",
        json={"data": {**base, "total_price": 300, "points_redeemed": 3400}},
    )
    assert response.status_code == 400 and response.get_json()["details"][0]["field"] == "points_redeemed"
    assert points.balance(session, gao.id, rt.clock.now()) == 3400
    response = api.as_("account_manager").post(
        f"/api/v1/tasks/{item.id}/complete", json={"data": {**base, "points_redeemed": 1000}}
    )
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    assert points.balance(session, gao.id, rt.clock.now()) == 2400
    assert session.get(Case, case.id).data["total_price"] == 4900


def test_the_demo_settles_trips_and_earns_points(app, session, rt, clock):
    """``flask demo`` drives the cards and the settlement like everyone else, so the pages have data."""
    from sqlalchemy import func

    from demo import load_demo_history
    from workflows.models import CustomerProfile, TripSettlement

    summary = load_demo_history(app, trips=40, days=200, seed=11)
    assert "problem" not in summary, summary
    assert session.scalar(select(func.count(TripSettlement.id))) >= 3
    assert session.scalar(select(func.count(CustomerProfile.customer_id))) >= 3
    assert session.scalar(select(func.count(PointsEntry.id)).where(PointsEntry.reason == "earned")) >= 1
    copies = select(func.count(Notification.id)).where(Notification.kind == "copy_filed")
    assert session.scalar(copies) >= 3


def test_the_table_reader_understands_the_cells_our_tables_use_and_refuses_the_rest():
    from workflows.customers.decision_tables import UnreadableRule, _matches

    assert _matches("", "A") and _matches("-", None)
    assert _matches('"A"', "A") and not _matches('"A"', "B")
    assert _matches('"A", "B"', "B") and not _matches('"A", "B"', "C")
    assert _matches(">= 50000", 50000) and not _matches("> 10000", 10000) and not _matches("< 3", None)
    with pytest.raises(UnreadableRule):
        _matches("customer_tier in allowed_tiers()", "A")
