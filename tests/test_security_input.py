"""Hostile input, one kind at a time: malformed JSON, wrong types, huge texts, invalid dates, unpaired
surrogates, huge numbers, deep nesting. Each is refused with 400 (413 for a body over the limit)
and a message that says what is wrong, never a 500, and nothing changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import NEEDS, PASSWORD
from .security_world import World, deploy_test_model, fingerprint

MB = 1024 * 1024


@pytest.fixture
def world(app, session, rt) -> World:
    deploy_test_model(session, rt)
    return World(app, session, rt)


def raw(api: Any, method: str, path: str, body: str | bytes) -> Any:
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    return api.client.open(
        path, method=method, data=data, content_type="application/json", headers=api._headers()
    )


def refused(
    api: Any,
    session: Any,
    method: str,
    path: str,
    body: str | bytes,
    *,
    status: int = 400,
    field: str | None = None,
) -> dict[str, Any]:
    """Send ``body``; it must be refused with ``status``, a message, and no change to the database."""
    before = fingerprint(session)
    response = raw(api, method, path, body)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:500])
    answer = response.get_json()
    assert answer["error"] and answer["message"], answer
    if field is not None:
        assert field in [d.get("field") for d in answer["details"]], answer
    assert fingerprint(session) == before, f"{method} {path} changed the database"
    return answer


# --------------------------------------------------------------------------- the envelope


MALFORMED = {
    "truncated": '{"process": "trip"',
    "trailing comma": '{"process": "trip",}',
    "single quotes": "{'process': 'trip'}",
    "not UTF-8": b'{"process": "\xff\xfe"}',
    "NaN": '{"process": "trip", "data": {"x": NaN}}',
    "Infinity": '{"process": "trip", "data": {"x": Infinity}}',
    "nested 100 000 deep": '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "nested 100 deep": '{"process": "trip", "data": {"x": ' + "[" * 100 + "]" * 100 + "}}",
    "two documents": '{"process": "trip"}{"process": "trip"}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_refused(api, session, body):
    api.as_("account_manager")
    answer = refused(api, session, "POST", "/api/v1/cases", body)
    assert answer["error"] == "invalid"


WRONG_SHAPES = {
    "array": "[]",
    "string": '"trip"',
    "number": "42",
    "null": "null",
    "process is a number": '{"process": 5}',
    "process is an object": '{"process": {"key": "trip"}}',
    "data is a list": '{"process": "itinerary_planning", "data": [1, 2]}',
    "data is a string": '{"process": "itinerary_planning", "data": "x"}',
    "process too long": '{"process": "' + "p" * 200 + '"}',
}


@pytest.mark.parametrize("body", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_wrong_types_are_refused(api, session, body):
    api.as_("account_manager")
    refused(api, session, "POST", "/api/v1/cases", body)


def test_wrong_types_name_the_field(api, session, world):
    api.as_("account_manager")
    _, task_id = world.planning_case()
    refused(
        api,
        session,
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        '{"data": {"travellers": "three", "budget": true}}',
        field="travellers",
    )
    refused(api, session, "POST", "/api/v1/customers", '{"name": ["Lin"]}', field="name")
    refused(api, session, "POST", "/api/v1/tasks/bulk", '{"action": "claim", "ids": ["1"]}', field="ids.0")


# --------------------------------------------------------------------------- size


def test_a_one_megabyte_string_is_refused_everywhere(api, session, world):
    big = "x" * MB
    api.as_("service_supervisor")
    case_id, task_id = world.planning_case()
    customer_id = world.customer()
    cases = {
        ("POST", "/api/v1/customers"): {"name": big},
        ("PATCH", f"/api/v1/customers/{customer_id}"): {"address": big},
        ("POST", f"/api/v1/customers/{customer_id}/contacts"): {"channel": "phone", "summary": big},
        ("POST", "/api/v1/cases"): {"process": "itinerary_planning", "data": {"notes": big}},
        ("POST", f"/api/v1/cases/{case_id}/comments"): {"text": big},
        ("PATCH", f"/api/v1/cases/{case_id}/data"): {"set": {"notes": big}, "reason": "big"},
        ("POST", f"/api/v1/cases/{case_id}/messages/itinerary_changed"): {"data": {"notes": big}},
        ("POST", f"/api/v1/tasks/{task_id}/comments"): {"text": big},
        ("POST", "/api/v1/token"): {"username": big, "password": big},
        ("POST", "/api/v1/me/filters"): {"name": "big", "query": {"q": big}},
    }
    import json

    for (method, path), body in cases.items():
        refused(api, session, method, path, json.dumps(body))
    api.as_("account_manager")
    refused(
        api,
        session,
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        json.dumps({"data": {**NEEDS, "preferences": big}}),
    )


def test_a_body_over_the_limit_is_413(app, api, session):
    api.as_("account_manager")
    over = app.config["MAX_CONTENT_LENGTH"]
    answer = refused(api, session, "POST", "/api/v1/cases", '{"process": "' + "x" * over + '"}', status=413)
    assert answer["error"] == "too_large"


@pytest.mark.parametrize(
    "process, data, field",
    [
        ("itinerary_planning", {"customer_id": 2**40}, "customer_id"),
        ("complaint_handling", {"trip_case_id": 2**40}, "trip_case_id"),
        ("change_request", {"trip_case_id": 2**40}, "trip_case_id"),
    ],
)
def test_ids_no_id_column_can_hold_are_refused(api, session, process, data, field):
    """Within 64 bits, but beyond PostgreSQL's integer: a lookup would fail in the database."""
    import json

    api.as_("service_supervisor")
    refused(
        api, session, "POST", "/api/v1/cases", json.dumps({"process": process, "data": data}), field=field
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"customer_id": 2**40}, "customer_id"),
        ({"travellers": 2**31}, "travellers"),
        ({"budget": 1e15}, "budget"),
    ],
)
def test_form_values_beyond_what_a_column_holds_are_refused(api, session, world, values, field):
    import json

    _, task_id = world.planning_case()
    api.as_("account_manager")
    body = json.dumps({"data": {**NEEDS, "new_customer": {"name": "Big"}, **values}})
    refused(api, session, "POST", f"/api/v1/tasks/{task_id}/complete", body, field=field)


