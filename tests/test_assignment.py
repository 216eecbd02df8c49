"""Assignment from case data cannot cross lanes (issue 13, item 5).

``assigneeVariable`` names a case variable (``dedicated_advisor``, ``trip_account_manager``) that
case data can set to any text. A task goes to that person only when they are an existing, active
user holding the task's lane role; otherwise it stays in the lane's group inbox and the history
says why. And start data naming a customer cannot override what the customer record says.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.customers.operations import create_customer
from workflows.errors import Forbidden
from workflows.models import Event
from workflows.people.users import add_user, find_user

from .conftest import NEEDS, PASSWORD, actor, open_task


def _feedback_case(session: Any, rt: Any, account_manager: str) -> Any:
    """A tier A trip_feedback case: its revisit call (lane account_manager) goes to ``account_manager``."""
    data = {"customer_name": "Lin Wei", "customer_tier": "A", "trip_account_manager": account_manager}
    return cases.start_case(session, rt, "trip_feedback", data, actor("customer_service"))


def _refusals(session: Any, case_id: int) -> list[str]:
    query = select(Event.text).where(Event.case_id == case_id, Event.kind == "assignment_refused")
    return list(session.scalars(query))


def _in_group_inbox(session: Any, case_id: int, task_id: str, lane: str) -> Any:
    item = open_task(session, case_id, task_id)
    assert item.lane == lane
    assert item.assignee is None, f"{task_id} was assigned to {item.assignee!r}"
    return item


@pytest.mark.parametrize(
    ("named", "reason"),
    [
        ("travel_advisor", "not in lane account_manager"),
        ("nobody_of_that_name", "no such user"),
        ("", None),
    ],
)
def test_data_naming_someone_outside_the_lane_leaves_the_task_with_the_group(session, rt, named, reason):
    case = _feedback_case(session, rt, named)
    item = _in_group_inbox(session, case.id, "revisit_call", "account_manager")
    if reason is None:
        assert _refusals(session, case.id) == []  # no name, nothing to refuse
        return
    assert _refusals(session, case.id) == [f"not assigned to {named}: {reason}"]
    if named == "travel_advisor":
        with pytest.raises(Forbidden):
            cases.claim_task(session, rt, item.id, actor("travel_advisor"))
    cases.claim_task(session, rt, item.id, actor("account_manager"))  # the lane can take it


def test_a_disabled_user_is_not_handed_a_task(session, rt):
    add_user(session, "former_manager", PASSWORD, ["account_manager"], now=rt.clock.now())
    find_user(session, "former_manager").active = False
    session.commit()
    case = _feedback_case(session, rt, "former_manager")
    _in_group_inbox(session, case.id, "revisit_call", "account_manager")
    assert _refusals(session, case.id) == ["not assigned to former_manager: the user is disabled"]


def test_an_active_user_of_the_lane_gets_the_task(session, rt):
    add_user(session, "second_manager", PASSWORD, ["account_manager"], now=rt.clock.now())
    session.commit()
    case = _feedback_case(session, rt, "second_manager")
    assert open_task(session, case.id, "revisit_call").assignee == "second_manager"
    assert _refusals(session, case.id) == []


def test_a_stand_in_outside_the_lane_is_not_handed_the_task(session, rt):
    from datetime import timedelta

    add_user(session, "away_manager", PASSWORD, ["account_manager"], now=rt.clock.now())
    away = find_user(session, "away_manager")
    away.away_from, away.away_to = rt.clock.now() - timedelta(days=1), rt.clock.now() + timedelta(days=1)
    away.stand_in = "travel_advisor"
    session.commit()
    case = _feedback_case(session, rt, "away_manager")
    _in_group_inbox(session, case.id, "revisit_call", "account_manager")
    assert _refusals(session, case.id) == ["not assigned to travel_advisor: not in lane account_manager"]


def test_a_dedicated_advisor_from_another_lane_does_not_get_the_design(session, rt, start_case, work):
    customer = create_customer(
        session, {"name": "Chen Wei", "dedicated_advisor": "account_manager"}, now=rt.clock.now()
    )
    session.commit()
    case = work(start_case(), "collect_needs", customer_id=customer.id, **NEEDS)
    item = _in_group_inbox(session, case.id, "design_itinerary", "travel_advisor")
    assert _refusals(session, case.id) == ["not assigned to account_manager: not in lane travel_advisor"]
    with pytest.raises(Forbidden):
        cases.complete_task(session, rt, item.id, {}, actor("account_manager"))


def test_start_data_cannot_override_the_customer_record(session, rt):
    customer = create_customer(
        session,
        {"name": "Chen Wei", "dedicated_advisor": "travel_advisor"},
        now=rt.clock.now(),
    )
    session.commit()
    forged = {
        "customer_id": customer.id,
        "customer_name": "Someone Else",
        "customer_tier": "A",
        "dedicated_advisor": "account_manager",
    }
    case = cases.start_case(session, rt, "itinerary_planning", forged, actor("account_manager"))
    assert case.data["customer_name"] == "Chen Wei"
    assert case.data["customer_tier"] == "C"
    assert case.data["dedicated_advisor"] == "travel_advisor"
    assert case.customer_tier == "C"


def test_the_history_says_why_in_the_readers_language(app, session, rt):
    case = _feedback_case(session, rt, "travel_advisor")
    client = app.test_client()
    client.post("/login", data={"username": "customer_service", "password": PASSWORD})
    page = client.get(f"/cases/{case.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "travel_advisor does not hold the role" in page and "group inbox" in page
    page = client.get(f"/cases/{case.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "任务留在小组收件箱" in page


@pytest.mark.parametrize("named", ["x" * 500, "account_manager\n", "account_manager "])
def test_a_name_no_user_has_leaves_the_task_with_the_group(session, rt, named):
    case = _feedback_case(session, rt, named)
    assert case.status == "running"
    _in_group_inbox(session, case.id, "revisit_call", "account_manager")
    assert _refusals(session, case.id) == [f"not assigned to {named[:64]}: no such user"]
