"""The web pages through Flask's test client: sign-in, inbox, task forms, cases, customers, languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from webapp.form_data import coerce, normalise, raw_from_data
from webapp.form_render import FormContext, build_form
from workflows.models import Customer, WorkItem

from .conftest import NEEDS, PASSWORD, open_task

EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def page(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(url, headers=EN if headers is None else headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'id="err-{re.escape(name)}">([^<]*)<', html)
    return found.group(1) if found else None


def input_value(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return found.group(1) if found else None


NEW_CUSTOMER = {
    "new_customer.name": "李娜 Li Na",
    "new_customer.phone": "13900001111",
    "new_customer.segment": "family",
}
NEEDS_FORM = {k: str(v) for k, v in NEEDS.items()}


def start_planning(client: FlaskClient) -> str:
    """Start itinerary planning as the signed-in account manager; returns the first task's URL."""
    response = client.post("/cases/start", data={"process": "itinerary_planning"}, headers=EN)
    assert response.status_code == 302
    assert re.fullmatch(r"/tasks/\d+", response.location), response.location
    return response.location


# --- signing in -------------------------------------------------------------------------------------


def test_login_page_speaks_chinese_by_default_and_english_when_asked(client: FlaskClient) -> None:
    chinese = page(client, "/login", ZH)
    assert '<html lang="zh-CN">' in chinese and "用户名" in chinese and "密码" in chinese
    assert page(client, "/login", {}).count("登录") >= 2  # no preference: Simplified Chinese
    english = page(client, "/login", EN)
    assert '<html lang="en">' in english and "User name" in english and "Sign in" in english
    assert 'name="csrf_token"' in english


def test_wrong_password_keeps_the_user_name_and_says_why(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "account_manager", "password": "nope"}, headers=ZH)
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "用户名或密码错误。" in html
    assert input_value(html, "username") == "account_manager"
    english = client.post("/login", data={"username": "x", "password": "y"}, headers=EN).get_data(
        as_text=True
    )
    assert "Wrong user name or password." in english


def test_pages_send_strangers_to_the_login_page_and_back(client: FlaskClient) -> None:
    response = client.get("/inbox?scope=group")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    response = client.post(
        "/login?next=/inbox?scope%3Dgroup", data={"username": "travel_advisor", "password": PASSWORD}
    )
    assert response.location == "/inbox?scope=group"
    assert client.get("/login").status_code == 302  # signed in already


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/\tx"])
def test_only_pages_of_this_site_are_a_next_stop(client: FlaskClient, target: str) -> None:
    response = client.post(
        "/login", query_string={"next": target}, data={"username": "account_manager", "password": PASSWORD}
    )
    assert response.location == "/inbox"
    assert client.post("/locale", data={"locale": "en", "next": target}).location == "/inbox"


def test_language_switch_and_sign_out(client: FlaskClient) -> None:
    login(client, "account_manager")
    assert "我的任务" in page(client, "/inbox", ZH)
    client.post("/locale", data={"locale": "en", "next": "/inbox"})
    html = page(client, "/inbox", ZH)  # the choice beats the browser's language
    assert "My tasks" in html and "Group tasks" in html and "Account manager" in html
    response = client.post("/logout")
    assert response.location == "/login"
    assert client.get("/inbox").status_code == 302


# --- the inbox and task forms -------------------------------------------------------------------


def test_a_started_case_puts_its_first_task_in_the_inbox(client: FlaskClient) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    html = page(client, task_url)
    assert "Collect travel needs" in html and 'name="new_customer.name"' in html
    assert 'type="date" id="f-start_date" name="start_date"' in html
    inbox = page(client, "/inbox?scope=group")
    assert "Collect travel needs" in inbox and "Itinerary planning" in inbox
    assert f'action="{task_url}/claim"' in inbox


def test_overdue_and_soon_due_tasks_stand_out(client: FlaskClient, clock: Any) -> None:
    login(client, "account_manager")
    start_planning(client)
    inbox = page(client, "/inbox?scope=group")
    assert "is-overdue" not in inbox
    clock.advance(days=30)
    login(client, "account_manager")  # a month later the session has timed out (8 h idle)
    inbox = page(client, "/inbox?scope=group")
    assert 'class="is-overdue"' in inbox and "Overdue" in inbox