def test_huge_numbers_are_refused(api, session, world):
    api.as_("account_manager")
    _, task_id = world.planning_case()
    refused(
        api,
        session,
        "POST",
        "/api/v1/cases",
        '{"process": "itinerary_planning", "data": {"customer_id": ' + "9" * 40 + "}}",
    )
    refused(
        api,
        session,
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        '{"data": {"customer_id": ' + "9" * 30 + "}}",
        field="data.customer_id",
    )
    refused(
        api,
        session,
        "POST",
        "/api/v1/tasks/bulk",
        '{"action": "claim", "ids": [' + "9" * 25 + "]}",
        field="ids.0",
    )
    assert api.get("/api/v1/cases/" + "9" * 30).status_code == 404
    assert api.get("/api/v1/customers/99999999999").status_code == 404


# --------------------------------------------------------------------------- text


SURROGATES = {
    "in a field": ("POST", "/api/v1/customers", '{"name": "Lin \\ud800 Wei"}'),
    "low surrogate alone": ("POST", "/api/v1/customers", '{"name": "\\udfff"}'),
    "in a key": ("POST", "/api/v1/cases", '{"process": "itinerary_planning", "data": {"\\ud800": 1}}'),
    "in free-form data": (
        "POST",
        "/api/v1/cases",
        '{"process": "itinerary_planning", "data": {"x": ["\\ud83d"]}}',
    ),
    "in a comment": ("POST", "/api/v1/customers", '{"name": "ok", "address": "\\ud800\\ud800"}'),
    "in a login": ("POST", "/api/v1/token", '{"username": "\\ud800", "password": "x"}'),
}


@pytest.mark.parametrize("case", SURROGATES.values(), ids=SURROGATES.keys())
def test_unpaired_surrogates_are_refused_with_a_clear_message(api, session, case):
    method, path, body = case
    api.as_("account_manager")
    answer = refused(api, session, method, path, body)
    assert "surrogate" in " ".join(d["message"] for d in answer["details"])


def test_a_paired_surrogate_is_fine(api):
    response = raw(api.as_("account_manager"), "POST", "/api/v1/customers", '{"name": "Lin \\ud83d\\ude00"}')
    assert response.status_code == 201 and response.get_json()["name"] == "Lin \U0001f600"


