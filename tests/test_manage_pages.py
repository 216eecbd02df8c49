"""Managers' pages through the test client: the case list with filters, exports and saved filters,
the case page's diagram state and history, interventions with role checks, incidents, bulk inbox
actions, out of office and the quick contact log."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from workflows.models import Case, ContactRecord, User, WorkItem

from .conftest import ITINERARY, NEEDS, SHANGHAI, open_task
from .test_pages import EN, ZH, login, page

RATIO_MODEL = Path(__file__).parent / "bpmn" / "ratio_check.bpmn"


def _planning(api: Any, customer: str = "Li Na", **needs: Any) -> tuple[int, int]:
    """An itinerary planning case past its first task; returns (case id, design_itinerary task id)."""
    am = api.as_("account_manager")
    case = am.post("/api/v1/cases", json={"process": "itinerary_planning"}).get_json()
    first = case["active_tasks"][0]["id"]
    done = am.post(
        f"/api/v1/tasks/{first}/complete",
        json={"data": {"new_customer": {"name": customer}, **NEEDS, **needs}},
    )
    assert done.status_code == 200, done.get_json()
    return case["id"], done.get_json()["next_tasks"][0]["id"]


def _diagram_state(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="diagram-state">(.*?)</script>', html, re.S)
    assert found, "no diagram state on the page"
    return json.loads(found.group(1))


def _ratio_incident(api: Any) -> int:
    owner = api.as_("process_owner")
    response = owner.post(
        "/api/v1/processes",
        data={"file": (RATIO_MODEL.open("rb"), "ratio_check.bpmn")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 201), response.get_json()
    started = api.as_("service_supervisor").post(
        "/api/v1/cases", json={"process": "ratio_check", "data": {"divisor": 0}}
    )
    assert started.get_json()["status"] == "error"
    return int(started.get_json()["id"])


# --- the case list -----------------------------------------------------------------------------------


def test_case_list_filters_show_current_steps_and_link_exports(client: FlaskClient, api: Any) -> None:
    kyoto, _task = _planning(api, "Li Na")
    lisbon, _task = _planning(api, "Wang Fang", destination="Lisbon")
    login(client, "service_supervisor")
    html = page(client, "/cases")
    assert f'data-case="{kyoto}"' in html and f'data-case="{lisbon}"' in html
    assert "Design itinerary" in html and "Group: Travel advisor" in html  # current step, and who holds it
    assert re.search(r'class="tab-count">2<', html)  # the "running" badge counts
    only_lisbon = page(client, "/cases?q=Lisbon&status=running&tier=C")
    assert f'data-case="{lisbon}"' in only_lisbon and f'data-case="{kyoto}"' not in only_lisbon
    assert 'href="/api/v1/cases/export.csv?status=running&amp;tier=C&amp;q=Lisbon"' in only_lisbon
    export = client.get(
        "/api/v1/cases/export.csv?status=running&tier=C&q=Lisbon"
    )  # the session cookie suffices
    assert export.status_code == 200
    lines = export.data.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "Lisbon" in lines[1] and "Design itinerary" in lines[1]
    assert client.get("/api/v1/cases/export.xlsx?q=Lisbon").data[:2] == b"PK"
    assert f'data-case="{kyoto}"' not in page(client, "/cases?overdue=true")
    assert "No cases found" in page(client, "/cases?status=error")


def test_overdue_cases_are_flagged_and_filtered(client: FlaskClient, api: Any, clock: Any) -> None:
    case_id, _task = _planning(api)
    clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI))  # long after every due date
    login(client, "service_supervisor")
    html = page(client, "/cases?overdue=true")
    assert f'data-case="{case_id}"' in html and 'class="is-overdue"' in html


def test_saved_filters_are_per_user_and_can_be_deleted(client: FlaskClient, api: Any, session: Any) -> None:
    login(client, "service_supervisor")
    response = client.post(
        "/cases/filters",
        data={
            "name": "My overdue A-tier trips",
            "process": "trip",
            "tier": "A",
            "overdue": "true",
            "cursor": "99",
        },
    )
    assert response.status_code == 302 and "tier=A" in response.location and "cursor" not in response.location
    html = page(client, "/cases")
    assert "My overdue A-tier trips" in html
    assert 'href="/cases?process=trip&amp;tier=A&amp;overdue=true"' in html
    again = client.post("/cases/filters", data={"name": "My overdue A-tier trips"}, headers=EN)
    assert "You already have a filter with that name." in page(client, again.location)
    client.post("/cases/filters", data={"name": "  ", "status": "error"})
    saved = api.as_("service_supervisor").get("/api/v1/me/filters").get_json()["items"]
    assert [f["name"] for f in saved] == ["My overdue A-tier trips"]
    client.post("/logout")
    login(client, "account_manager")
    assert "My overdue A-tier trips" not in page(client, "/cases")
    assert client.post(f"/cases/filters/{saved[0]['id']}/delete").status_code == 404  # not theirs
    client.post("/logout")
    login(client, "service_supervisor")
    client.post(f"/cases/filters/{saved[0]['id']}/delete")
    assert "My overdue A-tier trips" not in page(client, "/cases")


# --- the case page -------------------------------------------------------------------------------------


def test_case_page_marks_the_diagram_and_counts_loops(client: FlaskClient, api: Any, session: Any) -> None:
    case_id, design = _planning(api)
    advisor, manager = api.as_("travel_advisor"), None
    for _round in range(2):
        advisor.as_("travel_advisor").post(f"/api/v1/tasks/{design}/complete", json={"data": ITINERARY})
        review = open_task(session, case_id, "review_itinerary")
        manager = api.as_("project_manager")
        manager.post(
            f"/api/v1/tasks/{review.id}/complete",
            json={"data": {"approved": False, "review_comments": "Too rushed"}},
        )
        design = open_task(session, case_id, "design_itinerary").id
    login(client, "service_supervisor")
    html = page(client, f"/cases/{case_id}")
    state = _diagram_state(html)
    assert state["active"] == ["design_itinerary"] and "collect_needs" in state["completed"]
    assert "design_itinerary" not in state["completed"] and state["error"] == []
    assert state["loops"]["design_itinerary"] == 2 and state["bpmn"].startswith("<?xml")
    assert "Ran {n} times" == state["loop_title"]
    # the history says what changed, readably
    assert "Too rushed" in html and "Review comments" in html and "Quoted price (CNY)" in html


def test_a_trip_marks_the_call_activity_that_is_running(client: FlaskClient, api: Any) -> None:
    trip = api.as_("account_manager").post("/api/v1/cases", json={"process": "trip"}).get_json()
    login(client, "travel_advisor")
    state = _diagram_state(page(client, f"/cases/{trip['id']}"))
    assert "call_itinerary_planning" in state["active"] and "collect_needs" in state["active"]
    assert "call_itinerary_confirmation" not in state["active"] + state["completed"]


def test_parent_and_child_cases_link_to_each_other(client: FlaskClient, start_case: Any, work: Any) -> None:
    trip = start_case("trip")
    trip = work(trip, "collect_needs", new_customer={"name": "Zhou Xun"}, **NEEDS)
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number="HT-9", signed_on="2026-11-24", total_price=34000)
    trip = work(
        trip, "arrange_bookings", bookings=[{"kind": "hotel", "supplier": "Sakura", "reference": "S-1"}]
    )
    trip = work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    change = start_case("change_request", trip_case_id=trip.id)
    login(client, "account_manager")
    html = page(client, f"/cases/{trip.id}")
    assert f'href="/cases/{change.id}"' in html and "Started from this case" in html
    assert "wait_for_departure" in _diagram_state(html)["active"]  # waiting for the pre-trip timer
    child = page(client, f"/cases/{change.id}")
    assert f'href="/cases/{trip.id}"' in child and "Change request" in child


# --- interventions ------------------------------------------------------------------------------------


def test_only_a_supervisor_sees_and_may_use_cancel_suspend_resume(
    client: FlaskClient, api: Any, session: Any
) -> None:
    case_id, task_id = _planning(api)
    login(client, "travel_advisor")
    html = page(client, f"/cases/{case_id}")
    assert "/cancel" not in html and "/suspend" not in html and f"/tasks/{task_id}/assign" not in html
    assert client.post(f"/cases/{case_id}/cancel", data={"reason": "x"}).status_code == 403
    assert client.post(f"/cases/{case_id}/suspend", data={}).status_code == 403
    assert client.post(f"/cases/{task_id}/assign", data={"user": "admin"}).status_code in (403, 404)
    assert client.post(f"/tasks/{task_id}/assign", data={"user": "admin"}).status_code == 403
    client.post("/logout")

    login(client, "service_supervisor")
    html = page(client, f"/cases/{case_id}")
    assert f'action="/cases/{case_id}/cancel"' in html and f'action="/cases/{case_id}/suspend"' in html
    response = client.post(f"/cases/{case_id}/suspend", data={"reason": "Customer on holiday"}, headers=EN)
    assert response.status_code == 302
    html = page(client, response.location)
    assert (
        "suspended" in html and "Customer on holiday" in html and f'action="/cases/{case_id}/resume"' in html
    )
    assert session.get(Case, case_id).status == "suspended"
    client.post(f"/cases/{case_id}/resume")
    session.expire_all()
    assert session.get(Case, case_id).status == "running"
    response = client.post(f"/cases/{case_id}/cancel", data={"reason": ""}, headers=EN)
    assert "Give a reason for cancelling the case." in page(client, response.location)
    session.expire_all()
    assert session.get(Case, case_id).status == "running"
    client.post(f"/cases/{case_id}/cancel", data={"reason": "Duplicate enquiry"})
    session.expire_all()
    assert session.get(Case, case_id).status == "cancelled"
    html = page(client, f"/cases/{case_id}")
    assert "Duplicate enquiry" in html and "Case cancelled" in html and "/cancel" not in html
    again = client.post(f"/cases/{case_id}/cancel", data={"reason": "twice"}, headers=EN)
    assert "Not possible now: the case is Cancelled." in page(client, again.location)


def test_supervisor_reassigns_a_task_to_someone_of_its_lane(
    client: FlaskClient, api: Any, session: Any
) -> None:
    case_id, task_id = _planning(api)
    login(client, "service_supervisor")
    html = page(client, f"/cases/{case_id}")
    form = html[html.index(f'action="/tasks/{task_id}/assign"') :]
    form = form[: form.index("</form>")]
    assert (
        'value="travel_advisor"' in form and 'value="account_manager"' not in form
    )  # the lane's people only
    response = client.post(
        f"/tasks/{task_id}/assign", data={"user": "travel_advisor", "next": f"/cases/{case_id}"}, headers=EN
    )
    assert response.location == f"/cases/{case_id}"
    assert "Design itinerary is now with travel_advisor." in page(client, response.location)
    item = session.get(WorkItem, task_id)
    session.refresh(item)
    assert item.assignee == "travel_advisor"
    assert "Assigned to travel_advisor" in page(client, f"/cases/{case_id}")


def test_incident_is_listed_fixed_and_retried(client: FlaskClient, api: Any, session: Any) -> None:
    case_id = _ratio_incident(api)
    login(client, "travel_advisor")
    assert client.get("/incidents").status_code == 403
    assert "/incidents" not in page(client, "/inbox")
    assert (
        client.post(
            f"/cases/{case_id}/data", data={"name": "divisor", "value": "5", "reason": "x"}
        ).status_code
        == 403
    )
    assert client.post(f"/cases/{case_id}/retry").status_code == 403
    client.post("/logout")

    login(client, "process_owner")
    listing = page(client, "/incidents")
    assert (
        f'data-case="{case_id}"' in listing and "division by zero" in listing and "Compute ratio" in listing
    )
    assert 'class="count count-alert"' in listing  # the badge in the top bar
    html = page(client, f"/cases/{case_id}")
    assert "This case stopped with an error" in html and "division by zero" in html
    assert _diagram_state(html)["error"] == ["compute_ratio"]
    response = client.post(f"/cases/{case_id}/retry", headers=EN)
    failed_again = page(client, response.location)
    assert "The step failed again: ZeroDivisionError:division by zero" in failed_again
    response = client.post(
        f"/cases/{case_id}/data", data={"name": "divisor", "value": "5", "reason": ""}, headers=EN
    )
    assert "Give a reason for the change" in page(client, response.location)
    client.post(f"/cases/{case_id}/data", data={"name": "divisor", "value": "5", "reason": "typo at intake"})
    case = session.get(Case, case_id)
    session.refresh(case)
    assert case.data["divisor"] == 5  # JSON: a number, not the text "5"
    response = client.post(f"/cases/{case_id}/retry", headers=EN)
    html = page(client, response.location)
    assert f"Case #{case_id} runs on." in html and "This case stopped with an error" not in html
    assert "typo at intake" in html and "Data changed" in html and "Case retried" in html
    assert _diagram_state(html)["active"] == ["look_at_ratio"]
    assert f'data-case="{case_id}"' not in page(client, "/incidents")


def test_data_fix_keeps_text_that_is_not_json(client: FlaskClient, api: Any, session: Any) -> None:
    case_id, _task = _planning(api)
    login(client, "service_supervisor")
    client.post(f"/cases/{case_id}/data", data={"name": "destination", "value": "Nara", "reason": "moved"})
    client.post(f"/cases/{case_id}/data", data={"name": "bad name", "value": "1", "reason": "x"})
    case = session.get(Case, case_id)
    session.refresh(case)
    assert case.data["destination"] == "Nara" and "bad name" not in case.data


# --- the inbox in bulk ----------------------------------------------------------------------------------


def test_bulk_claim_reports_one_result_per_task(client: FlaskClient, api: Any, session: Any) -> None:
    ids = [_planning(api, f"Customer {n}")[1] for n in range(3)]
    api.as_("travel_advisor").post(f"/api/v1/tasks/{ids[2]}/claim")
    login(client, "travel_advisor")
    client.post("/logout")
    # a second advisor takes two at once; the third is held already, and 99999 does not exist
    from workflows.people.users import add_user

    add_user(session, "advisor2", "pw-advisor-2", ["travel_advisor"], now=datetime.now(SHANGHAI))
    session.commit()
    login(client, "advisor2", "pw-advisor-2")
    group = page(client, "/inbox?scope=group")
    assert 'form="bulk"' in group and "Claim selected" in group and "Assign selected" not in group
    response = client.post(
        "/inbox/bulk",
        data={"action": "claim", "ids": [str(i) for i in ids] + ["99999"], "next": "/inbox?scope=group"},
        headers=EN,
    )
    assert response.location == "/inbox?scope=group"
    html = page(client, response.location)
    assert html.count("yours now") == 2 and "travel_advisor holds it already" in html
    assert "Task #99999 does not exist." in html
    session.expire_all()
    assert [session.get(WorkItem, i).claimed_by for i in ids] == ["advisor2", "advisor2", "travel_advisor"]
    assert (
        client.post(
            "/inbox/bulk", data={"action": "assign", "ids": [str(ids[0])], "user": "travel_advisor"}
        ).status_code
        == 403
    )


def test_supervisor_assigns_several_tasks_to_one_person(client: FlaskClient, api: Any, session: Any) -> None:
    complaints = [
        api.as_("customer_service")
        .post("/api/v1/cases", json={"process": "complaint_handling"})
        .get_json()["active_tasks"][0]["id"]
        for _ in range(2)
    ]
    login(client, "service_supervisor")
    response = client.post(
        "/inbox/bulk",
        data={"action": "assign", "user": "customer_service", "ids": [str(i) for i in complaints]},
        headers=EN,
    )
    html = page(client, response.location)
    assert html.count("now with customer_service") == 2
    session.expire_all()
    assert {session.get(WorkItem, i).assignee for i in complaints} == {"customer_service"}
    missing_user = client.post(
        "/inbox/bulk", data={"action": "assign", "ids": [str(complaints[0])]}, headers=EN
    )
    assert "Choose who should get the selected tasks." in page(client, missing_user.location)


# --- out of office, navigation, contacts --------------------------------------------------------------------


def test_out_of_office_page_sets_and_clears_the_period(client: FlaskClient, session: Any) -> None:
    login(client, "travel_advisor")
    html = page(client, "/me/away")
    assert 'name="stand_in"' in html and 'value="travel_advisor"' not in html.split('name="stand_in"')[1]
    bad = client.post(
        "/me/away",
        data={"from": "2026-11-30T09:00", "to": "2026-11-20T09:00", "stand_in": "service_supervisor"},
        headers=EN,
    )
    assert bad.status_code == 400 and "Must be after the start." in bad.get_data(as_text=True)
    missing = client.post("/me/away", data={"from": "", "to": "2026-11-20T09:00"}, headers=EN)
    assert missing.status_code == 400 and "Choose who takes your tasks." in missing.get_data(as_text=True)
    response = client.post(
        "/me/away",
        data={"from": "2026-11-20T09:00", "to": "2026-11-30T18:00", "stand_in": "service_supervisor"},
    )
    assert response.status_code == 302
    user = session.scalars(select(User).where(User.username == "travel_advisor")).one()
    session.refresh(user)
    assert user.stand_in == "service_supervisor"
    assert user.away_from == datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    html = page(client, "/me/away")
    assert "You are away now." in html and "2026-11-30 18:00" in html
    assert "you are out of office" in page(client, "/inbox").lower()
    client.post("/me/away/clear")
    session.refresh(user)
    assert user.stand_in is None and "You are away now." not in page(client, "/me/away")


def test_navigation_shows_reports_and_incidents_by_role(client: FlaskClient) -> None:
    login(client, "travel_advisor")
    html = page(client, "/inbox")
    assert 'href="/reports"' not in html and 'href="/incidents"' not in html and 'href="/me/away"' in html
    client.post("/logout")
    login(client, "data_analyst")
    html = page(client, "/inbox")
    assert 'href="/reports"' in html and 'href="/incidents"' not in html
    client.post("/logout")
    login(client, "service_supervisor")
    html = page(client, "/inbox", ZH)
    assert 'href="/reports"' in html and 'href="/incidents"' in html and "异常工单" in html


def test_a_contact_is_logged_from_the_task_page(client: FlaskClient, api: Any, session: Any) -> None:
    case_id, task_id = _planning(api, "Zhao Lei")
    login(client, "account_manager")
    item = session.get(WorkItem, task_id)
    html = page(client, f"/tasks/{task_id}")
    assert f'action="/tasks/{task_id}/contacts"' in html
    response = client.post(f"/tasks/{task_id}/contacts", data={"channel": "phone", "summary": ""}, headers=EN)
    assert "Choose a channel and say what was discussed." in page(client, response.location.split("#")[0])
    client.post(f"/tasks/{task_id}/contacts", data={"channel": "phone", "summary": "Prefers a later flight"})
    record = session.scalars(select(ContactRecord).where(ContactRecord.customer_id == item.customer_id)).one()
    assert record.case_id == case_id and record.by == "account_manager" and record.channel == "phone"
    assert "Prefers a later flight" in page(client, f"/tasks/{task_id}")
    client.post("/logout")
    login(client, "travel_advisor")
    assert f'action="/tasks/{task_id}/contacts"' not in page(client, f"/tasks/{task_id}")
    assert (
        client.post(f"/tasks/{task_id}/contacts", data={"channel": "phone", "summary": "x"}).status_code
        == 403
    )


def test_a_supervisor_sees_every_open_task_and_hands_them_on(client: FlaskClient, api: Any) -> None:
    case_id, task_id = _planning(api)
    api.as_("travel_advisor").post(f"/api/v1/tasks/{task_id}/claim")
    login(client, "travel_advisor")
    assert "All open tasks" not in page(client, "/inbox")
    assert 'aria-current="page">My tasks' in page(client, "/inbox?scope=team")  # not theirs: "mine" instead
    client.post("/logout")
    login(client, "service_supervisor")
    html = page(client, "/inbox?scope=team&lane=travel_advisor")
    assert "All open tasks" in html and f'data-id="{task_id}"' in html and "Assign selected" in html
    assert "Claim selected" not in html
    assert f'data-id="{task_id}"' not in page(client, "/inbox?scope=team&lane=project_manager")
