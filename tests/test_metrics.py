"""Metrics with hand-computed answers: small histories built through the case service (direct rows
only for trips and tiers), then every figure checked, including empty periods."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from workflows import metrics
from workflows.cases import operations as cases
from workflows.customers.operations import create_customer, set_tier
from workflows.deploy.queries import latest_version
from workflows.errors import Invalid
from workflows.models import Case, Document, Improvement, Trip
from workflows.permissions import SYSTEM

from .conftest import ITINERARY, SHANGHAI, actor, open_task

T0 = datetime(2026, 7, 6, 9, 0, tzinfo=SHANGHAI)  # a Monday in 2026Q3
Q3 = metrics.quarter_period("2026Q3")


def at(clock: Any, hours: float) -> datetime:
    """Move the clock to ``hours`` after T0."""
    clock.set(T0 + timedelta(hours=hours))
    return clock.now()


def figures(session: Any, clock: Any, period: metrics.Period = Q3) -> dict[str, dict[str, Any]]:
    return metrics.metrics_json(session, period, clock.now())


# --- periods and arithmetic -------------------------------------------------------------------


def test_quarter_and_range_periods() -> None:
    q = metrics.quarter_period("2026Q3")
    assert (q.first, q.last, q.label) == (date(2026, 7, 1), date(2026, 9, 30), "2026Q3")
    assert q.start_at.isoformat() == "2026-06-30T16:00:00+00:00"  # local midnight, Asia/Shanghai
    assert q.end_at.isoformat() == "2026-09-30T16:00:00+00:00"
    assert q.previous().label == "2026Q2" and metrics.quarter_period("2026Q1").previous().label == "2025Q4"
    assert q.year_before().label == "2025Q3"
    assert metrics.previous_quarter(date(2026, 10, 1)).label == "2026Q3"
    ranged = metrics.period_from_query(
        {"from": "2026-07-01", "to": "2026-07-10"}, "Asia/Shanghai", date(2026, 8, 1)
    )
    assert ranged.days == 10 and ranged.previous().first == date(2026, 6, 21)
    assert metrics.period_from_query({}, "Asia/Shanghai", date(2026, 11, 23)).label == "2026Q4"
    assert [p.first.month for p in metrics.month_periods(date(2026, 2, 10), 3)] == [12, 1, 2]


@pytest.mark.parametrize(
    "args, field",
    [
        ({"quarter": "2026Q5"}, "quarter"),
        ({"quarter": "26Q1"}, "quarter"),
        ({"quarter": "2026Q1", "from": "2026-01-01"}, "quarter"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "2026-07-01"}, "to"),
        ({"from": "2026-07-10", "to": "2026-07-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_periods_name_the_field(args: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        metrics.period_from_query(args, "Asia/Shanghai", date(2026, 8, 1))
    assert [d["field"] for d in caught.value.details] == [field]


def test_percentile_interpolates_between_ranks() -> None:
    assert metrics.percentile([4, 1, 3, 2], 0.5) == 2.5
    assert metrics.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert metrics.percentile([7], 0.9) == 7
    assert metrics.percentile([], 0.5) is None


def test_empty_period_has_no_data_and_no_division_by_zero(session: Any, clock: Any) -> None:
    result = figures(session, clock)
    assert list(result) == list(metrics.METRICS)
    for key, figure in result.items():
        assert {"value", "target", "unit", "n"} <= set(figure), key
        assert figure["n"] == 0, key
    for key in (
        "csat",
        "nps",
        "repurchase_rate",
        "complaint_resolution_hours",
        "plan_rejection_rate",
        "rework_loops",
        "change_requests",
        "cycle_time",
        "tiers",
    ):
        assert result[key]["value"] is None and result[key]["reason"], key
    assert result["complaints"]["value"] == 0 and result["complaints"]["urgent_pct"] is None
    assert result["csat"]["target"] == 90 and result["nps"]["target"] == 40
    assert result["complaint_resolution_hours"]["target"] == 24


# --- feedback ---------------------------------------------------------------------------------


def _survey(start_case: Any, work: Any, satisfaction: int, score: int, tier: str = "C") -> Case:
    case = start_case("trip_feedback", by="customer_service", customer_name="李娜", customer_tier=tier)
    task = "revisit_call" if tier == "A" else "collect_survey"
    extra = {"called_on": "2026-07-06"} if tier == "A" else {"survey_channel": "sms"}
    return work(case, task, satisfaction=satisfaction, nps=score, has_complaint=False, comments="", **extra)


def test_csat_and_nps(session: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, -24 * 10)  # 26 June: before the quarter, must not count
    _survey(start_case, work, 1, 0)
    at(clock, 0)
    for satisfaction, score, tier in ((5, 10, "A"), (4, 9, "C"), (4, 9, "C"), (3, 7, "C"), (2, 3, "C")):
        _survey(start_case, work, satisfaction, score, tier)
    result = figures(session, clock)
    # satisfied 3 of 5; promoters 3 (10, 9, 9), detractors 1 (3): (3 - 1) / 5
    assert (result["csat"]["value"], result["csat"]["n"], result["csat"]["met"]) == (60.0, 5, False)
    assert result["csat"]["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 2, "5": 1}
    assert (result["nps"]["value"], result["nps"]["n"], result["nps"]["met"]) == (40.0, 5, True)
    assert (result["nps"]["promoters"], result["nps"]["passives"], result["nps"]["detractors"]) == (3, 1, 1)
    june = metrics.Period(date(2026, 6, 1), date(2026, 6, 30))
    assert figures(session, clock, june)["csat"]["value"] == 0.0


# --- planning: rejections and rework -------------------------------------------------------------


NEEDS = {
    "new_customer": {"name": "王芳 Wang Fang", "segment": "family"},
    "purpose": "holiday",
    "destination": "Kyoto",
    "start_date": "2026-08-10",
    "end_date": "2026-08-15",
    "travellers": 2,
    "budget": 30000,
}


def test_plan_rejections_and_rework_loops(session: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, 0)
    first = start_case("itinerary_planning")
    work(first, "collect_needs", **NEEDS)
    work(first, "design_itinerary", **ITINERARY)
    work(first, "review_itinerary", approved=False, review_comments="too expensive")
    work(first, "design_itinerary", **ITINERARY)
    work(first, "review_itinerary", approved=False, review_comments="still too expensive")  # false → false
    work(first, "design_itinerary", **ITINERARY)
    work(first, "review_itinerary", approved=True)
    work(
        first,
        "present_to_customer",
        customer_accepts=False,
        customer_withdrew=False,
        requested_adjustments="one more day in Nara",
    )
    work(first, "design_itinerary", **ITINERARY)
    work(first, "review_itinerary", approved=True)  # true → true
    second = start_case("itinerary_planning")
    work(second, "collect_needs", **NEEDS)
    work(second, "design_itinerary", **ITINERARY)
    work(second, "review_itinerary", approved=True)
    result = figures(session, clock)
    # 5 reviews, 2 rejected; design rounds 4 and 1: loops 3 + 0 over 2 cases
    assert (result["plan_rejection_rate"]["value"], result["plan_rejection_rate"]["n"]) == (40.0, 5)
    assert result["plan_rejection_rate"]["rejected"] == 2
    assert (result["rework_loops"]["value"], result["rework_loops"]["n"]) == (1.5, 2)
    assert (result["rework_loops"]["total"], result["rework_loops"]["max"]) == (3, 3)
    assert metrics.cases_behind(session, "rework_loops", Q3, clock.now()) == [first.id]
    assert metrics.cases_behind(session, "plan_rejection_rate", Q3, clock.now()) == [first.id]


# --- complaints ---------------------------------------------------------------------------------


def _complaint(start_case: Any, urgency: str, topic: str) -> Case:
    return start_case(
        "complaint_handling",
        by="customer_service",
        urgency=urgency,
        topic=topic,
        customer_name="Emily Chen",
        complaint_details=f"{topic} problem",
    )


def _resolve(work: Any, case: Case) -> None:
    work(
        case,
        "resolve_complaint",
        complaint_details="problem",
        resolution="apology and refund",
        compensation=200,
        responsible_party="supplier",
    )


def test_complaints_resolution_escalation_and_sla(
    session: Any, rt: Any, clock: Any, start_case: Any, work: Any
) -> None:
    at(clock, 0)
    a = _complaint(start_case, "urgent", "hotel")
    b = _complaint(start_case, "normal", "hotel")
    c = _complaint(start_case, "normal", "guide")
    d = _complaint(start_case, "urgent", "transport")
    at(clock, 1)
    _resolve(work, a)
    work(a, "follow_up_call", customer_satisfied=True)
    at(clock, 3)
    cases.fire_due_timers(session, rt, SYSTEM)  # d: urgent, unresolved after 2 h → escalated
    at(clock, 5)
    _resolve(work, c)
    at(clock, 6)
    work(c, "follow_up_call", customer_satisfied=False, notes="still unhappy")  # reopened
    at(clock, 10)
    _resolve(work, c)
    work(c, "follow_up_call", customer_satisfied=True)
    at(clock, 24 + 1 / 60)
    cases.fire_due_timers(session, rt, SYSTEM)  # b: normal, unresolved after 24 h → escalated
    at(clock, 30)
    _resolve(work, b)
    result = figures(session, clock)
    # resolved: a 1 h, c 10 h (final resolution of the reopened complaint), b 30 h; d open
    hours = result["complaint_resolution_hours"]
    assert (hours["value"], hours["p90_hours"], hours["n"], hours["unresolved"]) == (10.0, 26.0, 3, 1)
    # the target holds per complaint: b took 30 h and d is still open after 30 h, so it is missed
    assert hours["met"] is False
    assert (hours["within_target"], hours["missed"], hours["pending"]) == (2, 2, 0)
    assert (hours["within_target_pct"], hours["slowest_hours"]) == (50.0, 30.0)
    assert hours["slowest_case_id"] in (b.id, d.id)
    found = result["complaints"]
    assert (found["value"], found["urgent"], found["urgent_pct"]) == (4, 2, 50.0)
    assert (found["escalations"], found["sla_breaches"], found["resolved"]) == (2, 2, 3)
    assert found["by_topic"] == {"guide": 1, "hotel": 2, "transport": 1}
    assert found["standalone"] == 4
    assert metrics.cases_behind(session, "complaints", Q3, clock.now()) == sorted([a.id, b.id, c.id, d.id])
    step = metrics.step_durations(session, "complaint_handling", Q3.first, Q3.last)
    assert step["resolve_complaint"]["count"] == 4  # a, b and both rounds of c
    assert step["resolve_complaint"]["median_hours"] == 4.5  # a 1 h, c 5 h then 4 h (6 → 10), b 30 h
    assert step["escalate_follow_up"]["count"] == 0


def test_complaint_inside_feedback_takes_urgency_from_the_survey(
    session: Any, clock: Any, start_case: Any, work: Any
) -> None:
    at(clock, 0)
    case = start_case("trip_feedback", by="customer_service", customer_name="赵磊", customer_tier="C")
    work(
        case,
        "collect_survey",
        survey_channel="phone",
        satisfaction=2,
        nps=2,
        has_complaint=True,
        complaint_details="cold dinner every night",
        complaint_urgency="urgent",
    )
    work(
        case,
        "supervisor_intervention",
        action_taken="called_customer",
        customer_contacted=True,
        intervention_notes="apologised",
    )
    work(case, "classify_feedback", category="complaint", urgency="urgent", topic="meals")
    at(clock, 3)
    _resolve(work, case)
    found = figures(session, clock)["complaints"]
    assert (found["value"], found["urgent"], found["sla_breaches"], found["standalone"]) == (1, 1, 1, 0)
    assert found["by_topic"] == {"meals": 1}
    assert figures(session, clock)["complaint_resolution_hours"]["value"] == 3.0


# --- change requests ------------------------------------------------------------------------------


def _trip_waiting_for_departure(start_case: Any, work: Any) -> Case:
    trip = start_case("trip")
    work(trip, "collect_needs", **NEEDS)
    work(trip, "design_itinerary", **ITINERARY)
    work(trip, "review_itinerary", approved=True)
    work(trip, "present_to_customer", customer_accepts=True, customer_withdrew=False)
    work(trip, "sign_contract", contract_number="HT-2026-001", signed_on="2026-07-06", total_price=34000)
    work(trip, "arrange_bookings", bookings=[{"kind": "hotel", "supplier": "Kyoto Inn", "reference": "K1"}])
    return work(trip, "send_confirmation_letter", sent_via="email", sent_on="2026-07-06")


def _change(session: Any, rt: Any, work: Any, trip: Case, approved: bool, cost_delta: float) -> Case:
    change = cases.start_case(
        session, rt, "change_request", {"trip_case_id": trip.id}, actor("account_manager")
    )
    work(
        change,
        "submit_change_request",
        change_type="hotel",
        reason="upgrade",
        details="sea view room",
        new_lines=[{"description": "Sea view room", "supplier": "Kyoto Inn", "reference": "K2"}],
    )
    work(
        change,
        "review_change",
        approved=approved,
        impact_assessment="fine",
        supplier_contacted=True,
        cost_delta=cost_delta,
    )
    if approved and cost_delta:
        work(change, "explain_fee_change", customer_agrees=True)
    return work(change, "notify_customer", notified_via="phone", notified_on="2026-07-06")


def test_change_requests(session: Any, rt: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, 0)
    trip = _trip_waiting_for_departure(start_case, work)
    first = _change(session, rt, work, trip, True, 1000)
    second = _change(session, rt, work, trip, True, 0)  # approved as the inherited trip data says: no change
    third = _change(session, rt, work, trip, False, 0)
    found = figures(session, clock)["change_requests"]
    assert (found["value"], found["n"], found["trips"]) == (3.0, 3, 1)
    assert (found["reviewed"], found["approved"], found["approval_rate"]) == (3, 2, 66.67)
    assert found["mean_cost_delta"] == 500.0
    assert metrics.cases_behind(session, "change_requests", Q3, clock.now()) == [
        first.id,
        second.id,
        third.id,
    ]


# --- cycle times and the heatmap -------------------------------------------------------------------


def test_cycle_times_per_task_and_heatmap(
    session: Any, rt: Any, clock: Any, start_case: Any, work: Any
) -> None:
    at(clock, 0)
    trip = start_case("trip")
    at(clock, 1)
    cases.claim_task(session, rt, open_task(session, trip.id, "collect_needs").id, actor("account_manager"))
    at(clock, 3)
    work(trip, "collect_needs", **NEEDS)
    at(clock, 7)
    work(trip, "design_itinerary", **ITINERARY)
    at(clock, 8)
    cases.claim_task(
        session, rt, open_task(session, trip.id, "review_itinerary").id, actor("project_manager")
    )
    at(clock, 9)
    work(trip, "review_itinerary", approved=True)
    at(clock, 10)
    work(trip, "present_to_customer", customer_accepts=True, customer_withdrew=False)
    at(clock, 12)
    work(trip, "sign_contract", contract_number="HT-1", signed_on="2026-07-06", total_price=34000)
    result = figures(session, clock)["cycle_time"]
    tasks = result["per_task"]
    assert tasks["collect_needs"]["waiting"]["median_hours"] == 1.0
    assert tasks["collect_needs"]["working"]["median_hours"] == 2.0
    assert tasks["design_itinerary"]["waiting"]["median_hours"] == 4.0  # completed without a claim
    assert tasks["design_itinerary"]["working"]["median_hours"] == 0.0
    assert tasks["review_itinerary"]["total"]["median_hours"] == 2.0
    # totals 3, 4, 2, 1, 2 → median 2, p90 3.6
    assert (result["value"], result["p90_hours"], result["n"]) == (2.0, 3.6, 5)
    assert result["per_process"] == {}  # the trip is still running
    planning = metrics.step_durations(session, "itinerary_planning", Q3.first, Q3.last)
    assert planning["collect_needs"] == {
        "median_hours": 3.0,
        "p90_hours": 3.0,
        "count": 1,
        "kind": "userTask",
    }
    assert planning["sign_contract"]["median_hours"] == 2.0
    heat = metrics.step_durations(session, "trip", Q3.first, Q3.last)
    assert heat["call_itinerary_planning"]["median_hours"] == 12.0  # first task created → last completed
    assert heat["pre_trip_call"]["count"] == 0
    assert (
        metrics.step_durations(session, "trip", date(2026, 8, 1), date(2026, 8, 31))[
            "call_itinerary_planning"
        ]["count"]
        == 0
    )


def test_cycle_time_per_process(session: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, 0)
    case = start_case("itinerary_planning")
    work(case, "collect_needs", **NEEDS)
    at(clock, 5)
    work(case, "design_itinerary", **ITINERARY)
    work(case, "review_itinerary", approved=True)
    at(clock, 6)
    work(
        case, "present_to_customer", customer_accepts=False, customer_withdrew=True, withdrawal_reason="price"
    )
    session.refresh(case)
    assert case.status == "lost"
    per_process = figures(session, clock)["cycle_time"]["per_process"]
    assert per_process == {"itinerary_planning": {"n": 1, "median_hours": 6.0, "p90_hours": 6.0}}


# --- repurchase and tiers (direct rows) ---------------------------------------------------------


def _signed_trip(session: Any, customer_id: int, signed_on: str) -> None:
    version = latest_version(session, "trip")
    now = T0
    case = Case(
        process_key="trip",
        process_version_id=version.id,
        status="completed",
        started_at=now,
        started_by="account_manager",
        updated_at=now,
        state=b"",
        serializer_version="",
        data={},
    )
    session.add(case)
    session.flush()
    session.add(
        Trip(
            case_id=case.id,
            customer_id=customer_id,
            signed_on=date.fromisoformat(signed_on),
            total_price=10000,
            start_date=date.fromisoformat(signed_on) + timedelta(days=30),
            end_date=date.fromisoformat(signed_on) + timedelta(days=35),
            updated_at=now,
        )
    )


def test_repurchase_rate_against_the_year_before(session: Any, clock: Any) -> None:
    histories = {
        # this year (2026Q2 cohort): c1 and c5 buy again within 12 months, c2 too late, c3 never
        "c1": ["2026-04-10", "2026-09-01"],
        "c2": ["2026-05-05", "2027-06-01"],
        "c3": ["2026-06-30"],
        "c4": ["2026-01-15", "2026-04-20"],  # first trip before the quarter: not in the cohort
        "c5": ["2026-06-01", "2026-06-01"],
        # a year before (2025Q2 cohort): 1 of 4
        "p1": ["2025-04-02", "2025-08-01"],
        "p2": ["2025-05-01"],
        "p3": ["2025-06-01"],
        "p4": ["2025-06-15"],
    }
    for name, days in histories.items():
        customer = create_customer(session, {"name": name}, now=T0)
        for day in days:
            _signed_trip(session, customer.id, day)
    session.commit()
    clock.set(datetime(2027, 12, 1, 9, 0, tzinfo=SHANGHAI))
    found = figures(session, clock, metrics.quarter_period("2026Q2"))["repurchase_rate"]
    assert (found["value"], found["n"], found["repurchased"]) == (50.0, 4, 2)
    assert (found["previous_year_value"], found["previous_year_n"]) == (25.0, 4)
    assert (found["target"], found["met"], found["change"], found["change_pct"]) == (30.0, True, 25.0, 100.0)
    assert found["window_complete"] is True
    assert figures(session, clock, metrics.quarter_period("2024Q2"))["repurchase_rate"]["value"] is None


def test_tiers_at_the_end_of_the_period_and_moves(session: Any, clock: Any) -> None:
    def on(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(hour=10, tzinfo=SHANGHAI)

    k1 = create_customer(session, {"name": "k1"}, now=on("2026-01-01"))
    k2 = create_customer(session, {"name": "k2"}, now=on("2026-02-01"))
    create_customer(session, {"name": "k3"}, now=on("2026-03-01"))
    k5 = create_customer(session, {"name": "k5"}, now=on("2026-05-01"))
    for customer, tier, day in (
        (k1, "B", "2026-01-01"),
        (k1, "A", "2026-08-01"),
        (k2, "B", "2026-07-10"),
        (k2, "C", "2026-09-15"),
        (k5, "A", "2026-10-02"),
    ):
        set_tier(session, customer, tier, by="service_supervisor", reason="test", now=on(day))
    create_customer(session, {"name": "k4"}, now=on("2026-10-05"))
    session.commit()
    found = figures(session, clock)["tiers"]
    assert (found["value"], found["n"]) == (4, 4)
    assert found["by_tier"] == {"A": 1, "B": 0, "C": 3}
    assert (found["up"], found["down"]) == (2, 1)


# --- the quarterly review handler ---------------------------------------------------------------


def test_compile_metrics_freezes_last_quarter_into_a_report(
    session: Any, clock: Any, start_case: Any, work: Any
) -> None:
    at(clock, 0)
    _survey(start_case, work, 5, 10)
    session.add(
        Improvement(text="shorter bus rides", topic="transport", status="open", created_at=clock.now())
    )
    session.commit()
    clock.set(datetime(2026, 10, 1, 9, 30, tzinfo=SHANGHAI))
    review = start_case("quarterly_review", by="service_supervisor")
    data = review.data
    assert data["report_period"]["quarter"] == "2026Q3" and data["quarter"] == "2026Q3"
    assert data["metrics"]["csat"]["value"] == 100.0 and data["metrics"]["csat"]["n"] == 1
    assert [row["metric"] for row in data["metrics_report"]] == list(metrics.METRICS)
    assert [item["summary"] for item in data["improvement_backlog"]] == ["shorter bus rides"]
    document = session.scalars(
        select(Document).where(Document.case_id == review.id, Document.content_type != "application/pdf")
    ).one()
    assert document.kind == "quarterly_report" and document.id == data["report_document_id"]
    assert "2026Q3" in document.content.decode() and "CSAT" in document.content.decode()
    work(
        review,
        "review_metrics",
        findings="CSAT on target",
        actions=[{"action": "brief suppliers", "owner": "service_supervisor", "due_date": "2026-10-31"}],
    )
    item_id = data["triage"][0]["item_id"]
    work(review, "triage_improvements", triage=[{"item_id": item_id, "summary": "x", "decision": "accepted"}])
    assert session.get(Improvement, item_id).status == "accepted"


# --- the API ---------------------------------------------------------------------------------------


def test_api_metrics_roles_periods_and_csv(
    api: Any, session: Any, clock: Any, start_case: Any, work: Any
) -> None:
    at(clock, 0)
    _survey(start_case, work, 4, 9)
    assert api.as_("travel_advisor").get("/api/v1/metrics?quarter=2026Q3").status_code == 403
    for role in ("service_supervisor", "data_analyst", "process_owner"):
        response = api.as_(role).get("/api/v1/metrics?quarter=2026Q3")
        assert response.status_code == 200, role
    body = response.get_json()
    assert set(body) == set(metrics.METRICS)
    assert body["csat"]["value"] == 100.0 and body["csat"]["n"] == 1
    same = api.get("/api/v1/metrics?from=2026-07-01&to=2026-09-30").get_json()
    assert same["csat"] == body["csat"]
    bad = api.get("/api/v1/metrics?quarter=2026Q7")
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "quarter"
    assert api.get("/api/v1/metrics?from=2026-07-10&to=2026-07-01").get_json()["details"][0]["field"] == "to"
    assert api.get("/api/v1/metrics?from=July&to=2026-07-01").status_code == 400
    export = api.get("/api/v1/metrics/export.csv?quarter=2026Q3")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == ["metric", "figure", "value", "target", "unit", "n", "from", "to"]
    assert ["csat", "value", "100.0", "90.0", "%", "1", "2026-07-01", "2026-09-30"] in rows
    assert {r[0] for r in rows[1:]} == set(metrics.METRICS)
    assert api.as_("customer_service").get("/api/v1/metrics/export.csv").status_code == 403


def test_api_heatmap(api: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, 0)
    case = start_case("itinerary_planning")
    at(clock, 2)
    work(case, "collect_needs", **NEEDS)
    response = api.as_("data_analyst").get("/api/v1/processes/itinerary_planning/heatmap?quarter=2026Q3")
    assert response.status_code == 200
    steps = response.get_json()["steps"]
    assert steps["collect_needs"]["median_hours"] == 2.0 and steps["review_itinerary"]["count"] == 0
    assert api.get("/api/v1/processes/nope/heatmap").status_code == 404
    assert api.as_("travel_advisor").get("/api/v1/processes/trip/heatmap").status_code == 403
    paths = api.as_("data_analyst").get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/metrics", "/api/v1/metrics/export.csv", "/api/v1/processes/{key}/heatmap"} <= set(paths)


# --- the reports pages -----------------------------------------------------------------------------


def _sign_in(client: Any, username: str) -> None:
    from .conftest import PASSWORD

    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_reports_pages(client: Any, clock: Any, start_case: Any, work: Any) -> None:
    at(clock, 0)
    _survey(start_case, work, 2, 3)
    _complaint(start_case, "urgent", "hotel")
    clock.set(datetime(2026, 10, 2, 9, 0, tzinfo=SHANGHAI))
    _sign_in(client, "travel_advisor")
    assert client.get("/reports").status_code == 403
    client.post("/logout")
    _sign_in(client, "service_supervisor")
    page = client.get("/reports?quarter=2026Q3&process=complaint_handling")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="report-data"' in html and "<script>" not in html.replace(
        '<script type="application/json"', ""
    )
    assert "/reports/cases?metric=csat" in html and "vendor/chart.umd.min.js" in html
    assert "resolve_complaint" in html  # the heatmap table
    cases_page = client.get("/reports/cases?metric=complaints&quarter=2026Q3")
    assert cases_page.status_code == 200 and "Emily Chen" in cases_page.get_data(as_text=True)
    assert client.get("/reports/cases?metric=nope&quarter=2026Q3").status_code == 400
    bad = client.get("/reports?quarter=2026Q9")
    assert bad.status_code == 200 and "quarter" in bad.get_data(as_text=True)
    printable = client.get("/reports/print")  # the last full quarter: 2026Q3
    text = printable.get_data(as_text=True)
    assert printable.status_code == 200 and "2026Q3" in text and "data-print" in text
