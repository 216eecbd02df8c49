"""The quarterly review case in Chromium, in Chinese: the frozen figures as a table with targets,
the charts drawn by reports.js (or their "no data" note), no script errors; the print view too."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import browser, server, shot, sign_in  # noqa: F401 - fixtures
from .test_modeler_browser import api

pytestmark = pytest.mark.browser


def test_the_review_case_reads_as_a_report(server: str, browser: Any) -> None:  # noqa: F811
    case = api(
        server, "service_supervisor", "POST", "/api/v1/cases", {"process": "quarterly_review", "data": {}}
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "service_supervisor")
    page.goto(f"{server}/cases/{case['id']}")
    report = page.locator("#frozen-report")
    csat = report.locator("#metric-csat").inner_text()
    assert "≥ 90" in csat and "暂无数据" in csat and "✓" not in csat
    page.wait_for_selector("#chart-tiers + .chart-empty, #chart-tiers[width]", timeout=10_000)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, height  # was a 28,000-pixel tree
    shot(page, "review-case-zh")
    page.goto(f"{server}/reports/print")
    page.wait_for_selector("#chart-cycle + .chart-empty, #chart-cycle[width]", timeout=10_000)
    assert not errors, errors