def test_form_errors_are_shown_per_field_and_what_was_typed_is_kept(client: FlaskClient) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    typed = {**NEW_CUSTOMER, **NEEDS_FORM, "travellers": "three", "budget": "-5", "purpose": ""}
    response = client.post(task_url, data=typed, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The task was not completed" in html
    assert field_error(html, "travellers") == "Please enter a whole number."
    assert field_error(html, "budget") == "Must be more than 0."
    assert field_error(html, "purpose") == "This field is required."
    assert input_value(html, "travellers") == "three" and input_value(html, "budget") == "-5"
    assert input_value(html, "new_customer.name") == "李娜 Li Na"
    assert 'value="family" checked' in html

    typed = {**NEW_CUSTOMER, **NEEDS_FORM, "end_date": "2026-12-19"}
    html = client.post(task_url, data=typed, headers=ZH).get_data(as_text=True)
    assert field_error(html, "end_date") == "必须晚于出发日期。"
    assert input_value(html, "end_date") == "2026-12-19"


def test_completing_tasks_moves_the_case_from_lane_to_lane(client: FlaskClient, session: Any) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    response = client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM}, headers=EN)
    assert response.status_code == 302 and response.location == "/inbox"
    assert "Task completed" in page(client, "/inbox")
    client.post("/logout")

    login(client, "travel_advisor")
    inbox = page(client, "/inbox?scope=group")
    assert "Design itinerary" in inbox and "李娜 Li Na" in inbox and "Kyoto" in inbox
    assert "2026-12-20 – 2026-12-27" in inbox
    design = session.scalars(select(WorkItem).where(WorkItem.bpmn_id == "design_itinerary")).one()
    response = client.post(f"/tasks/{design.id}/claim", headers=EN)
    assert response.location == f"/tasks/{design.id}"
    mine = page(client, "/inbox?scope=mine")
    assert "Design itinerary" in mine and ">me<" in mine
    form = page(client, f"/tasks/{design.id}")
    assert "What we know so far" in form and "family holiday" in form and "36,000" in form
    rows = {
        "itinerary-0-day": "1",
        "itinerary-0-transport": "flight PVG-KIX",
        "itinerary-7-day": "2",
        "itinerary-7-attractions": "Fushimi Inari",
        "itinerary-9-day": "",
        "quoted_price": "34,000",
    }
    response = client.post(f"/tasks/{design.id}", data=rows, headers=EN)
    assert response.status_code == 302
    client.post("/logout")

    login(client, "project_manager")
    inbox = page(client, "/inbox?scope=group")
    assert "Review itinerary" in inbox and "李娜 Li Na" in inbox
    review = open_task(session, design.case_id, "review_itinerary")
    html = page(client, f"/tasks/{review.id}")
    assert "Fushimi Inari" in html and "34,000" in html  # the itinerary as a table in the context
    response = client.post(
        f"/tasks/{review.id}", data={"approved": "false", "review_comments": "Hotel too far"}
    )
    assert response.status_code == 302
    client.post("/logout")

    login(client, "travel_advisor")
    redesign = open_task(session, design.case_id, "design_itinerary")
    html = page(client, f"/tasks/{redesign.id}")
    assert 'class="callout"' in html and "Hotel too far" in html
    assert input_value(html, "itinerary-1-attractions") is None  # a textarea: the value is its content
    assert "Fushimi Inari</textarea>" in html


def test_a_file_chosen_in_the_form_is_attached_to_the_case(client: FlaskClient, session: Any) -> None:
    import io

    login(client, "account_manager")
    task_url = start_planning(client)
    upload = {
        **NEW_CUSTOMER,
        **NEEDS_FORM,
        "purpose": "",
        "passport_copy__file": (io.BytesIO(b"%PDF-1.4 passport"), "passport.pdf"),
    }
    html = client.post(task_url, data=upload, headers=EN, content_type="multipart/form-data").get_data(
        as_text=True
    )
    assert field_error(html, "purpose") == "This field is required."  # the form failed, the file stayed
    document_id = input_value(html, "passport_copy")
    assert document_id and document_id.isdigit() and "passport.pdf</a>" in html
    wrong = {**NEW_CUSTOMER, **NEEDS_FORM, "passport_copy__file": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")}
    html = client.post(task_url, data=wrong, headers=EN, content_type="multipart/form-data").get_data(
        as_text=True
    )
    assert field_error(html, "passport_copy").startswith("Please attach a PDF or an image")
    response = client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM, "passport_copy": document_id})
    assert response.status_code == 302
    item = session.get(WorkItem, int(task_url.rsplit("/", 1)[1]))
    assert "passport.pdf" in page(client, f"/cases/{item.case_id}")


def test_someone_elses_task_is_refused_with_a_friendly_page(client: FlaskClient) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    client.post("/logout")
    login(client, "travel_advisor")
    html = page(client, task_url)
    assert "you can read it but not complete it" in html and "Complete task" not in html
    response = client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM}, headers=ZH)
    assert response.status_code == 403
    assert "您无权执行此操作" in response.get_data(as_text=True)


