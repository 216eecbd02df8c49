"""The workbench in Chinese: bpmn-js's palette, context pad and menus, dmn-js's decision table and
the properties panel speak through the translate module with the Chinese catalogue; English stays
English."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import browser, server, sign_in  # noqa: F401 - fixtures
from .test_modeler_browser import open_workbench

pytestmark = pytest.mark.browser


def _workbench(browser: Any, server: str, locale: str) -> Any:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "process_owner")
    open_workbench(page, f"{server}/models/trip_feedback/edit")
    page.errors = errors
    return page


def test_the_modeler_speaks_chinese(server: str, browser: Any) -> None:  # noqa: F811
    page = _workbench(browser, server, "zh-CN")
    assert page.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "创建任务"
    assert page.get_attribute('.djs-palette [data-action="hand-tool"]', "aria-label") == "激活抓手工具"
    page.click('g.djs-element[data-element-id="collect_survey"]')
    page.wait_for_selector(".djs-context-pad")
    assert page.get_attribute('.djs-context-pad [data-action="append.append-task"]', "title") == "追加任务"
    assert page.locator("#properties .pp-kind").text_content() == "用户任务"
    page.click('.djs-context-pad [data-action="replace"]')
    assert page.locator('[data-id="replace-with-service-task"]').inner_text().strip() == "服务任务"
    page.keyboard.press("Escape")
    page.click('[data-tab="tables"]')
    page.wait_for_selector(".tjs-table", timeout=20_000)
    assert "命中策略" in page.locator(".dmn-decision-table-container").inner_text()
    assert not page.errors, page.errors

    english = _workbench(browser, server, "en-US")
    assert english.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "Create task"
    english.click('g.djs-element[data-element-id="collect_survey"]')
    assert english.locator("#properties .pp-kind").text_content() == "User task"
