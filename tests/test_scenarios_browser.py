"""The workbench's Scenarios tab in Chromium against the real server: run a model's scenarios on the
model being edited, see pass or fail with the failing step, coverage painted on the diagram, and a
deploy that the failing scenarios hold back until the second click."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import browser, server, shot, sign_in  # noqa: F401 - fixtures
from .test_modeler_browser import open_workbench

pytestmark = pytest.mark.browser

BREAK_DUE = """() => {
  const modeler = window.tripflowWorkbench.modeler;
  return modeler.saveXML().then(({ xml }) => modeler.importXML(
    xml.replace('name="dueAtVariable" value="greet_by"', 'name="dueAtVariable" value="nothing"')))
    .then(() => { window.tripflowWorkbench.bpmnDirty = true; });
}"""


def test_scenarios_tab_runs_the_edited_model_and_paints_coverage(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "process_owner")
    open_workbench(page, f"{server}/models/birthday_reminder/edit")
    page.click('[data-tab="scenarios"]')
    page.click('[data-action="run-scenarios"]')
    page.wait_for_selector(
        '.scenario.passed[data-scenario="birthday_reminder/greeting_sent"]', timeout=60_000
    )
    assert "100" in page.text_content("[data-coverage]")
    page.click('[data-tab="diagram"]')
    for element in ("start_birthday", "send_birthday_greeting", "flow_greeting_to_end"):
        assert page.locator(f'.djs-element.tf-taken[data-element-id="{element}"]').count() == 1
    assert page.locator(".djs-element.tf-missed").count() == 0
    shot(page, "scenarios-coverage")

    page.evaluate(BREAK_DUE)
    page.click('[data-tab="scenarios"]')
    page.click('[data-action="run-scenarios"]')
    failed = page.wait_for_selector(".scenario.failed", timeout=60_000)
    assert "Step 1 (fire_timers)" in failed.text_content()
    assert "2026-11-28T09:00:00+08:00" in page.text_content("[data-expected]")
    assert '"due": null' in page.text_content("[data-actual]")
    assert page.locator('.djs-element.tf-missed[data-element-id="send_birthday_greeting"]').count() == 1
    shot(page, "scenarios-failed")

    # deploying the broken model: the first click shows the failures, the second deploys anyway
    page.click('[data-action="save"]')
    page.wait_for_function(
        "() => document.querySelector('[data-status]').textContent.includes('deploy anyway')", timeout=60_000
    )
    assert page.locator(".scenario.failed").count() == 1
    page.click('[data-action="save"]')
    page.wait_for_function(
        "() => document.querySelector('[data-status]').textContent.includes('deployed')", timeout=60_000
    )
    assert errors == []
    context.close()
