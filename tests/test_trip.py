"""The whole trip: planning, confirmation, timers, change requests, feedback and complaints."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.errors import Invalid
from workflows.models import Document, Event, Improvement, Timer, Trip
from workflows.permissions import SYSTEM

from .conftest import ITINERARY, NEEDS, SHANGHAI, actor, open_task, open_tasks


def _plan_and_confirm(start_case, work, price=34000, **customer):
    trip = start_case("trip")
    trip = work(trip, "collect_needs", new_customer={"name": "Zhou Xun", **customer}, **NEEDS)
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number="HT-9", signed_on="2026-11-24", total_price=price)
    trip = work(
        trip,
        "arrange_bookings",
        bookings=[{"kind": "hotel", "supplier": "Ryokan Sakura", "reference": "RS-1"}],
    )
    trip = work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    return trip


def _fire_at(session, rt, clock, when):
    clock.set(when)
    return cases.fire_due_timers(session, rt, SYSTEM)


def _cards_and_settlement(work, trip):
    """After return the cards and the settlement run beside the feedback; the trip ends with both."""
    trip = work(trip, "update_profile_card", offer_next="Hokkaido in winter")
    trip = work(trip, "contact_record_card_by_account_manager", what_happened="fine", customer_said="happy")
    return work(trip, "settle_trip", amount_paid=34000, supplier_costs=26000)


def test_trip_runs_from_first_contact_to_feedback(start_case, work, session, rt, clock):
    trip = _plan_and_confirm(start_case, work, price=8000)  # under 10,000 CNY: a survey, not a revisit
    assert trip.status == "running" and open_tasks(session, trip.id) == []
    kinds = {d.kind for d in session.scalars(select(Document).where(Document.case_id == trip.id))}
    assert {"itinerary", "contract", "confirmation_letter"} <= kinds
    letter = session.scalars(
        select(Document).where(
            Document.kind == "confirmation_letter", Document.content_type != "application/pdf"
        )
    ).one()
    assert "Zhou Xun" in letter.content.decode() and "行程确认函" in letter.content.decode()
    record = session.scalars(select(Trip).where(Trip.case_id == trip.id)).one()
    assert record.contract_number == "HT-9"

    [timer] = session.scalars(select(Timer).where(Timer.case_id == trip.id)).all()
    assert timer.due_at == datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI)  # 7 days before 20 Dec, 09:00
    assert _fire_at(session, rt, clock, datetime(2026, 12, 13, 8, 59, tzinfo=SHANGHAI)) == []
    assert _fire_at(session, rt, clock, datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI)) == [trip.id]
    assert _fire_at(session, rt, clock, datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI)) == []  # harmless twice
    trip = work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)

    departure = datetime(2026, 12, 20, 0, 0, tzinfo=SHANGHAI)
    assert _fire_at(session, rt, clock, departure) == [trip.id]  # the trip goes "on the trip"
    assert _fire_at(session, rt, clock, datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)) == [trip.id]
    trip = work(
        trip,
        "collect_survey",
        satisfaction=3,
        nps=5,
        comments="Guide was late",
        has_complaint=True,
        complaint_details="Guide late twice",
        complaint_urgency="urgent",
    )
    trip = work(
        trip,
        "supervisor_intervention",
        action_taken="called_customer",
        customer_contacted=True,
        intervention_notes="Apologised",
    )
    trip = work(trip, "classify_feedback", category="complaint", urgency="urgent", topic="guide")
    resolve = open_task(session, trip.id, "resolve_complaint")
    assert resolve.case_id == trip.id and resolve.due_at == datetime(2026, 12, 28, 11, 0, tzinfo=SHANGHAI)

    assert _fire_at(session, rt, clock, datetime(2026, 12, 28, 11, 0, tzinfo=SHANGHAI)) == [trip.id]
    open_task(session, trip.id, "escalate_complaint")
    open_task(session, trip.id, "resolve_complaint")  # escalation does not stop the work
    trip = work(
        trip,
        "resolve_complaint",
        resolution="Refund of guide fee",
        compensation=500,
        responsible_party="supplier",
    )
    trip = work(trip, "escalate_complaint")
    trip = work(trip, "follow_up_call", customer_satisfied=True, notes="Happy with refund")
    trip = _cards_and_settlement(work, trip)
    assert trip.status == "completed"
    fired = session.scalars(select(Event).where(Event.case_id == trip.id, Event.kind == "timer_fired")).all()
    assert len(fired) == 4  # pre-trip call, departure, return, the complaint's escalation


def test_low_spend_survey_praise_invites_review(start_case, work, session, rt, clock):
    trip = _plan_and_confirm(start_case, work)
    _fire_at(session, rt, clock, datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI))
    trip = work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)
    _fire_at(session, rt, clock, datetime(2026, 12, 20, 0, 0, tzinfo=SHANGHAI))  # departure: on the trip
    _fire_at(session, rt, clock, datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))
    # 34,000 CNY signed in the last 12 months: a high-value customer gets the revisit call
    item = open_task(session, trip.id, "revisit_call")
    assert item.assignee == "account_manager"
    trip = work(trip, "revisit_call", satisfaction=5, nps=10, has_complaint=False, suggestion="More onsen")
    trip = work(trip, "classify_feedback", category="praise", topic="hotel")
    trip = work(trip, "invite_review", review_invited=True)
    trip = _cards_and_settlement(work, trip)
    assert trip.status == "completed"
    kinds = {d.kind for d in session.scalars(select(Document).where(Document.case_id == trip.id))}
    assert "feedback_record" in kinds


def test_improvement_lands_on_backlog(start_case, work, session, rt, clock):
    trip = _plan_and_confirm(start_case, work)
    _fire_at(session, rt, clock, datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI))
    trip = work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)
    _fire_at(session, rt, clock, datetime(2026, 12, 20, 0, 0, tzinfo=SHANGHAI))  # departure: on the trip
    _fire_at(session, rt, clock, datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))
    trip = work(trip, "revisit_call", satisfaction=4, nps=8, has_complaint=False, suggestion="Quieter hotel")
    trip = work(trip, "classify_feedback", category="improvement", topic="hotel")
    trip = _cards_and_settlement(work, trip)
    assert trip.status == "completed"
    item = session.scalars(select(Improvement)).one()
    assert item.text == "Quieter hotel" and item.status == "open" and item.topic == "hotel"


def test_change_request_moves_dates_and_rearms_reminder(start_case, work, session, rt):
    trip = _plan_and_confirm(start_case, work)
    change = cases.start_case(
        session, rt, "change_request", {"trip_case_id": trip.id}, actor("account_manager")
    )
    assert change.parent_id == trip.id
    change = work(
        change,
        "submit_change_request",
        change_type="dates",
        reason="Flight moved",
        details="One week later",
        new_start_date="2026-12-27",
        new_end_date="2027-01-03",
    )
    change = work(
        change,
        "review_change",
        approved=True,
        impact_assessment="Hotel available",
        supplier_contacted=True,
        cost_delta=1200,
    )
    change = work(change, "explain_fee_change", customer_agrees=True)
    open_task(session, change.id, "notify_customer")
    assert change.data["change_outcome"] == "applied"
    session.refresh(trip)
    assert trip.start_date.isoformat() == "2026-12-27"
    [timer] = session.scalars(select(Timer).where(Timer.case_id == trip.id)).all()
    assert timer.due_at == datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
    record = session.scalars(select(Trip).where(Trip.case_id == trip.id)).one()
    assert float(record.total_price) == 35200
    change = work(change, "notify_customer", notified_via="phone", notified_on="2026-11-26")
    assert change.status == "completed"
    from workflows.views import case_view

    assert case_view(session, trip)["children"] == [change.id]


def test_change_within_24_hours_is_refused(start_case, work, session, rt, clock):
    trip = _plan_and_confirm(start_case, work)
    clock.set(datetime(2026, 12, 19, 12, 0, tzinfo=SHANGHAI))  # trip starts 20 Dec
    change = cases.start_case(
        session, rt, "change_request", {"trip_case_id": trip.id}, actor("account_manager")
    )
    item = open_task(session, change.id, "submit_change_request")
    with pytest.raises(Invalid) as refused:
        cases.complete_task(
            session,
            rt,
            item.id,
            {"change_type": "other", "reason": "r", "details": "d"},
            actor("account_manager"),
        )
    assert "24 hours" in refused.value.message


def test_rejected_change_notifies_without_applying(start_case, work, session, rt):
    trip = _plan_and_confirm(start_case, work)
    change = cases.start_case(
        session, rt, "change_request", {"trip_case_id": trip.id}, actor("account_manager")
    )
    change = work(
        change, "submit_change_request", change_type="other", reason="Nicer hotel", details="5 stars"
    )
    change = work(change, "review_change", approved=False, impact_assessment="Fully booked")
    assert change.data["change_outcome"] == "rejected"
    change = work(change, "notify_customer", notified_via="sms", notified_on="2026-11-26")
    assert change.status == "completed"


def test_complaint_alone_escalates_after_24_hours_when_normal(start_case, work, session, rt, clock):
    complaint = start_case(
        "complaint_handling",
        by="customer_service",
        urgency="normal",
        complaint_details="Lost luggage",
        customer_name="Ma Lin",
    )
    item = open_task(session, complaint.id, "resolve_complaint")
    assert item.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    assert _fire_at(session, rt, clock, datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)) == []
    assert _fire_at(session, rt, clock, datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)) == [complaint.id]
    open_task(session, complaint.id, "escalate_complaint")
    complaint = work(
        complaint,
        "resolve_complaint",
        resolution="Courier delivered",
        compensation=0,
        responsible_party="supplier",
    )
    # the follow-up call is due 24 hours after the resolution and escalates when missed
    assert _fire_at(session, rt, clock, datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)) == [complaint.id]
    open_task(session, complaint.id, "escalate_follow_up")
    complaint = work(complaint, "follow_up_call", customer_satisfied=False, notes="Bag damaged")
    open_task(session, complaint.id, "resolve_complaint")  # unsatisfied: back to resolution
