"""The JSON API of API.md through the Flask test client: tokens, cases, tasks, customers, errors."""

from __future__ import annotations

from .conftest import ITINERARY, NEEDS


def _start_planning(api):
    response = api.as_("account_manager").post(
        "/api/v1/cases", json={"process": "itinerary_planning", "data": {}}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_token_required_and_bad_login(client, api):
    assert client.get("/api/v1/cases").status_code == 401
    body = client.get("/api/v1/cases").get_json()
    assert body["error"] == "unauthorized" and body["message"]
    bad = client.post("/api/v1/token", json={"username": "account_manager", "password": "nope"})
    assert bad.status_code == 401
    missing = client.post("/api/v1/token", json={"username": "account_manager"})
    assert missing.status_code == 400 and missing.get_json()["details"][0]["field"] == "password"


def test_planning_through_the_api(api):
    case = _start_planning(api)
    assert case["process"] == "itinerary_planning" and case["version"] == 1 and case["status"] == "running"
    [task] = case["active_tasks"]
    assert task["task_id"] == "collect_needs" and task["lane"] == "account_manager"

    detail = api.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert detail["form"]["schema"]["properties"]["destination"]
    data = {"new_customer": {"name": "Emma Smith", "phone": "+44 20 7946 0000"}, **NEEDS}
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert done.status_code == 200, done.get_json()
    [design] = done.get_json()["next_tasks"]
    assert design["task_id"] == "design_itinerary" and design["customer_name"] == "Emma Smith"

    group = api.as_("travel_advisor").get("/api/v1/tasks?scope=group").get_json()
    assert [t["id"] for t in group["items"]] == [design["id"]]
    assert group["items"][0]["destination"] == "Kyoto" and group["items"][0]["start_date"] == "2026-12-20"
    assert api.post(f"/api/v1/tasks/{design['id']}/claim").status_code == 200
    assert api.get("/api/v1/tasks/count?scope=mine").get_json() == {"count": 1}
    assert api.as_("account_manager").post(f"/api/v1/tasks/{design['id']}/claim").status_code == 403
    done = api.as_("travel_advisor").post(f"/api/v1/tasks/{design['id']}/complete", json={"data": ITINERARY})
    review = done.get_json()["next_tasks"][0]
    assert review["task_id"] == "review_itinerary" and review["lane"] == "project_manager"

    history = api.get(f"/api/v1/cases/{case['id']}/history").get_json()["items"]
    kinds = [e["kind"] for e in history]
    assert kinds[:2] == ["case_started", "task_created"] and "task_claimed" in kinds
    completed = [e for e in history if e["kind"] == "task_completed"]
    assert completed[0]["user"] == "account_manager"
    assert completed[0]["data_changes"]["destination"] == [None, "Kyoto"]


def test_complete_errors(api):
    case = _start_planning(api)
    task_id = case["active_tasks"][0]["id"]
    bad = api.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {**NEEDS, "travellers": "three", "customer_id": 1}}
    )
    assert bad.status_code == 400
    assert {d["field"] for d in bad.get_json()["details"]} == {"travellers"}
    malformed = api.client.post(
        f"/api/v1/tasks/{task_id}/complete",
        data="{not json",
        headers={**api._headers(), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.get_json()["error"] == "invalid"
    wrong_role = api.as_("project_manager").post(f"/api/v1/tasks/{task_id}/complete", json={"data": NEEDS})
    assert wrong_role.status_code == 403
    good = {"new_customer": {"name": "王芳"}, **NEEDS}
    assert (
        api.as_("account_manager").post(f"/api/v1/tasks/{task_id}/complete", json={"data": good}).status_code
        == 200
    )
    again = api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": good})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert api.get("/api/v1/tasks/999999").status_code == 404


def test_start_permissions_and_unknown_process(api):
    assert (
        api.as_("travel_advisor").post("/api/v1/cases", json={"process": "itinerary_planning"}).status_code
        == 403
    )
    unknown = api.as_("service_supervisor").post("/api/v1/cases", json={"process": "nope"})
    assert unknown.status_code == 404
    assert api.post("/api/v1/cases", json={"data": {}}).get_json()["details"][0]["field"] == "process"


def test_case_list_get_and_paging(api):
    ids = [_start_planning(api)["id"] for _ in range(3)]
    first = api.get("/api/v1/cases?limit=2").get_json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    rest = api.get(f"/api/v1/cases?limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["id"] for c in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert api.get("/api/v1/cases?limit=0").status_code == 400
    assert api.get("/api/v1/cases?status=bogus").status_code == 400
    one = api.get(f"/api/v1/cases/{ids[0]}").get_json()
    assert one["error"] is None and one["children"] == [] and one["parent"] is None
    assert api.get("/api/v1/cases/424242").status_code == 404


def test_my_trips_filter_the_case_list_by_account_manager(api):
    """GET /api/v1/cases?trip_account_manager=me: the cases of the trips the asking user handles."""
    mine = _start_planning(api)
    task = mine["active_tasks"][0]["id"]
    data = {"new_customer": {"name": "Emma Smith"}, **NEEDS}
    assert api.post(f"/api/v1/tasks/{task}/complete", json={"data": data}).status_code == 200
    _start_planning(api)  # no needs collected yet: nobody handles it
    listed = api.as_("account_manager").get("/api/v1/cases?trip_account_manager=me").get_json()
    assert [c["id"] for c in listed["items"]] == [mine["id"]]
    by_name = api.as_("service_supervisor").get("/api/v1/cases?trip_account_manager=account_manager")
    assert [c["id"] for c in by_name.get_json()["items"]] == [mine["id"]]
    assert api.get("/api/v1/cases?trip_account_manager=me").get_json()["items"] == []


def test_customers(api):
    created = api.as_("account_manager").post(
        "/api/v1/customers",
        json={
            "name": "张伟",
            "phone": "13812345678",
            "id_number": "110101199003074518",
            "segment": "business",
        },
    )
    assert created.status_code == 201, created.get_json()
    card = created.get_json()
    assert card["tier"] == "C" and card["id_number"] == "110***********4518"
    assert card["annual_spend"] == 0 and card["trips_12m"] == 0
    patched = api.patch(f"/api/v1/customers/{card['id']}", json={"segment": "family"})
    assert patched.get_json()["segment"] == "family"
    bad = api.post("/api/v1/customers", json={"name": "", "segment": "pirate"})
    assert bad.status_code == 400 and {d["field"] for d in bad.get_json()["details"]} >= {"segment"}
    assert api.as_("travel_advisor").post("/api/v1/customers", json={"name": "X"}).status_code == 403
    found = api.get("/api/v1/customers?q=张").get_json()["items"]
    assert [c["name"] for c in found] == ["张伟"]
    contact = api.as_("customer_service").post(
        f"/api/v1/customers/{card['id']}/contacts", json={"channel": "wechat", "summary": "Asked about visas"}
    )
    assert contact.status_code == 201
    assert (
        api.get(f"/api/v1/customers/{card['id']}/contacts").get_json()["items"][0]["by"] == "customer_service"
    )


def test_processes_read(api):
    items = api.as_("process_owner").get("/api/v1/processes").get_json()["items"]
    keys = {p["key"] for p in items}
    assert {"itinerary_planning", "trip", "complaint_handling"} <= keys
    detail = api.get("/api/v1/processes/itinerary_planning").get_json()
    assert "travel_advisor" in detail["lanes"]
    assert {t["task_id"] for t in detail["user_tasks"]} >= {"collect_needs", "sign_contract"}
    xml = api.get("/api/v1/processes/itinerary_planning/bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b"BPMNDiagram" in xml.data


def test_openapi_is_generated(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "post" in doc["paths"]["/api/v1/tasks/{task_id}/complete"]
    assert doc["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_attachments_are_checked_and_listed(api):
    case = _start_planning(api)
    url = f"/api/v1/cases/{case['id']}/documents"
    fake = api.post(
        url,
        data={"file": (__import__("io").BytesIO(b"MZ\x90\x00 not a pdf"), "passport.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and fake.get_json()["details"][0]["field"] == "file"
    big = api.post(
        url,
        data={"file": (__import__("io").BytesIO(b"%PDF-" + b"0" * (10 * 1024 * 1024)), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413
    ok = api.post(
        url,
        data={"file": (__import__("io").BytesIO(PNG), "passport.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201, ok.get_json()
    document = ok.get_json()
    assert document["kind"] == "attachment" and document["content_type"] == "image/png"
    task_id = case["active_tasks"][0]["id"]
    data = {"new_customer": {"name": "Passport Holder"}, **NEEDS, "passport_copy": 9999}
    assert api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}).status_code == 400
    data["passport_copy"] = document["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}).status_code == 200
    listed = api.get(url).get_json()["items"]
    assert [d["name"] for d in listed] == ["passport.png"]
    assert api.get(listed[0]["url"]).data == PNG