def test_case_page_shows_data_history_and_open_tasks(client: FlaskClient, session: Any) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM})
    item = session.get(WorkItem, int(task_url.rsplit("/", 1)[1]))
    html = page(client, f"/cases/{item.case_id}")
    assert "Number of travellers" in html and "Budget (CNY)" in html and "36,000" in html
    assert "Case started" in html and "Task completed: Collect travel needs" in html
    assert "Design itinerary" in html and "waiting in the group" in html
    listing = page(client, "/cases?q=Kyoto")
    assert f'href="/cases/{item.case_id}"' in listing and "李娜 Li Na" in listing
    assert f'href="/cases/{item.case_id}"' not in page(client, "/cases?q=Lisbon")


# --- customers -------------------------------------------------------------------------------------


def test_customers_are_created_and_edited_with_errors_per_field(client: FlaskClient, session: Any) -> None:
    login(client, "account_manager")
    assert "New customer" in page(client, "/customers/new")
    response = client.post(
        "/customers/new", data={"name": "", "phone": "13800000000", "birthday": "2026-13-40"}, headers=EN
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "name") == "This field is required."
    assert field_error(html, "birthday") == "Please enter a valid date."
    assert input_value(html, "phone") == "13800000000"

    data = {
        "name": "张伟 Zhang Wei",
        "phone": "13800000000",
        "id_number": "110101199003074512",
        "segment": "business",
        "birthday": "1990-03-07",
    }
    response = client.post("/customers/new", data=data, headers=EN)
    assert response.status_code == 302
    customer = session.scalars(select(Customer).where(Customer.phone == "13800000000")).one()
    profile = page(client, response.location)
    assert "张伟 Zhang Wei" in profile and "110***********4512" in profile
    assert "110101199003074512" not in profile

    edit = page(client, f"/customers/{customer.id}/edit")
    assert "110101199003074512" not in edit and input_value(edit, "name") == "张伟 Zhang Wei"
    response = client.post(
        f"/customers/{customer.id}/edit", data={**data, "name": "", "id_number": ""}, headers=ZH
    )
    assert (
        response.status_code == 400
        and field_error(response.get_data(as_text=True), "name") == "此项为必填项。"
    )
    response = client.post(
        f"/customers/{customer.id}/edit", data={**data, "id_number": "", "segment": "family"}
    )
    assert response.status_code == 302
    session.expire_all()
    customer = session.get(Customer, customer.id)
    assert customer.segment == "family" and customer.id_number == "110101199003074512"  # blank kept it
    assert "张伟 Zhang Wei" in page(client, "/customers?q=张伟")


def test_contacts_are_logged_on_the_profile(client: FlaskClient, session: Any) -> None:
    login(client, "account_manager")
    client.post("/customers/new", data={"name": "王芳"})
    customer = session.scalars(select(Customer).where(Customer.name == "王芳")).one()
    response = client.post(
        f"/customers/{customer.id}/contacts", data={"channel": "wechat", "summary": ""}, headers=EN
    )
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    response = client.post(
        f"/customers/{customer.id}/contacts",
        data={"channel": "wechat", "summary": "Asked about Hokkaido in February"},
    )
    assert response.status_code == 302
    html = page(client, f"/customers/{customer.id}")
    assert "Asked about Hokkaido in February" in html and "WeChat" in html


def test_processes_are_listed_with_their_versions(client: FlaskClient) -> None:
    login(client, "process_owner")
    html = page(client, "/processes")
    assert "Itinerary planning" in html and "v1" in html
    detail = page(client, "/processes/itinerary_planning")
    assert "Collect travel needs" in detail and "Travel advisor" in detail


# --- the form machinery, without HTTP -------------------------------------------------------------------

DAYS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "days": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "day": {"type": "integer"},
                    "note": {"type": "string"},
                    "paid": {"type": "boolean"},
                },
            },
        },
        "when": {"type": "string", "format": "date-time"},
        "guest": {"type": "object", "properties": {"name": {"type": "string"}}},
        "ok": {"type": "boolean"},
        "kind": {"enum": ["a", "b"], "x-enum-titles": {"zh_Hans": ["甲", "乙"], "en": ["A", "B"]}},
    },
    "required": ["ok"],
}
DAYS_UI: dict[str, Any] = {"ok": {"ui:widget": "radio"}, "kind": {"ui:widget": "radio"}}


