"""One door into the core: each rule is checked inside the workflows operation, for the API and the
pages alike, and each operation is one transaction (issue 14; issue 13 items 6 and 7)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.cases import interventions
from workflows.cases.comments import comment_on_case
from workflows.errors import Forbidden
from workflows.inbox import queries as inbox
from workflows.inbox.tasks import get_work_item
from workflows.models import Document, Event
from workflows.unit import unit_of_work

from .conftest import actor
from .security_world import PNG, fingerprint
from .test_pages import EN, NEEDS_FORM, NEW_CUSTOMER, login, start_planning
from .test_trip import _plan_and_confirm as plan_and_confirm


def test_a_message_needs_a_role_that_may_change_the_case(api, session, start_case, work) -> None:
    trip = plan_and_confirm(start_case, work)  # waiting for departure: it catches itinerary_changed
    url = f"/api/v1/cases/{trip.id}/messages/itinerary_changed"
    moved = {"data": {"start_date": "2026-12-27", "end_date": "2027-01-03"}}
    for role in ("travel_advisor", "data_analyst", "admin"):
        api.as_(role)
    before = fingerprint(session)
    for role in ("travel_advisor", "data_analyst", "admin"):
        response = api.as_(role).post(url, json=moved)
        assert response.status_code == 403, (role, response.get_json())
    assert fingerprint(session) == before  # refused: nothing changed
    answer = api.as_("account_manager").post(url, json=moved)
    assert answer.status_code == 200, answer.get_json()
    assert (
        answer.get_json()["data"]["start_date"] == "2026-12-27"
    )  # the case was waiting: it would have moved


def test_attaching_needs_a_role_of_the_cases_process(api, session, start_case) -> None:
    case = start_case("itinerary_planning")
    url = f"/api/v1/cases/{case.id}/documents"
    for role in ("customer_service", "data_analyst", "process_owner", "admin"):
        api.as_(role)
    before = fingerprint(session)
    for role in ("customer_service", "data_analyst", "process_owner", "admin"):
        response = api.as_(role).post(
            url, data={"file": (io.BytesIO(PNG), "map.png")}, content_type="multipart/form-data"
        )
        assert response.status_code == 403, (role, response.get_json())
    assert fingerprint(session) == before
    for role in ("travel_advisor", "service_supervisor"):  # a lane of itinerary_planning, a supervisor
        response = api.as_(role).post(
            url, data={"file": (io.BytesIO(PNG), "map.png")}, content_type="multipart/form-data"
        )
        assert response.status_code == 201, (role, response.get_json())
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Document).where(Document.case_id == case.id)) == 2


def test_the_openapi_document_says_who_may_deliver_and_attach(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    message = paths["/api/v1/cases/{case_id}/messages/{name}"]["post"]["description"]
    assert "account_manager" in message and "travel_advisor" not in message
    assert "lane in the case's process" in paths["/api/v1/cases/{case_id}/documents"]["post"]["description"]


def test_a_bad_team_cursor_is_refused(client) -> None:
    login(client, "service_supervisor")
    assert client.get("/inbox?scope=team", headers=EN).status_code == 200
    response = client.get("/inbox?scope=team&cursor=not-a-cursor", headers=EN)
    assert response.status_code == 400


def test_the_team_count_is_capped_like_every_badge(session, start_case) -> None:
    for _ in range(3):
        start_case("itinerary_planning")
    supervisor = actor("service_supervisor")
    assert inbox.count_team_tasks(session, supervisor, cap=None) == 3
    assert inbox.count_team_tasks(session, supervisor, cap=2) == 2
    items, cursor = inbox.team_tasks(session, supervisor, limit=2)
    more, last = inbox.team_tasks(session, supervisor, cursor=cursor, limit=2)
    assert len(items) == 2 and len(more) == 1 and last is None
    with pytest.raises(Forbidden):
        inbox.team_tasks(session, actor("account_manager"))


def _documents(session: Any, case_id: int) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Document).where(Document.case_id == case_id))


def test_a_task_page_submit_is_one_transaction_with_its_file(client, session, rt) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    case_id = get_work_item(session, int(task_url.rsplit("/", 1)[1])).case_id
    interventions.suspend_case(session, rt, case_id, "waiting for the customer", actor("service_supervisor"))
    upload = {
        **NEW_CUSTOMER,
        **NEEDS_FORM,
        "passport_copy__file": (io.BytesIO(b"%PDF-1.4 x"), "passport.pdf"),
    }
    response = client.post(task_url, data=upload, headers=EN, content_type="multipart/form-data")
    assert response.status_code == 409  # the step failed: the case is suspended
    assert _documents(session, case_id) == 0  # and the file went with it
    interventions.resume_case(session, rt, case_id, actor("service_supervisor"))
    upload["passport_copy__file"] = (io.BytesIO(b"%PDF-1.4 x"), "passport.pdf")
    response = client.post(task_url, data=upload, headers=EN, content_type="multipart/form-data")
    assert response.status_code == 302
    assert _documents(session, case_id) == 1
    flashed = client.get("/inbox", headers=EN).get_data(as_text=True)
    assert "Next step: Design itinerary" in flashed  # the next tasks came back from the one call


def test_units_nest_and_commit_once(session, rt, start_case) -> None:
    case = start_case("itinerary_planning")
    with pytest.raises(RuntimeError), unit_of_work(session):
        comment_on_case(session, rt, case.id, "inside", actor("account_manager"))
        raise RuntimeError("the outer unit fails after the inner one finished")
    session.rollback()
    comments = select(func.count()).select_from(Event).where(Event.case_id == case.id, Event.text == "inside")
    assert session.scalar(comments) == 0  # the inner unit joined the outer transaction: nothing committed
    comment_on_case(session, rt, case.id, "inside", actor("account_manager"))
    session.rollback()
    assert session.scalar(comments) == 1
