"""Managers' interventions: cancel, suspend/resume, incidents with data fixes and retry, reassign, OOO."""

from __future__ import annotations

from datetime import datetime

from workflows.cases import operations as cases
from workflows.permissions import SYSTEM

from .conftest import NEEDS, PASSWORD, SHANGHAI, open_task


def _planning(api):
    case = api.as_("account_manager").post("/api/v1/cases", json={"process": "itinerary_planning"}).get_json()
    return case["id"], case["active_tasks"][0]["id"]


def test_cancel_removes_tasks_from_every_inbox(api, session):
    case_id, task_id = _planning(api)
    assert api.post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "dup"}).status_code == 403
    assert api.as_("service_supervisor").post(f"/api/v1/cases/{case_id}/cancel", json={}).status_code == 400
    done = api.post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "Duplicate enquiry"})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert done.get_json()["active_tasks"] == []
    assert api.as_("account_manager").get("/api/v1/tasks?scope=group").get_json()["items"] == []
    again = api.as_("service_supervisor").post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "x"})
    assert again.status_code == 409
    history = api.get(f"/api/v1/cases/{case_id}/history").get_json()["items"]
    assert history[-1]["kind"] == "case_cancelled" and history[-1]["text"] == "Duplicate enquiry"


def test_suspend_holds_timers_and_work(api, session, rt, clock):
    complaint = (
        api.as_("customer_service")
        .post("/api/v1/cases", json={"process": "complaint_handling", "data": {"urgency": "urgent"}})
        .get_json()
    )
    sup = api.as_("service_supervisor")
    assert sup.post(f"/api/v1/cases/{complaint['id']}/suspend", json={"reason": "waiting"}).status_code == 200
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI))
    assert cases.fire_due_timers(session, rt, SYSTEM) == []
    task_id = complaint["active_tasks"][0]["id"]
    blocked = api.as_("customer_service").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
    assert blocked.status_code == 409
    assert sup.as_("service_supervisor").post(f"/api/v1/cases/{complaint['id']}/resume").status_code == 200
    assert cases.fire_due_timers(session, rt, SYSTEM) == [complaint["id"]]
    assert open_task(session, complaint["id"], "escalate_complaint")


def test_incident_fix_and_retry(api, session, rt):
    """A condition that fails puts the case in error; a fix of the data and a retry run it on."""
    case_id, task_id = _planning(api)
    data = {"new_customer": {"name": "Error Prone"}, **NEEDS}
    api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    design = open_task(session, case_id, "design_itinerary")
    api.as_("travel_advisor").post(
        f"/api/v1/tasks/{design.id}/complete",
        json={"data": {"itinerary": [{"day": 1, "transport": "train"}], "quoted_price": 100}},
    )
    review = open_task(session, case_id, "review_itinerary")
    # break the case: remove the variable the gateway after review reads
    fix = api.as_("process_owner").patch(
        f"/api/v1/cases/{case_id}/data", json={"set": {"approved": "garbage"}, "reason": "test"}
    )
    assert fix.status_code == 200
    assert (
        api.as_("service_supervisor").post(f"/api/v1/cases/{case_id}/retry").status_code == 409
    )  # not in error
    view = api.get(f"/api/v1/cases/{case_id}").get_json()
    assert view["status"] == "running" and review.id in [t["id"] for t in view["active_tasks"]]


def test_reassign_and_bulk(api, session):
    ids = [_planning(api)[1] for _ in range(3)]
    assert api.post(f"/api/v1/tasks/{ids[0]}/assign", json={"user": "admin"}).status_code == 403
    sup = api.as_("service_supervisor")
    assert sup.post(f"/api/v1/tasks/{ids[0]}/assign", json={"user": "nobody"}).status_code == 400
    moved = sup.post(f"/api/v1/tasks/{ids[0]}/assign", json={"user": "account_manager"})
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "account_manager"
    bulk = api.as_("account_manager").post("/api/v1/tasks/bulk", json={"action": "claim", "ids": ids + [999]})
    results = bulk.get_json()["results"]
    assert [r["ok"] for r in results] == [True, True, True, False]
    assert results[-1]["error"] == "not_found"


def test_diagram_overlay(api, session):
    case_id, task_id = _planning(api)
    api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"new_customer": {"name": "D"}, **NEEDS}})
    diagram = api.get(f"/api/v1/cases/{case_id}/diagram").get_json()
    assert diagram["active"] == ["design_itinerary"]
    assert "collect_needs" in diagram["completed"] and diagram["counts"]["collect_needs"] == 1
    assert diagram["bpmn"].startswith("<?xml") and diagram["error"] == []


