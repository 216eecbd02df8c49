"""The tour guide's inbox at phone width (issue 17): one column, large touch targets, the customer's
phone as a tel: link; the guide files the evening's daily report from it. A real server and Chromium."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from . import test_browser as shared
from .test_browser import shot, sign_in
from .test_browser_manage import ITINERARY, SHANGHAI, JsonApi, Server, server  # noqa: F401 - the fixture

browser = shared.browser  # the module-scoped Chromium fixture of test_browser, shared

pytestmark = pytest.mark.browser


def _trip_with_guide(api: JsonApi, customer: str, start: date) -> int:
    """Planned, signed and booked with the demo guide ``tour_guide``; it waits for the pre-trip call."""
    case_id = int(api.post("account_manager", "/api/v1/cases", {"process": "trip"}, expect=201)["id"])
    today = datetime.now(SHANGHAI).date().isoformat()
    needs = {
        "new_customer": {"name": customer, "phone": "139 0000 2222"},
        "purpose": "Family holiday",
        "destination": "Guilin",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=3)).isoformat(),
        "travellers": 3,
        "budget": 36000,
    }
    api.work("account_manager", case_id, "collect_needs", needs)
    api.work("travel_advisor", case_id, "design_itinerary", ITINERARY)
    api.work("project_manager", case_id, "review_itinerary", {"approved": True})
    api.work("account_manager", case_id, "present_to_customer", {"customer_accepts": True})
    contract = {"contract_number": "HT-2026-17", "signed_on": today, "total_price": 34000}
    api.work("account_manager", case_id, "sign_contract", contract)
    bookings = {"bookings": [{"kind": "hotel", "supplier": "Riverside", "reference": "R-1"}]}
    api.work("travel_advisor", case_id, "arrange_bookings", {**bookings, "tour_guide": "tour_guide"})
    letter = {"sent_via": "wechat", "sent_on": today}
    api.work("customer_service", case_id, "send_confirmation_letter", letter)
    return case_id


def test_the_guide_files_the_daily_report_from_a_phone(server: Server, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    start = datetime.now(SHANGHAI).date() + timedelta(days=30)
    case_id = _trip_with_guide(api, "钱梅 Qian Mei", start)
    server.flask("timers", "run", "--at", f"{(start - timedelta(days=7)).isoformat()}T09:00:00+08:00")
    call = {"details_confirmed": True, "documents_reminded": True}
    api.work("customer_service", case_id, "pre_trip_call", call)
    server.flask("timers", "run", "--at", f"{start.isoformat()}T00:00:00+08:00")  # departure: on the trip
    assert "fired timers of 1 case(s)" in server.flask(
        "timers", "run", "--at", f"{start.isoformat()}T20:00:00+08:00"
    )

    sign_in(page, server.url, "tour_guide")
    page.goto(f"{server.url}/inbox")
    row = page.locator("tr[data-task=daily_report]", has_text="钱梅 Qian Mei")
    assert row.count() == 1 and "团队日报" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 392  # one column, no sideways scroll
    tel = row.locator("a.tel-link")
    assert tel.get_attribute("href") == "tel:13900002222" and "139 0000 2222" in tel.inner_text()
    for target in (tel, row.locator("a.task-name"), row.locator(".cell-actions .btn").first):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, box  # a finger, not a mouse pointer
    assert not page.locator(".inbox-search").is_visible()  # the desk's filters stay out of the way
    shot(page, "guide-inbox-phone")
    row.locator("a.task-name").tap()
    page.wait_for_url("**/tasks/**")
    page.check("input[name=group_mood][value='4']")
    page.fill("[name=what_happened]", "漓江游船顺利，大家很开心")
    page.click("form.task-form button.btn-primary")
    page.wait_for_url("**/inbox")
    assert page.locator("tr[data-task=daily_report]").count() == 0
    reports = api.get("service_supervisor", f"/api/v1/cases/{case_id}")
    assert reports["data"]["daily_reports"][0]["group_mood"] == 4
    assert errors == []
    context.close()