def test_markup_is_stored_as_text_and_shown_escaped(api, app):
    name = '<script>alert("x")</script>\u202e<img src=x onerror=alert(1)>'
    created = api.as_("account_manager").post("/api/v1/customers", json={"name": name})
    assert created.status_code == 201 and created.get_json()["name"] == name
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    for path in ("/customers", f"/customers/{created.get_json()['id']}"):
        page = client.get(path).get_data(as_text=True)
        assert '<script>alert("x")</script>' not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_nul_characters_are_refused_everywhere(api, app, session, world):
    """PostgreSQL text refuses NUL: it is turned away at the door, in JSON, queries and forms."""
    case_id, _ = world.planning_case()
    api.as_("account_manager")
    answer = refused(api, session, "POST", "/api/v1/customers", '{"name": "Lin\\u0000Wei"}', field="name")
    assert "NUL" in answer["details"][0]["message"]
    refused(api, session, "POST", f"/api/v1/cases/{case_id}/comments", '{"text": "a\\u0000"}', field="text")
    refused(
        api, session, "POST", "/api/v1/cases", '{"process": "itinerary_planning", "data": {"k\\u0000": 1}}'
    )
    for path in ("/api/v1/cases?q=%00", "/api/v1/customers?q=a%00b", "/api/v1/tasks?lane=%00"):
        assert api.get(path).status_code == 400, path
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    before = fingerprint(session)
    for path, form in (
        (f"/cases/{case_id}/comments", {"text": "a\x00b"}),
        ("/customers/new", {"name": "\x00"}),
    ):
        response = client.post(path, data=form)
        assert response.status_code == 400 and "NUL" in response.get_data(as_text=True), path
    assert client.get("/cases?q=%00").status_code == 400
    assert fingerprint(session) == before


# --------------------------------------------------------------------------- dates


INVALID_DATES = {
    "birthday 30 February": (
        "POST",
        "/api/v1/customers",
        '{"name": "a", "birthday": "2026-02-30"}',
        "birthday",
    ),
    "birthday in words": ("POST", "/api/v1/customers", '{"name": "a", "birthday": "next week"}', "birthday"),
    "birthday with time": (
        "POST",
        "/api/v1/customers",
        '{"name": "a", "birthday": "2026-01-01T00:00"}',
        "birthday",
    ),
    "contact at without offset": (
        "POST",
        "/api/v1/customers/{customer}/contacts",
        '{"channel": "phone", "summary": "s", "at": "2026-11-23T08:00:00"}',
        "at",
    ),
    "contact at garbage": (
        "POST",
        "/api/v1/customers/{customer}/contacts",
        '{"channel": "phone", "summary": "s", "at": "yesterday"}',
        "at",
    ),
    "contact at year 0": (
        "POST",
        "/api/v1/customers/{customer}/contacts",
        '{"channel": "phone", "summary": "s", "at": "0000-01-01T00:00:00Z"}',
        "at",
    ),
    "contact at before UTC can hold it": (
        "POST",
        "/api/v1/customers/{customer}/contacts",
        '{"channel": "phone", "summary": "s", "at": "0001-01-01T00:00:00+14:00"}',
        "at",
    ),
    "out of office from garbage": (
        "PUT",
        "/api/v1/me/out-of-office",
        '{"from": "monday", "to": "2026-12-01T00:00:00+08:00", "stand_in": "admin"}',
        "from",
    ),
    "task start date 31 April": (
        "POST",
        "/api/v1/tasks/{task}/complete",
        '{"data": {"start_date": "2026-04-31"}}',
        "start_date",
    ),
}


@pytest.mark.parametrize("case", INVALID_DATES.values(), ids=INVALID_DATES.keys())
def test_invalid_dates_are_refused(api, session, world, case):
    method, path, body, field = case
    _, task_id = world.planning_case()
    path = path.format(customer=world.customer(), task=task_id)
    api.as_("account_manager")
    answer = refused(api, session, method, path, body, field=field if "complete" not in path else None)
    if "complete" in path:
        assert any(field in d["field"] for d in answer["details"]), answer


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01&to=2026-12-31",
        "from=0001-01-01&to=0001-01-02",
        "from=9999-12-30&to=9999-12-31",
        "quarter=0001Q1",
        "quarter=2026Q5",
        "from=2026-01-01",
        "from=2026-03-01&to=2026-01-01",
        "from=%00&to=%ff",
    ],
)
def test_invalid_periods_are_refused(api, query):
    for path in ("/api/v1/metrics", "/api/v1/metrics/export.csv", "/api/v1/processes/trip/heatmap"):
        response = api.as_("data_analyst").get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.get_data(as_text=True)[:300])
        assert response.get_json()["details"], response.get_json()