def test_posted_forms_become_typed_json_with_blank_rows_dropped() -> None:
    posted = MultiDict(
        [
            ("days-3-day", "2"),
            ("days-3-paid", "true"),
            ("days-5-day", ""),
            ("days-5-note", " "),
            ("days-8-note", "late"),
            ("when", "2026-12-01T08:30"),
            ("guest.name", ""),
            ("ok", "false"),
            ("kind", "b"),
        ]
    )
    raw = normalise(DAYS_SCHEMA, posted)
    assert raw["days-1-note"] == "late" and "days-2-note" not in raw
    assert coerce(DAYS_SCHEMA, DAYS_UI, raw, "Asia/Shanghai") == {
        "days": [{"day": 2, "paid": True}, {"note": "late", "paid": False}],
        "when": "2026-12-01T08:30:00+08:00",
        "ok": False,
        "kind": "b",
    }
    assert coerce(DAYS_SCHEMA, DAYS_UI, {}, "Asia/Shanghai") == {"days": []}


def test_case_data_is_shown_back_in_the_inputs_with_errors_beside_fields() -> None:
    data = {"days": [{"day": 1, "paid": True}], "when": "2026-12-01T00:30:00+00:00", "ok": True, "kind": "a"}
    raw = raw_from_data(DAYS_SCHEMA, data, "Asia/Shanghai")
    assert raw == {
        "days-0-day": "1",
        "days-0-paid": "true",
        "when": "2026-12-01T08:30",
        "ok": "true",
        "kind": "a",
    }
    errors = [
        {"field": "days.0.day", "code": "minimum", "params": {"limit": 2}},
        {"field": "x", "code": "enum"},
    ]
    fields, unplaced = build_form(
        DAYS_SCHEMA,
        DAYS_UI,
        raw,
        errors,
        FormContext("zh_Hans", "Asia/Shanghai"),
        lambda detail, labels: detail["code"],
    )
    by_key = {f.key: f for f in fields}
    assert by_key["days"].rows[0][0].error == "minimum" and unplaced == ["enum"]
    assert by_key["days"].blank_row[0].name == "days-__index__-day"
    assert [o.label for o in by_key["kind"].options] == ["甲", "乙"]
    assert by_key["ok"].widget == "yesno" and by_key["when"].widget == "datetime"
    assert by_key["guest"].children[0].name == "guest.name"


@pytest.mark.parametrize(
    "code, params, english",
    [
        ("required", {}, "This field is required."),
        ("type", {"type": "number"}, "Please enter a number."),
        ("minimum", {"limit": 1}, "Must be at least 1."),
        ("maxLength", {"limit": 3}, "Enter at most 3 characters."),
        ("minItems", {"limit": 1}, "Add at least 1 row."),
        ("format", {"format": "email"}, "Please enter a valid email address."),
        ("no_such_code", {}, "This value is not valid. (odd)"),
    ],
)
def test_field_errors_are_worded_from_their_code(
    app: Any, code: str, params: dict[str, Any], english: str
) -> None:
    from webapp.pages.field_errors import error_text

    with app.test_request_context(headers=EN):
        assert error_text({"field": "f", "code": code, "params": params, "message": "odd"}) == english


def test_a_checklist_refusal_names_the_field_in_the_users_language(app: Any) -> None:
    """Approving a change without the suppliers contacted: 400 on supplier_contacted, worded per language."""
    import json

    from webapp.pages.field_errors import error_text
    from workflows.cases.forms import validate_submission
    from workflows.errors import Invalid

    from .conftest import ROOT

    schema = json.loads((ROOT / "bpmn" / "forms" / "review_change.schema.json").read_text())
    with pytest.raises(Invalid) as refused:
        answers = {"approved": True, "impact_assessment": "ok", "supplier_contacted": False}
        validate_submission(schema, answers)
    [detail] = refused.value.details
    assert detail["field"] == "supplier_contacted"
    with app.test_request_context(headers=ZH):
        assert error_text(detail) == "同意变更前须先联系供应商。"
    assert detail["message"] == "Contact the suppliers before approving a change."  # the API's English


def test_my_trips_on_the_cases_page(client: FlaskClient) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM}, headers=EN)
    start_planning(client)  # a second case whose needs nobody collected yet
    html = page(client, "/cases", EN)
    assert 'id="my-trips"' in html and "trip_account_manager=me" in html
    mine = page(client, "/cases?trip_account_manager=me", EN)
    assert mine.count("data-case=") == 1 and "Account manager: me" in mine
    assert page(client, "/cases", ZH).count("我的行程") == 1


def test_badges_stop_counting_at_a_thousand():
    from webapp.pages import badge

    assert (badge(7), badge(999), badge(1000)) == ("7", "999", "999+")
