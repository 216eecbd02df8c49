"""The visual form builder in Chromium against the real server: build, deploy, complete.

A process owner draws nothing but a form: in the Forms tab of a new process she adds fields in the
builder (a required choice, two dates with "return after departure", a long text required when the
choice is "business", an amount), drags a row to a new place, hangs the form on the process's user
task and saves. The deployed form is the same JSON Schema / UI schema pair a developer would write;
a case of the new process then refuses a return before the departure and a business visa without
notes, and takes the form filled in properly.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from .test_browser import CHROMIUM_ARGS, browser, server, shot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def call(base: str, user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    token_request = urllib.request.Request(
        f"{base}/api/v1/token",
        data=json.dumps({"username": user, "password": f"{user}-demo"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(token_request, timeout=10) as response:
        token = json.load(response)["token"]
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def row(page: Any, index: int) -> Any:
    return page.locator(f'#form-builder li.fb-row[data-index="{index}"]')


def add_field(page: Any, field_id: str, kind: str, zh: str, en: str) -> Any:
    count = page.locator("#form-builder li.fb-row").count()
    page.click("[data-fb-add]")
    item = row(page, count)
    item.locator('[data-fb="id"]').fill(field_id)
    item.locator('[data-fb="id"]').press("Tab")  # change: the other rows learn the new id
    item = page.locator(f'#form-builder li.fb-row[data-field="{field_id}"]')
    item.locator('[data-fb="type"]').select_option(kind)
    item = page.locator(f'#form-builder li.fb-row[data-field="{field_id}"]')
    item.locator('[data-fb="zh"]').fill(zh)
    item.locator('[data-fb="en"]').fill(en)
    return item


def field_row(page: Any, field_id: str) -> Any:
    return page.locator(f'#form-builder li.fb-row[data-field="{field_id}"]')


def schema_text(page: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        json.loads(page.input_value("#form-schema")),
        json.loads(page.input_value("#form-ui")),
    )


def test_build_a_form_deploy_it_and_complete_a_task_with_it(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1500, "height": 1800}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(  # the refused task form answers 400 on purpose; any other console error is a fault
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "status of 400" not in message.text
            else None
        ),
    )
    sign_in(page, server, "process_owner")
    page.goto(f"{server}/models/new?key=visa_help&name=Visa%20help")
    page.wait_for_selector("#workbench.ready", timeout=20_000)

    page.click('[data-tab="forms"]')
    page.fill("#form-list .new-form input", "visa_request")
    page.click("#form-list .new-form button")
    page.wait_for_selector('#form-list [data-file="visa_request.schema.json"]')
    page.fill('[data-fb="fb-form-en"]', "Visa request")
    page.fill('[data-fb="fb-form-zh"]', "签证申请")

    visa = add_field(page, "visa_type", "choice", "签证类型", "Visa type")
    visa.locator('[data-fb="required"]').check()
    for value, zh, en in (("tourist", "旅游签证", "Tourist"), ("business", "商务签证", "Business")):
        field_row(page, "visa_type").locator("[data-fb-add-choice]").click()
        choice = field_row(page, "visa_type").locator(".fb-choice").last
        choice.locator('[data-fb="choice-value"]').fill(value)
        choice.locator('[data-fb="choice-zh"]').fill(zh)
        choice.locator('[data-fb="choice-en"]').fill(en)
    add_field(page, "depart_on", "date", "出发日期", "Departure")
    field_row(page, "depart_on").locator('[data-fb="required"]').check()
    add_field(page, "return_on", "date", "返回日期", "Return")
    field_row(page, "return_on").locator('[data-fb="dateAfter"]').select_option("depart_on")
    add_field(page, "notes", "textarea", "备注", "Notes for the consulate")
    field_row(page, "notes").locator('[data-fb="whenField"]').select_option("visa_type")
    field_row(page, "notes").locator('[data-fb="whenValue"]').select_option("business")
    fee = add_field(page, "fee", "money", "签证费（元）", "Visa fee (CNY)")
    fee.locator('[data-fb="min"]').fill("0")
    fee.locator('[data-fb="helpEn"]').fill("What the consulate charges.")

    # an id twice is pointed out, and the rules keep pointing at the right field
    assert not page.locator("[data-fb-bad-id]").count()
    field_row(page, "notes").locator('[data-fb="id"]').fill("depart_on")
    field_row(page, "notes").locator('[data-fb="id"]').press("Tab")
    assert page.locator("[data-fb-bad-id]").count() == 2
    page.locator('#form-builder li.fb-row[data-index="3"] [data-fb="id"]').fill("notes")
    page.locator('#form-builder li.fb-row[data-index="3"] [data-fb="id"]').press("Tab")
    assert not page.locator("[data-fb-bad-id]").count()

    # the amount goes first: dragged by its handle onto the first row (HTML5 drag and drop)
    page.locator("#form-builder").evaluate("node => node.closest('.form-editor').scrollTo(0, 0)")
    handle = field_row(page, "fee").locator(".fb-handle").bounding_box()
    target = row(page, 0).bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 30, target["y"] + 20, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('#form-builder li.fb-row[data-index=\"0\"]').dataset.field === 'fee'"
    )
    order = page.eval_on_selector_all("#form-builder li.fb-row", "rows => rows.map(r => r.dataset.field)")
    assert order == ["fee", "visa_type", "depart_on", "return_on", "notes"]

    # the preview is the task page's renderer, live
    page.wait_for_selector("#form-preview >> text=Notes for the consulate", timeout=10_000)
    assert page.locator("#form-preview >> text=Visa type").count()
    shot(page, "form-builder")

    # the JSON view holds the same form, and an edit there shows in the builder
    page.click('[data-form-mode="json"]')
    schema, ui = schema_text(page)
    assert schema["required"] == ["visa_type", "depart_on"]
    assert schema["properties"]["visa_type"]["enum"] == ["tourist", "business"]
    assert schema["properties"]["visa_type"]["x-enum-titles"]["zh_Hans"] == ["旅游签证", "商务签证"]
    assert schema["properties"]["depart_on"] == {
        "type": "string",
        "format": "date",
        "title": "Departure",
        "x-title": {"zh_Hans": "出发日期"},
    }
    assert schema["properties"]["fee"]["minimum"] == 0
    assert schema["x-rules"] == [{"rule": "date_after", "field": "return_on", "other": "depart_on"}]
    assert schema["allOf"] == [
        {
            "if": {"properties": {"visa_type": {"const": "business"}}, "required": ["visa_type"]},
            "then": {"required": ["notes"]},
        }
    ]
    assert ui["ui:order"] == ["fee", "visa_type", "depart_on", "return_on", "notes", "*"]
    assert ui["notes"] == {"ui:widget": "textarea"}
    assert ui["fee"] == {"ui:help": "What the consulate charges."}
    schema["properties"]["notes"]["title"] = "Notes for the embassy"
    page.fill("#form-schema", json.dumps(schema, ensure_ascii=False, indent=2))
    page.click('[data-form-mode="builder"]')
    assert field_row(page, "notes").locator('[data-fb="en"]').input_value() == "Notes for the embassy"
    assert field_row(page, "return_on").locator('[data-fb="dateAfter"]').input_value() == "depart_on"

    # the form goes on the process's user task, and Save deploys model and form together
    page.click('[data-tab="diagram"]')
    page.click('g.djs-shape[data-element-id="first_task"]')
    form_select = page.locator("#properties .pp-field", has_text="Task form").locator("select")
    form_select.select_option("visa_request.schema.json")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#properties .pp-field select')]"
        ".some(s => s.value === 'visa_request.uischema.json')"
    )
    page.click('[data-action="save"]')
    page.wait_for_function(
        "() => document.querySelector('[data-status]').classList.contains('ok')", timeout=30_000
    )
    assert not page.locator("#problems .problem.error").count()

    status, case = call(
        server, "process_owner", "POST", "/api/v1/cases", {"process": "visa_help", "data": {}}
    )
    assert status == 201, case
    [task] = case["active_tasks"]
    complete = f"/api/v1/tasks/{task['id']}/complete"

    status, body = call(
        server,
        "process_owner",
        "POST",
        complete,
        {"data": {"visa_type": "tourist", "depart_on": "2027-03-10", "return_on": "2027-03-01"}},
    )
    assert status == 400
    assert [(d["field"], d["code"]) for d in body["details"]] == [("return_on", "date_after")]

    status, body = call(
        server,
        "process_owner",
        "POST",
        complete,
        {"data": {"depart_on": "2027-03-10", "visa_type": "business"}},
    )
    assert status == 400
    assert {d["field"] for d in body["details"]} == {"notes"}

    status, body = call(server, "process_owner", "POST", complete, {"data": {"depart_on": "2027-03-10"}})
    assert status == 400
    assert {d["field"] for d in body["details"]} == {"visa_type"}

    # the task page shows the built form, and refuses a return before the departure there too
    page.goto(f"{server}/tasks/{task['id']}")
    assert page.locator("label", has_text="Visa type").count()
    assert page.locator("text=What the consulate charges.").count()
    page.select_option('select[name="visa_type"]', "tourist")
    page.fill('input[name="depart_on"]', "2027-03-10")
    page.fill('input[name="return_on"]', "2027-03-01")
    page.click("text=Complete task")
    page.wait_for_selector("text=Must be after Departure.", timeout=10_000)
    shot(page, "form-builder-task-page")
    assert call(server, "process_owner", "GET", f"/api/v1/cases/{case['id']}")[1]["status"] == "running"

    status, body = call(
        server,
        "process_owner",
        "POST",
        complete,
        {
            "data": {
                "fee": 120.5,
                "visa_type": "business",
                "depart_on": "2027-03-10",
                "return_on": "2027-03-20",
                "notes": "Invitation letter attached.",
            }
        },
    )
    assert status == 200, body
    assert body["case"]["status"] == "completed"
    assert not errors, errors
    context.close()