# --------------------------------------------------------------------------- queries


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=501",
        "limit=" + "9" * 30,
        "limit=-1",
        "cursor=garbage",
        "cursor=" + "x" * 5000,
        "cursor=%00%ff",
        "status=nope",
        "customer_id=abc",
        "customer_id=" + "9" * 20,
        "tier=Z",
        "overdue=maybe",
        "q=" + "x" * 5000,
    ],
)
def test_bad_query_parameters_are_400(api, query):
    api.as_("service_supervisor")
    for path in ("/api/v1/cases", "/api/v1/tasks", "/api/v1/customers"):
        response = api.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        if response.status_code == 400:
            assert response.get_json()["details"], (path, query)
    assert api.get(f"/api/v1/cases?{query}").status_code == 400, query


# --------------------------------------------------------------------------- control characters


CONTROL_PATHS = [
    "/api/v1/processes/%00",
    "/api/v1/processes/a%01b",
    "/api/v1/processes/%00/bpmn",
    "/api/v1/processes/trip/files/a%00.bpmn",
    "/api/v1/processes/%1b%5b2J/validate",
]


@pytest.mark.parametrize("path", CONTROL_PATHS)
def test_control_characters_in_api_paths_are_400(api, session, path):
    api.as_("process_owner")
    method = "POST" if path.endswith("/validate") else "GET"
    answer = refused(api, session, method, path, b"", field="path")
    assert "NUL" in answer["details"][0]["message"] or "control" in answer["details"][0]["message"]


def test_control_characters_in_page_paths_are_400(app, session):
    client = app.test_client()
    client.post("/login", data={"username": "process_owner", "password": PASSWORD})
    for path in ("/models/%00", "/models/a%07", "/processes/%00", "/customers/%00"):
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code)


def _upload(api: Any, path: str, name: str, content: bytes) -> Any:
    import io

    return api.client.post(
        path,
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=api._headers(),
    )