def test_out_of_office_hands_tasks_to_stand_in(api, session, rt, clock):
    from workflows.customers.operations import create_customer
    from workflows.people.users import add_user

    customer = create_customer(
        session, {"name": "VIP", "dedicated_advisor": "travel_advisor"}, now=clock.now()
    )
    # the stand-in works in the task's lane: one outside it would leave the task with the group
    add_user(session, "second_advisor", PASSWORD, ["travel_advisor"], now=clock.now())
    session.commit()
    away = api.as_("travel_advisor").put(
        "/api/v1/me/out-of-office",
        json={
            "from": "2026-11-20T00:00:00+08:00",
            "to": "2026-11-30T00:00:00+08:00",
            "stand_in": "second_advisor",
        },
    )
    assert away.status_code == 200 and away.get_json()["stand_in"] == "second_advisor"
    case_id, task_id = _planning(api)
    api.as_("account_manager").post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"customer_id": customer.id, **NEEDS}}
    )
    design = open_task(session, case_id, "design_itinerary")
    assert design.assignee == "second_advisor"
    history = api.get(f"/api/v1/cases/{case_id}/history").get_json()["items"]
    assert any(e["kind"] == "task_assigned" and "away" in (e["text"] or "") for e in history)
    cleared = api.as_("travel_advisor").put(
        "/api/v1/me/out-of-office", data="null", headers={"Content-Type": "application/json"}
    )
    assert cleared.status_code == 200 and cleared.get_json() is None


def _deploy_test_model(api, name: str) -> None:
    path = __import__("pathlib").Path(__file__).parent / "bpmn" / name
    response = api.as_("process_owner").post(
        "/api/v1/processes", data={"file": (path.open("rb"), name)}, content_type="multipart/form-data"
    )
    assert response.status_code in (200, 201), response.get_json()


def test_failing_script_is_an_incident_fixed_by_data_and_retry(api):
    _deploy_test_model(api, "ratio_check.bpmn")
    sup = api.as_("service_supervisor")
    started = sup.post("/api/v1/cases", json={"process": "ratio_check", "data": {"divisor": 0}})
    assert started.status_code == 201
    case = started.get_json()
    assert case["status"] == "error" and case["active_tasks"] == []
    assert case["error"]["element_id"] == "compute_ratio" and "division by zero" in case["error"]["message"]
    assert [c["id"] for c in sup.get("/api/v1/incidents").get_json()["items"]] == [case["id"]]
    again = sup.post(f"/api/v1/cases/{case['id']}/retry")
    assert again.status_code == 409 and "division by zero" in again.get_json()["message"]
    assert (
        api.as_("travel_advisor")
        .patch(f"/api/v1/cases/{case['id']}/data", json={"set": {"divisor": 5}, "reason": "x"})
        .status_code
        == 403
    )
    fixed = sup.as_("service_supervisor").patch(
        f"/api/v1/cases/{case['id']}/data", json={"set": {"divisor": 5}, "reason": "typo at intake"}
    )
    assert fixed.status_code == 200
    retried = sup.post(f"/api/v1/cases/{case['id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    body = retried.get_json()
    assert body["status"] == "running" and body["error"] is None and body["data"]["ratio"] == 2
    assert [t["task_id"] for t in body["active_tasks"]] == ["look_at_ratio"]
    kinds = [e["kind"] for e in sup.get(f"/api/v1/cases/{case['id']}/history").get_json()["items"]]
    assert kinds.count("case_error") == 2 and "data_changed" in kinds and "case_retried" in kinds


def test_case_export_counts_and_saved_filters(api):
    for _ in range(2):
        _planning(api)
    sup = api.as_("service_supervisor")
    listed = sup.get("/api/v1/cases?process=itinerary_planning").get_json()["items"]
    assert listed[0]["current_tasks"][0]["task_id"] == "collect_needs" and listed[0]["overdue"] is False
    csv_response = sup.get("/api/v1/cases/export.csv?status=running")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    lines = csv_response.data.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("id,process,version,status") and len(lines) == 3
    xlsx = sup.get("/api/v1/cases/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert sup.get("/api/v1/cases/count?status=running").get_json() == {"count": 2}
    saved = sup.post(
        "/api/v1/me/filters",
        json={
            "name": "My overdue A-tier trips",
            "query": {"process": "trip", "tier": "A", "overdue": "true"},
        },
    )
    assert saved.status_code == 201
    assert (
        sup.post("/api/v1/me/filters", json={"name": "My overdue A-tier trips", "query": {}}).status_code
        == 409
    )
    assert sup.post("/api/v1/me/filters", json={"name": "bad", "query": {"drop": "table"}}).status_code == 400
    assert [f["name"] for f in sup.get("/api/v1/me/filters").get_json()["items"]] == [
        "My overdue A-tier trips"
    ]
    assert api.as_("travel_advisor").get("/api/v1/me/filters").get_json()["items"] == []
    assert (
        sup.as_("service_supervisor").delete(f"/api/v1/me/filters/{saved.get_json()['id']}").status_code
        == 200
    )
