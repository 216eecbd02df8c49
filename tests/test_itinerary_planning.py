"""Every path of itinerary_planning, run by SpiffWorkflow through the case service."""

from __future__ import annotations

from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.models import Customer, Event, Trip, WorkItem

from .conftest import ITINERARY, NEEDS, actor, open_task, open_tasks


def _new_customer(**extra):
    return {
        "new_customer": {"name": "李娜 Li Na", "phone": "13900001111", "segment": "family"},
        **NEEDS,
        **extra,
    }


def _to_presentation(start_case, work, session):
    case = start_case()
    case = work(case, "collect_needs", **_new_customer())
    case = work(case, "design_itinerary", **ITINERARY)
    case = work(case, "review_itinerary", approved=True)
    return case


def test_happy_path_signs_contract_and_records_trip(start_case, work, session):
    case = _to_presentation(start_case, work, session)
    case = work(case, "present_to_customer", customer_accepts=True)
    case = work(
        case, "sign_contract", contract_number="HT-2026-001", signed_on="2026-11-25", total_price=34000
    )
    assert case.status == "completed"
    assert open_tasks(session, case.id) == []
    customer = session.scalars(select(Customer)).one()
    assert customer.name == "李娜 Li Na" and customer.tier == "C"
    trip = session.scalars(select(Trip).where(Trip.case_id == case.id)).one()
    assert float(trip.total_price) == 34000 and trip.customer_id == customer.id
    kinds = [
        e.kind for e in session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))
    ]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 5


def test_rejected_review_loops_back_with_comments(start_case, work, session):
    case = start_case()
    case = work(case, "collect_needs", **_new_customer())
    case = work(case, "design_itinerary", **ITINERARY)
    case = work(case, "review_itinerary", approved=False, review_comments="Hotel too far from the centre")
    redesign = open_task(session, case.id, "design_itinerary")
    assert case.data["review_comments"] == "Hotel too far from the centre"
    assert redesign.customer_name == "李娜 Li Na"
    case = work(case, "design_itinerary", **ITINERARY)
    case = work(case, "review_itinerary", approved=True)
    open_task(session, case.id, "present_to_customer")
    designs = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.bpmn_id == "design_itinerary")
    ).all()
    assert [d.status for d in designs] == ["completed", "completed"]


def test_customer_adjustments_loop_back_to_design(start_case, work, session):
    case = _to_presentation(start_case, work, session)
    case = work(
        case, "present_to_customer", customer_accepts=False, requested_adjustments="Add a day in Nara"
    )
    open_task(session, case.id, "design_itinerary")
    assert case.data["requested_adjustments"] == "Add a day in Nara"


def test_withdrawal_ends_case_as_lost(start_case, work, session):
    case = _to_presentation(start_case, work, session)
    case = work(
        case,
        "present_to_customer",
        customer_accepts=False,
        customer_withdrew=True,
        withdrawal_reason="Budget cut",
    )
    assert case.status == "lost"
    assert case.ended_at is not None
    assert open_tasks(session, case.id) == []


def test_existing_customer_and_dedicated_advisor_routing(start_case, work, session, rt):
    from workflows.customers.operations import create_customer

    customer = create_customer(
        session, {"name": "Chen Wei", "dedicated_advisor": "travel_advisor"}, now=rt.clock.now()
    )
    session.commit()
    case = start_case()
    case = work(case, "collect_needs", customer_id=customer.id, **NEEDS)
    item = open_task(session, case.id, "design_itinerary")
    assert item.assignee == "travel_advisor"
    assert item.customer_name == "Chen Wei"


def test_form_errors_change_nothing(start_case, session, rt):
    case = start_case()
    item = open_task(session, case.id, "collect_needs")
    before = case.state
    bad = {**NEEDS, "end_date": "2026-12-01", "travellers": 0, "budget": -5}
    try:
        cases.complete_task(session, rt, item.id, bad, actor("account_manager"))
    except Invalid as exc:
        fields = {d["field"] for d in exc.details}
    else:
        raise AssertionError("invalid form accepted")
    assert {"travellers", "budget"} <= fields or {"customer_id"} <= fields
    session.expire_all()
    assert open_task(session, case.id, "collect_needs").status == "ready"
    assert session.get(type(case), case.id).state == before


def test_end_date_must_follow_start_date(start_case, session, rt):
    case = start_case()
    item = open_task(session, case.id, "collect_needs")
    data = {**_new_customer(), "start_date": "2026-12-20", "end_date": "2026-12-19"}
    try:
        cases.complete_task(session, rt, item.id, data, actor("account_manager"))
    except Invalid as exc:
        assert exc.details == [
            {
                "field": "end_date",
                "code": "date_after",
                "params": {"other": "start_date"},
                "message": "must be after start_date",
            }
        ]
    else:
        raise AssertionError("end before start accepted")


def test_lane_roles_and_double_completion(start_case, work, session, rt):
    case = start_case()
    item = open_task(session, case.id, "collect_needs")
    try:
        cases.complete_task(session, rt, item.id, _new_customer(), actor("travel_advisor"))
    except Forbidden:
        pass
    else:
        raise AssertionError("wrong lane completed the task")
    cases.complete_task(session, rt, item.id, _new_customer(), actor("account_manager"))
    try:
        cases.complete_task(session, rt, item.id, _new_customer(), actor("account_manager"))
    except Conflict:
        pass
    else:
        raise AssertionError("completed twice")


def test_claim_conflict_and_unclaim(start_case, session, rt):
    case = start_case()
    item = open_task(session, case.id, "collect_needs")
    other = actor("account_manager")
    cases.claim_task(session, rt, item.id, other)
    from workflows.permissions import Actor

    colleague = Actor("am2", frozenset({"account_manager"}))
    try:
        cases.claim_task(session, rt, item.id, colleague)
    except Conflict:
        pass
    else:
        raise AssertionError("claimed twice")
    cases.unclaim_task(session, rt, item.id, other)
    assert cases.claim_task(session, rt, item.id, colleague).claimed_by == "am2"


def test_state_round_trips_unchanged(start_case, work, session, rt):
    """The stored state loads and dumps to the same thing (SpiffWorkflow's save_restore habit)."""
    from workflows.cases.step import Step

    case = _to_presentation(start_case, work, session)
    step = Step(session, rt, case, rt.specs.get(session, case.version), actor("account_manager"))
    workflow = step.load()
    assert rt.engine.load(rt.engine.dump(workflow), step.bundle, step.script_engine) is not None
    import json
    import zlib

    assert json.loads(zlib.decompress(rt.engine.dump(workflow))) == json.loads(zlib.decompress(case.state))