@pytest.mark.parametrize("name", ["a\x00.png", "a\x1b.png", "a\nb.png"])
def test_control_characters_in_attachment_names_are_400(api, session, world, name):
    from .security_world import PNG

    case_id, _ = world.planning_case()
    api.as_("service_supervisor")
    before = fingerprint(session)
    response = _upload(api, f"/api/v1/cases/{case_id}/documents", name, PNG)
    assert response.status_code == 400, (name, response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["details"][0]["field"] == "file"
    assert fingerprint(session) == before


@pytest.mark.parametrize("name", ["a\x00b.bpmn", "a\x01b.bpmn", "a\tb.dmn"])
def test_control_characters_in_deployed_file_names_are_400(api, session, name):
    from .test_security_xml import bpmn

    api.as_("process_owner")
    before = fingerprint(session)
    response = _upload(api, "/api/v1/processes", name, bpmn().encode())
    assert response.status_code == 400, (name, response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["details"][0]["field"] == "file"
    assert fingerprint(session) == before


def test_control_characters_in_form_fields_are_400_and_text_breaks_are_not(app, session, world):
    case_id, _ = world.planning_case()
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    before = fingerprint(session)
    for text in ("a\x01b", "a\x1bb", "a\x7fb", "a\x0cb"):
        response = client.post(f"/cases/{case_id}/comments", data={"text": text})
        assert response.status_code == 400 and "control character" in response.get_data(as_text=True), text
    assert client.post("/customers/new", data={"name\x02": "Lin"}).status_code == 400
    assert fingerprint(session) == before
    response = client.post(f"/cases/{case_id}/comments", data={"text": "line one\r\n\tline two"})
    assert response.status_code in (200, 302, 303), response.status_code


# --------------------------------------------------------------------------- cursors


def _sort_cursor(*parts: Any) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


OUT_OF_RANGE_CURSORS = {
    "customers past integer": "/api/v1/customers?cursor=99999999999",
    "customers past bigint": "/api/v1/customers?cursor=99999999999999999999",
    "customers superscript digit": "/api/v1/customers?cursor=%C2%B2",
    "cases past integer": "/api/v1/cases?cursor=99999999999",
    "cases superscript digit": "/api/v1/cases?cursor=%C2%B2",
    "history past integer": "/api/v1/cases/{case}/history?cursor=999999999999",
    "tasks id past integer": "/api/v1/tasks?scope=group&cursor="
    + _sort_cursor(1, "2026-01-01T00:00:00+00:00", 99999999999),
    "tasks priority past integer": "/api/v1/tasks?scope=mine&cursor="
    + _sort_cursor(99999999999, "2026-01-01T00:00:00+00:00", 1),
    "tasks priority infinite": "/api/v1/tasks?scope=mine&cursor="
    + _sort_cursor(1e400, "2026-01-01T00:00:00+00:00", 1),
    "tasks naive due": "/api/v1/tasks?scope=mine&cursor=" + _sort_cursor(1, "2026-01-01T00:00:00", 1),
    "tasks due before UTC": "/api/v1/tasks?scope=mine&cursor="
    + _sort_cursor(1, "0001-01-01T00:00:00+14:00", 1),
    "tasks not a list": "/api/v1/tasks?scope=mine&cursor=" + _sort_cursor(1, 2)[:-2],
}


@pytest.mark.parametrize("path", OUT_OF_RANGE_CURSORS.values(), ids=OUT_OF_RANGE_CURSORS.keys())
def test_cursors_out_of_range_are_400(api, world, path):
    case_id, _ = world.planning_case()
    response = api.as_("service_supervisor").get(path.format(case=case_id))
    assert response.status_code == 400, (path, response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["details"][0]["field"] == "cursor"


def test_pages_answer_a_cursor_out_of_range_without_a_500(app):
    """The customer list starts again at its first page; the team inbox refuses the cursor (400)."""
    client = app.test_client()
    client.post("/login", data={"username": "service_supervisor", "password": PASSWORD})
    assert client.get("/customers?cursor=99999999999").status_code == 200
    for path in (
        "/inbox?scope=team&cursor=" + _sort_cursor(99999999999, "2026-01-01T00:00:00+00:00", 1),
        "/inbox?scope=team&cursor=" + _sort_cursor(1, "2026-01-01T00:00:00", 1),
    ):
        assert client.get(path).status_code == 400, path


# --------------------------------------------------------------------------- spreadsheet exports


FORMULAS = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1+2", "\r=1+2"]


def test_spreadsheet_exports_guard_every_formula_start(api, session, clock):
    import csv
    import io

    from openpyxl import load_workbook

    from workflows.models import Case

    from .conftest import insert_trip_case

    for text in FORMULAS:
        session.get(Case, insert_trip_case(session, clock)).destination = text
    session.get(Case, insert_trip_case(session, clock)).customer_name = "Lin\x01Wei\x1b"
    session.commit()
    api.as_("service_supervisor")
    response = api.get("/api/v1/cases/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert sorted(r["destination"] for r in rows if r["destination"]) == sorted("'" + t for t in FORMULAS)
    response = api.get("/api/v1/cases/export.xlsx")
    assert response.status_code == 200  # control characters XLSX cannot hold are replaced, not a 500
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(r["destination"] for r in rows if r["destination"]) == sorted("'" + t for t in FORMULAS)
    assert "Lin\ufffdWei\ufffd" in [r["customer_name"] for r in rows]


def test_metrics_export_uses_the_same_guard():
    from webapp.api.metrics import _cell

    assert [_cell(t) for t in FORMULAS] == ["'" + t for t in FORMULAS]


# --------------------------------------------------------------------------- contact records


def test_a_contact_record_must_name_an_existing_case(api, session, world):
    customer_id = world.customer()
    case_id, _ = world.planning_case()
    api.as_("account_manager")
    path = f"/api/v1/customers/{customer_id}/contacts"
    body = '{"channel": "phone", "summary": "called", "case_id": 999999}'
    answer = refused(api, session, "POST", path, body, field="case_id")
    assert "999999" in answer["details"][0]["message"]
    ok = api.post(path, json={"channel": "phone", "summary": "called", "case_id": case_id})
    assert ok.status_code == 201, ok.get_json()
