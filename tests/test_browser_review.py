"""The calendar processes in a real browser against the real server: a supervisor's tiering round
(proposals, an override, customer service telling the customers) and a quarterly service review
(the frozen report, findings and actions, the analyst's backlog triage), each to its end.

What the rounds need is set up through the JSON API (bearer tokens of the demo users); the work
itself is done in Chromium. Screenshots land in ``SCREENSHOTS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from . import test_browser_manage as manage
from .test_browser import shot, sign_in, sign_out
from .test_browser_manage import ITINERARY, JsonApi, Server

browser = manage.browser  # the module-scoped Chromium fixture, shared
server = manage.server  # the real server in a subprocess, one per module

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _new_context(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")


def _signed_customer(api: JsonApi, name: str, total_price: int) -> int:
    """A new customer with one signed contract today: an ``itinerary_planning`` case to sign_contract."""
    today = datetime.now(SHANGHAI).date()
    case = api.post("account_manager", "/api/v1/cases", {"process": "itinerary_planning"}, expect=201)
    case_id = int(case["id"])
    api.work(
        "account_manager",
        case_id,
        "collect_needs",
        {
            "new_customer": {"name": name, "phone": "13900003333"},
            "purpose": "Family holiday",
            "destination": "Kyoto",
            "start_date": (today + timedelta(days=60)).isoformat(),
            "end_date": (today + timedelta(days=67)).isoformat(),
            "travellers": 2,
            "budget": total_price,
        },
    )
    api.work("travel_advisor", case_id, "design_itinerary", ITINERARY)
    api.work("project_manager", case_id, "review_itinerary", {"approved": True})
    api.work("account_manager", case_id, "present_to_customer", {"customer_accepts": True})
    api.work(
        "account_manager",
        case_id,
        "sign_contract",
        {"contract_number": f"HT-{case_id}", "signed_on": today.isoformat(), "total_price": total_price},
    )
    view = api.get("account_manager", f"/api/v1/cases/{case_id}")
    assert view["status"] == "completed", view["status"]
    return int(view["data"]["customer_id"])


def _start(page: Any, base: str, process: str) -> None:
    """Starts ``process`` on the start page; the server opens its first task when it is ours."""
    page.goto(f"{base}/cases/start")
    page.check(f"input[name=process][value={process}]")
    with page.expect_navigation():
        page.click("form.card button.btn-primary")
    assert "started" in page.locator(".flashes").inner_text()


def _open_from_inbox(page: Any, base: str, task: str) -> int:
    """Opens the (only) open ``task`` from the group inbox; returns its work item id."""
    page.goto(f"{base}/inbox?scope=group")
    row = page.locator(f"tr[data-task={task}]")
    assert row.count() == 1, page.locator("main").inner_text()
    task_id = int(row.get_attribute("data-id") or 0)
    row.locator("a.task-name").click()
    page.wait_for_url(f"**/tasks/{task_id}")
    return task_id


def _complete(page: Any) -> None:
    page.click("form.task-form button.btn-primary")
    page.wait_for_url("**/inbox")
    assert "Task completed" in page.locator(".flashes").inner_text()


def test_a_supervisor_runs_a_tiering_round(server: Server, browser: Any) -> None:
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    big = _signed_customer(api, "高峰 Gao Feng", 60000)
    loyal = _signed_customer(api, "林静 Lin Jing", 3000)
    assert api.get("account_manager", f"/api/v1/customers/{big}")["annual_spend"] == 60000
    assert api.get("account_manager", f"/api/v1/customers/{loyal}")["tier"] == "C"

    sign_in(page, server.url, "service_supervisor")
    _start(page, server.url, "customer_tiering")
    _open_from_inbox(page, server.url, "review_tier_changes")
    assert page.locator("h1").inner_text() == "Review tier changes"
    details = page.locator(".details-card")
    proposed = details.locator("tr", has_text="高峰 Gao Feng")
    assert proposed.count() >= 1
    figures = proposed.first.inner_text()
    assert "60,000" in figures and "A" in figures, figures
    shot(page, "review-tier-changes")

    overrides = page.locator("#f-overrides")
    rows = overrides.locator("[data-row]")
    start_rows = rows.count()
    overrides.locator("[data-add-row]").click()
    assert rows.count() == start_rows + 1
    index = start_rows  # the new row's index (blank rows before it are ignored)
    page.select_option(f"[name=overrides-{index}-customer_id]", str(loyal))
    page.check(f"[name=overrides-{index}-tier][value=B]")
    page.fill(f"[name=overrides-{index}-reason]", "word of mouth")
    page.fill("[name=review_notes]", "Lin Jing brought three families this year")
    shot(page, "review-tier-changes-override")
    _complete(page)
    assert "Notify tier changes" in page.locator(".flashes").inner_text()
    sign_out(page)

    sign_in(page, server.url, "customer_service")
    _open_from_inbox(page, server.url, "notify_tier_changes")
    assert page.locator("h1").inner_text() == "Notify tier changes"
    table = page.locator("#f-tier_changes")
    for name, old, new in (("高峰 Gao Feng", "C", "A"), ("林静 Lin Jing", "C", "B")):
        row = table.locator("[data-row]", has_text=name)
        assert row.count() == 1, table.inner_text()
        text = row.inner_text()
        assert f"{new} —" in text and f"{old} —" in text, text
    contacted = table.locator("input[type=checkbox][name$=-contacted]")
    assert contacted.count() == 2
    for i in range(contacted.count()):
        contacted.nth(i).check()
        table.locator(f"[name=tier_changes-{i}-contact_channel]").select_option("phone")
    shot(page, "notify-tier-changes")
    _complete(page)
    sign_out(page)

    gao = api.get("service_supervisor", f"/api/v1/customers/{big}")
    lin = api.get("service_supervisor", f"/api/v1/customers/{loyal}")
    assert gao["tier"] == "A" and lin["tier"] == "B"
    assert [(t["from"], t["to"], t["by"]) for t in lin["tier_history"]] == [("C", "B", "service_supervisor")]
    assert lin["tier_history"][0]["reason"] == "word of mouth"
    assert [(t["from"], t["to"]) for t in gao["tier_history"]] == [("C", "A")]
    assert "60000" in gao["tier_history"][0]["reason"]
    cases = api.get("service_supervisor", "/api/v1/cases?process=customer_tiering")["items"]
    assert [c["status"] for c in cases] == ["completed"]

    sign_in(page, server.url, "service_supervisor")
    page.goto(f"{server.url}/customers/{loyal}")
    history = page.locator("section.card", has=page.locator("h2", has_text="Tier history"))
    assert "C → B" in history.inner_text() and "word of mouth" in history.inner_text()
    shot(page, "customer-tier-history")
    assert errors == []
    context.close()


def _previous_quarter(today: Any) -> str:
    quarter = (today.month - 1) // 3 + 1
    return f"{today.year - 1}Q4" if quarter == 1 else f"{today.year}Q{quarter - 1}"


def _suggestion(api: JsonApi, name: str, text: str, topic: str) -> None:
    """A trip_feedback case whose suggestion the analyst files on the improvement backlog."""
    case = api.post(
        "customer_service",
        "/api/v1/cases",
        {"process": "trip_feedback", "data": {"customer_name": name, "customer_tier": "C"}},
        expect=201,
    )
    api.work(
        "customer_service",
        case["id"],
        "collect_survey",
        {"survey_channel": "sms", "satisfaction": 4, "nps": 8, "has_complaint": False, "suggestion": text},
    )
    api.work("data_analyst", case["id"], "classify_feedback", {"category": "improvement", "topic": topic})
    assert api.get("data_analyst", f"/api/v1/cases/{case['id']}")["status"] == "completed"


def test_a_quarterly_review_runs_to_its_end(server: Server, browser: Any) -> None:
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    _suggestion(api, "马骏 Ma Jun", "Shorter bus rides between the temples", "transport")
    _suggestion(api, "何琳 He Lin", "Vegetarian dinners on request", "meals")
    quarter = _previous_quarter(datetime.now(SHANGHAI).date())
    due = (datetime.now(SHANGHAI).date() + timedelta(days=30)).isoformat()

    sign_in(page, server.url, "service_supervisor")
    _start(page, server.url, "quarterly_review")
    _open_from_inbox(page, server.url, "review_metrics")
    assert page.locator("h1").inner_text() == "Review metrics"
    assert quarter in page.locator("aside").inner_text()
    report = page.locator(".details-card")
    report_text = report.inner_text()
    for figure in ("CSAT", "NPS", "Complaints", "Repurchase rate", "Task cycle time"):
        assert figure in report_text, figure
    csat = report.locator("tr", has_text="客户满意度 CSAT").inner_text()
    assert "≥ 90 %" in csat and "no feedback in the period" in csat, csat  # the target; no surveys then
    assert "0 complaints" in report.locator("tr", has_text="投诉 Complaints").inner_text()
    assert "Shorter bus rides between the temples" in report_text  # the backlog, for context
    shot(page, "review-metrics")

    page.fill("[name=findings]", "No surveys last quarter: CSAT and NPS cannot be judged.")
    actions = page.locator("#f-actions")
    rows = actions.locator("[data-row]")
    assert rows.count() == 1  # one blank row to start with
    page.fill("[name=actions-0-action]", "Send the survey after every trip")
    page.fill("[name=actions-0-owner]", "customer_service")
    page.fill("[name=actions-0-due_date]", due)
    actions.locator("[data-add-row]").click()
    assert rows.count() == 2
    page.fill("[name=actions-1-action]", "Brief the bus suppliers on shorter transfers")
    page.fill("[name=actions-1-owner]", "travel_advisor")
    page.fill("[name=actions-1-due_date]", due)
    shot(page, "review-metrics-filled")
    _complete(page)
    assert "Triage improvements" in page.locator(".flashes").inner_text()
    sign_out(page)

    sign_in(page, server.url, "data_analyst")
    _open_from_inbox(page, server.url, "triage_improvements")
    assert page.locator("h1").inner_text() == "Triage improvements"
    assert "Brief the bus suppliers" in page.locator("main").inner_text()  # the supervisor's actions
    triage = page.locator("#f-triage")
    items = triage.locator("[data-row]")
    summaries = [items.nth(i).inner_text() for i in range(items.count())]
    assert len(summaries) == 2 and "Shorter bus rides" in summaries[0] and "Vegetarian" in summaries[1]
    decisions = ("accepted", "deferred")
    for i, decision in enumerate(decisions):
        page.select_option(f"[name=triage-{i}-decision]", decision)  # a choice in a table row
    page.fill("[name=triage-0-note]", "Ask the Kyoto coach company")
    page.fill("[name=triage_notes]", "Vegetarian menus wait for the next supplier contracts")
    shot(page, "triage-improvements")
    _complete(page)
    sign_out(page)

    [case] = api.get("service_supervisor", "/api/v1/cases?process=quarterly_review")["items"]
    view = api.get("service_supervisor", f"/api/v1/cases/{case['id']}")
    assert view["status"] == "completed" and view["active_tasks"] == []
    data = view["data"]
    assert data["quarter"] == quarter and data["triaged_items"] == 2
    assert [a["owner"] for a in data["actions"]] == ["customer_service", "travel_advisor"]
    assert [a["due_date"] for a in data["actions"]] == [due, due]
    assert [t["decision"] for t in data["triage"]] == list(decisions)
    documents = api.get("service_supervisor", f"/api/v1/cases/{case['id']}/documents")["items"]
    [report_doc] = [
        d for d in documents if d["kind"] == "quarterly_report" and d["content_type"].startswith("text/html")
    ]
    assert report_doc["name"] == f"quarterly-report-{quarter}.html"
    html = context.request.get(
        server.url + report_doc["url"],
        headers={"Authorization": f"Bearer {api.tokens['service_supervisor']}"},
    )
    assert html.ok and quarter in html.text() and "CSAT" in html.text()
    assert errors == []
    context.close()
