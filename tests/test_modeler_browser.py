"""The process owners' workbench in Chromium against the real server: draw, check, deploy, see it run.

A new process is drawn from the blank template and deployed (v1); a user task is dropped onto a
sequence flow and named, and Save deploys v2. A decision table is changed in dmn-js and deployed,
and a case started afterwards takes the new rule while one started before keeps the old.
Screenshots land in ``SCREENSHOTS``.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from .test_browser import CHROMIUM_ARGS, browser, server, shot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def api(base: str, user: str, method: str, path: str, body: Any = None) -> Any:
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
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def open_workbench(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#workbench.ready", timeout=20_000)


def save(page: Any, expected: str) -> None:
    page.click('[data-action="save"]')
    page.wait_for_function(
        "(text) => document.querySelector('[data-status]').textContent.includes(text)",
        arg=expected,
        timeout=20_000,
    )


def test_draw_a_process_add_a_user_task_and_deploy_versions(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "process_owner")

    page.goto(f"{server}/models")
    page.click("text=New process")
    page.fill("#key", "visa_service")
    page.fill("#name", "Visa service")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#workbench.ready", timeout=20_000)
    save(page, "Version 1 deployed")

    # drop a new task onto the flow between the first task and the end event, make it a user task
    flow = page.locator('g.djs-connection[data-element-id="flow_end"]').bounding_box()
    assert flow is not None
    page.click('.djs-palette [data-action="create.task"]')
    page.mouse.move(flow["x"] + flow["width"] / 2 - 5, flow["y"] + flow["height"] / 2)
    page.mouse.move(flow["x"] + flow["width"] / 2, flow["y"] + flow["height"] / 2)
    page.mouse.click(flow["x"] + flow["width"] / 2, flow["y"] + flow["height"] / 2)
    page.click('.djs-context-pad [data-action="replace"]')
    page.click('[data-id="replace-with-user-task"]')
    page.wait_for_selector("#properties >> text=User task")
    name = page.locator("#properties .pp-field", has_text="Name").locator("input")
    name.fill("Check the passport")
    name.press("Tab")
    page.wait_for_selector("[data-dirty]:not([hidden])")
    page.wait_for_timeout(2500)  # the check as you type has run
    shot(page, "modeler-user-task-added")
    save(page, "Version 2 deployed")
    assert not page.locator("#problems .problem.error").count()

    detail = api(server, "process_owner", "GET", "/api/v1/processes/visa_service")
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert "Check the passport" in {t["name"] for t in detail["user_tasks"]}

    page.goto(f"{server}/models/visa_service")
    page.wait_for_selector("#diagram svg", timeout=20_000)
    assert page.locator(".versions-table tbody tr").count() == 2
    shot(page, "models-process-versions")
    page.goto(f"{server}/models")
    assert page.locator("#process-visa_service .version-badge").inner_text() == "v2"
    shot(page, "models-index")
    assert not errors, errors
    context.close()


def test_a_lint_problem_and_a_refused_deploy_are_shown_on_the_diagram(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    sign_in(page, server, "process_owner")
    open_workbench(page, f"{server}/models/new?key=broken_flow&name=Broken")
    page.click('g.djs-shape[data-element-id="first_task"]')
    page.click('.djs-context-pad [data-action="replace"]')
    page.click('[data-id="replace-with-service-task"]')
    page.wait_for_selector("#problems .problem.error", timeout=10_000)
    save(page, "Not deployed")
    problem = page.locator("#problems .problem.error", has_text="has no implementation").first
    assert "broken_flow.bpmn" in problem.inner_text() and "first_task" in problem.inner_text()
    assert page.locator('[data-element-id="first_task"].tf-problem').count() == 1
    shot(page, "modeler-refused")
    context.close()


def test_change_a_decision_table_and_the_next_case_takes_the_new_rule(server: str, browser: Any) -> None:  # noqa: F811
    before = api(
        server,
        "customer_service",
        "POST",
        "/api/v1/cases",
        {"process": "trip_feedback", "data": {"customer_name": "Old rule", "customer_tier": "B"}},
    )
    assert [t["task_id"] for t in before["active_tasks"]] == ["collect_survey"]

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    sign_in(page, server, "process_owner")
    open_workbench(page, f"{server}/models/trip_feedback/edit")
    page.click('[data-tab="tables"]')
    cell = page.locator('td[data-element-id="rule_high_spend_spend"]')
    cell.wait_for(timeout=20_000)
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(">= 0")
    page.locator(".dmn-decision-table-container h3, .tjs-table th").first.click()
    page.wait_for_selector('[data-file="feedback_routing.dmn"].dirty')
    shot(page, "modeler-decision-table")
    save(page, "Version 2 deployed")

    after = api(
        server,
        "customer_service",
        "POST",
        "/api/v1/cases",
        {"process": "trip_feedback", "data": {"customer_name": "New rule", "customer_tier": "B"}},
    )
    assert after["version"] == 2
    assert [t["task_id"] for t in after["active_tasks"]] == ["revisit_call"]
    old = api(server, "customer_service", "GET", f"/api/v1/cases/{before['id']}")
    assert old["version"] == 1
    context.close()


def test_saving_again_without_a_change_makes_no_version(server: str, browser: Any) -> None:  # noqa: F811
    """Issue 16 item 2: the modeler re-serialises the XML, yet a save that changes no model keeps v1;
    a shape moved is kept as the layout of v1, not a new version."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "process_owner")
    page.goto(f"{server}/models")
    page.click("text=New process")
    page.fill("#key", "visa_again")
    page.fill("#name", "Visa again")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#workbench.ready", timeout=20_000)
    save(page, "Version 1 deployed")

    open_workbench(page, f"{server}/models/visa_again/edit")
    shape = page.locator("g.djs-element.djs-shape[data-element-id]").last.bounding_box()
    assert shape is not None
    x, y = shape["x"] + shape["width"] / 2, shape["y"] + shape["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 40, steps=5)
    page.mouse.move(x + 30, y + 80, steps=5)
    page.mouse.up()
    page.wait_for_selector("[data-dirty]:not([hidden])")
    page.click('[data-action="save"]')
    page.wait_for_selector("[data-status].ok, .save-status.ok", timeout=20_000)
    text = page.locator("[data-status]").inner_text()
    assert "Version 2" not in text and "1" in text, text
    shot(page, "modeler-layout-only-save")

    detail = api(server, "process_owner", "GET", "/api/v1/processes/visa_again")
    assert [v["version"] for v in detail["versions"]] == [1]
    assert not errors, errors
