"""The inbox puts urgent work first, can be searched, filtered, sorted and saved (issue 15, items 1-3).

Every task here comes from a real case run by SpiffWorkflow: pre-trip calls from trips whose
departure timer fired, complaints whose resolution deadline the model computes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.customers.operations import create_customer, set_tier
from workflows.models import User, WorkItem
from workflows.people.users import add_user
from workflows.permissions import SYSTEM

from .conftest import ITINERARY, NEEDS, PASSWORD, SHANGHAI, actor, open_task
from .test_pages import EN, ZH, login

DEPARTURE_TIMER = datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI)  # 7 days before NEEDS' 20 Dec


def _pre_trip_call(session: Any, start_case: Any, work: Any, clock: Any, name: str, tier: str) -> int:
    """A trip of a ``tier`` customer, planned and confirmed; returns its case id (the call comes when
    the departure timer fires)."""
    customer = create_customer(session, {"name": name}, now=clock.now())
    if tier != "C":
        set_tier(session, customer, tier, by="test", reason="test", now=clock.now())
    session.commit()
    trip = start_case("trip")
    trip = work(trip, "collect_needs", customer_id=customer.id, **NEEDS)
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number=f"HT-{name}", signed_on="2026-11-24", total_price=9000)
    trip = work(trip, "arrange_bookings", bookings=[{"kind": "hotel", "supplier": "S", "reference": "R"}])
    trip = work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    return trip.id


def _complaint(session: Any, rt: Any, name: str, urgency: str, raised_at: datetime | None = None) -> int:
    data = {"urgency": urgency, "complaint_details": "Lost luggage", "customer_name": name}
    if raised_at is not None:
        data["raised_at"] = raised_at.isoformat()
    return cases.start_case(session, rt, "complaint_handling", data, actor("customer_service")).id


@pytest.fixture
def desk(session, rt, clock, start_case, work) -> dict[str, int]:
    """The customer-service group inbox on 13 Dec, 09:00: two A-tier and one C-tier pre-trip call due in
    two days, an urgent complaint due in 2 hours, one already overdue, and a normal one due tomorrow."""
    trips = {
        name: _pre_trip_call(session, start_case, work, clock, name, tier)
        for name, tier in (("Anna A", "A"), ("Bo A", "A"), ("Cai C", "C"))
    }
    clock.set(DEPARTURE_TIMER)
    assert sorted(cases.fire_due_timers(session, rt, SYSTEM)) == sorted(trips.values())
    made = {
        f"call {name}": open_task(session, case_id, "pre_trip_call").id for name, case_id in trips.items()
    }
    for label, urgency, raised in (
        ("urgent", "urgent", None),
        ("overdue", "urgent", datetime(2026, 12, 13, 5, 0, tzinfo=SHANGHAI)),
        ("normal", "normal", None),
    ):
        case_id = _complaint(session, rt, f"Complainer {label}", urgency, raised)
        made[label] = open_task(session, case_id, "resolve_complaint").id
    session.commit()
    return made


def _ids(api: Any, query: str = "") -> list[int]:
    response = api.get(f"/api/v1/tasks?scope=group{query}")
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()["items"]]


def test_urgent_work_comes_first_then_key_customers(desk, api, session):
    api.as_("customer_service")
    due = {i.id: i.due_at for i in session.scalars(select(WorkItem))}
    assert due[desk["urgent"]] == datetime(2026, 12, 13, 11, 0, tzinfo=SHANGHAI)  # in 2 hours
    assert due[desk["call Anna A"]] == datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI)  # in 2 days
    expected = [
        desk["overdue"],  # overdue first
        desk["urgent"],  # due within the 4-hour window
        desk["call Anna A"],  # then tier A by due (the two calls are due at the same instant: by id)
        desk["call Bo A"],
        desk["normal"],  # tier C, due tomorrow
        desk["call Cai C"],  # tier C, due in two days
    ]
    assert _ids(api) == expected
    assert _ids(api, "&sort=urgency") == expected
    # the old order still on demand: tier A first whatever the deadline
    assert _ids(api, "&sort=tier")[:2] == [desk["call Anna A"], desk["call Bo A"]]
    assert _ids(api, "&sort=due") == [
        desk["overdue"],
        desk["urgent"],
        desk["normal"],
        desk["call Anna A"],
        desk["call Bo A"],
        desk["call Cai C"],
    ]


def test_one_page_shape_serves_every_user_and_instant_with_their_own_rows(desk, api, session, rt, clock):
    """A page's SQL is built once per shape and reused: the instant and the user are bound per
    request, so a later page reads the bands of its own instant and nobody sees another's tasks."""
    api.as_("customer_service")
    assert _ids(api)[:3] == [desk["overdue"], desk["urgent"], desk["call Anna A"]]
    clock.set(datetime(2026, 12, 15, 6, 0, tzinfo=SHANGHAI))  # two days on: the complaints are overdue
    assert _ids(api) == [
        desk["overdue"],
        desk["urgent"],
        desk["normal"],  # overdue now, before every call
        desk["call Anna A"],  # due at 09:00: in the window, by due then id whatever the tier
        desk["call Bo A"],
        desk["call Cai C"],
    ]
    assert _ids(api, "&limit=3") == [desk["overdue"], desk["urgent"], desk["normal"]]  # chosen in SQL
    add_user(session, "customer_service_2", PASSWORD, ["customer_service"], now=clock.now())
    supervisor = actor("service_supervisor")
    cases.assign_task(session, rt, desk["urgent"], "customer_service", supervisor)
    cases.assign_task(session, rt, desk["normal"], "customer_service_2", supervisor)
    session.commit()
    for username, theirs in (
        ("customer_service", desk["urgent"]),
        ("customer_service_2", desk["normal"]),
        ("customer_service", desk["urgent"]),
    ):
        mine = api.as_(username)
        assert [t["id"] for t in mine.get("/api/v1/tasks?scope=mine").get_json()["items"]] == [theirs]
        assert mine.get("/api/v1/tasks/count?scope=mine").get_json()["count"] == 1


def test_the_escalation_window_is_configurable(desk, api, app):
    api.as_("customer_service")
    app.config["INBOX_ESCALATION_HOURS"] = 1  # the urgent complaint (2 h) is no longer in the window
    assert _ids(api)[:3] == [desk["overdue"], desk["call Anna A"], desk["call Bo A"]]


@pytest.mark.parametrize("sort", ["urgency", "tier", "due"])
def test_pages_of_two_give_every_task_once_in_order(desk, api, sort):
    api.as_("customer_service")
    whole = _ids(api, f"&sort={sort}")
    seen, cursor = [], None
    while True:
        body = api.get(
            f"/api/v1/tasks?scope=group&sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        )
        assert body.status_code == 200
        seen += [t["id"] for t in body.get_json()["items"]]
        cursor = body.get_json()["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(seen) == 6


def test_a_cursor_of_one_order_is_refused_by_another(desk, api):
    api.as_("customer_service")
    cursor = api.get("/api/v1/tasks?scope=group&limit=2").get_json()["next_cursor"]
    response = api.get(f"/api/v1/tasks?scope=group&sort=tier&cursor={cursor}")
    assert response.status_code == 400 and response.get_json()["details"][0]["field"] == "cursor"


def test_search_and_filters(desk, api, session):
    api.as_("customer_service")
    assert _ids(api, "&q=anna") == [desk["call Anna A"]]
    assert _ids(api, "&q=kyoto") == [desk["call Anna A"], desk["call Bo A"], desk["call Cai C"]]
    case_id = session.get(WorkItem, desk["normal"]).case_id
    assert _ids(api, f"&q={case_id}") == [desk["normal"]]
    assert _ids(api, f"&q=%23{case_id}") == [desk["normal"]]
    assert _ids(api, "&q=50%25") == []  # a % is a character, not a wildcard
    assert _ids(api, "&process=complaint_handling") == [desk["overdue"], desk["urgent"], desk["normal"]]
    assert _ids(api, "&task=pre_trip_call&tier=A") == [desk["call Anna A"], desk["call Bo A"]]
    assert _ids(api, "&overdue=true") == [desk["overdue"]]
    assert _ids(api, "&due_from=2026-12-14&due_to=2026-12-14") == [desk["normal"]]
    assert _ids(api, "&due_from=2026-12-15") == [desk["call Anna A"], desk["call Bo A"], desk["call Cai C"]]
    for query, field in (
        ("&tier=D", "tier"),
        ("&due_from=tomorrow", "due_from"),
        ("&due_from=2026-12-15&due_to=2026-12-14", "due_to"),
        ("&overdue=maybe", "overdue"),
        ("&sort=cheapest", "sort"),
        ("&q=" + "x" * 201, "q"),
    ):
        response = api.get("/api/v1/tasks?scope=group" + query)
        assert response.status_code == 400, query
        assert response.get_json()["details"][0]["field"] == field


def test_saved_inbox_filters(desk, api):
    api.as_("customer_service")
    query = {"scope": "group", "q": "anna", "tier": "A"}
    saved = api.post("/api/v1/me/filters", json={"name": "Anna", "query": query, "kind": "inbox"})
    assert saved.status_code == 201 and saved.get_json()["kind"] == "inbox"
    listed = api.get("/api/v1/me/filters?kind=inbox").get_json()["items"]
    assert [(f["name"], f["query"]) for f in listed] == [("Anna", query)]
    assert api.get("/api/v1/me/filters").get_json()["items"] == []  # case-list filters are apart
    bad = api.post("/api/v1/me/filters", json={"name": "Bad", "query": {"tier": "Z"}, "kind": "inbox"})
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "tier"
    unknown = api.post("/api/v1/me/filters", json={"name": "X", "query": {"salary": "1"}, "kind": "inbox"})
    assert unknown.status_code == 400


def test_the_inbox_page_has_search_saved_filters_time_left_and_fifty_rows(desk, client, app):
    login(client, "customer_service")
    page = client.get("/inbox?scope=group&q=anna", headers=EN).get_data(as_text=True)
    assert page.count("data-task=") == 1 and "Anna A" in page
    client.post("/inbox/filters", data={"name": "Only Anna", "scope": "group", "q": "anna"})
    page = client.get("/inbox?scope=group", headers=EN).get_data(as_text=True)
    assert "Only Anna" in page and 'href="/inbox?scope=group&amp;q=anna"' in page
    order = [line for line in page.split("data-id=")[1:]]
    assert order[0].startswith(f'"{desk["overdue"]}"') and order[1].startswith(f'"{desk["urgent"]}"')
    left = re.findall(r"time-left sub\">([^<]*)<", page)
    assert left == [
        "2 hours overdue",
        "2 hours left",
        "2 days left",
        "2 days left",
        "1 day left",
        "2 days left",
    ]
    from webapp.pages import inbox

    assert inbox.PAGE_SIZE == 50


def test_a_search_that_finds_nothing_says_so_rather_than_that_the_inbox_is_empty(desk, client):
    login(client, "customer_service")
    page = client.get("/inbox?scope=group&q=nobody-by-this-name", headers=EN).get_data(as_text=True)
    assert "No task matches these filters" in page and "No open tasks in your groups" not in page
    page = client.get("/inbox?scope=group&q=nobody-by-this-name", headers=ZH).get_data(as_text=True)
    assert "没有符合筛选条件的任务" in page


def test_time_left_reads_in_chinese(desk, client):
    login(client, "customer_service")
    page = client.get("/inbox?scope=group", headers=ZH).get_data(as_text=True)
    assert "剩余2小时" in page or "还剩2小时" in page, page[
        page.find("time-left") : page.find("time-left") + 200
    ]


def test_no_claim_button_on_a_task_that_is_already_mine(desk, client, session, rt):
    cases.assign_task(session, rt, desk["urgent"], "customer_service", actor("service_supervisor"))
    session.commit()
    login(client, "customer_service")
    page = client.get("/inbox?scope=mine").get_data(as_text=True)
    row = page[page.find(f'data-id="{desk["urgent"]}"') :].split("</tr>")[0]
    assert "/claim" not in row and f"/tasks/{desk['urgent']}" in row


def test_people_by_name_in_the_inbox_and_its_api(desk, client, api, session, rt):
    session.scalars(select(User).where(User.username == "customer_service")).one().display_name = "王芳"
    session.commit()
    cases.claim_task(session, rt, desk["urgent"], actor("customer_service"))
    cases.assign_task(session, rt, desk["normal"], "customer_service", actor("service_supervisor"))
    session.commit()
    api.as_("customer_service")
    [task] = [t for t in api.get("/api/v1/tasks?scope=mine").get_json()["items"] if t["id"] == desk["urgent"]]
    assert task["claimed_by"] == "customer_service" and task["claimed_by_name"] == "王芳"
    login(client, "service_supervisor")
    page = client.get("/inbox?scope=team").get_data(as_text=True)
    assert '<span class="person" title="customer_service">王芳</span>' in page


def test_the_error_summary_sits_above_the_earlier_steps(start_case, work, client, session):
    case = work(start_case(), "collect_needs", new_customer={"name": "Lin"}, **NEEDS)
    case = work(case, "design_itinerary", **ITINERARY)
    item = open_task(session, case.id, "review_itinerary")
    login(client, "project_manager")
    html = client.post(f"/tasks/{item.id}", data={}, headers=EN).get_data(as_text=True)
    assert "data-error-summary" in html and "details-card" in html
    assert html.index("data-error-summary") < html.index("details-card")


@pytest.mark.parametrize(("headers", "assigned"), [(EN, "Assigned to 王芳"), (ZH, "王芳")])
def test_people_by_name_in_the_case_history_and_held_by(desk, client, session, rt, headers, assigned):
    session.scalars(select(User).where(User.username == "customer_service")).one().display_name = "王芳"
    session.commit()
    cases.assign_task(session, rt, desk["urgent"], "customer_service", actor("service_supervisor"))
    session.commit()
    case_id = session.get(WorkItem, desk["urgent"]).case_id
    login(client, "service_supervisor")
    html = client.get(f"/cases/{case_id}", headers=headers).get_data(as_text=True)
    assert '<span class="person" title="customer_service">王芳</span>' in html  # held by, on hover the id
    assert assigned in html and "Assigned to customer_service" not in html
    task = client.get(f"/tasks/{desk['urgent']}", headers=headers).get_data(as_text=True)
    assert '<span class="person" title="customer_service">王芳</span>' in task


def test_assignment_pickers_search_by_name(desk, api, session):
    session.scalars(select(User).where(User.username == "customer_service")).one().display_name = "王芳"
    session.commit()
    found = api.as_("service_supervisor").get("/api/v1/people?q=王").get_json()["items"]
    assert found == [{"username": "customer_service", "name": "王芳"}]
    assert api.get("/api/v1/people?q=wang&role=customer_service").get_json()["items"] == []
    assert api.as_("customer_service").get("/api/v1/people?q=a").status_code == 403
