"""Managers in a real browser against the real server: where a case stands on its diagram, the
pre-trip call worked from the inbox after its timer fired, and a stuck case fixed and retried.

Cases are set up through the JSON API (bearer tokens of the demo users), timers through the
command line with the server's database, as operations would. Screenshots land in ``SCREENSHOTS``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from . import test_browser as shared
from .test_browser import ROOT, SCREENSHOTS, _free_port, _wait_until_up, shot, sign_in

browser = shared.browser  # the module-scoped Chromium fixture of test_browser, shared

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
RATIO_MODEL = Path(__file__).parent / "bpmn" / "ratio_check.bpmn"
ITINERARY = {
    "itinerary": [
        {
            "day": 1,
            "transport": "Flight PVG → KIX",
            "accommodation": "Ryokan near Gion",
            "attractions": "Gion",
        },
        {"day": 2, "transport": "Bus", "accommodation": "Ryokan near Gion", "attractions": "Fushimi Inari"},
    ],
    "quoted_price": 34000,
}


class Server:
    """The running server's address and the database it uses (for the command line)."""

    def __init__(self, url: str, database_url: str) -> None:
        self.url = url
        self.database_url = database_url

    def flask(self, *args: str) -> str:
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": "browser-test"}
        done = subprocess.run(
            [str(Path(sys.executable).with_name("flask")), "--app", "webapp", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``flask run`` on a free port with a fresh SQLite file, the models of bpmn/ and the demo users."""
    folder = tmp_path_factory.mktemp("manage-server")
    port = _free_port()
    log = folder / "server.log"
    database_url = f"sqlite:///{folder / 'tripflow.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "browser-test",
        "TRIPFLOW_SETUP_ON_START": "1",
        "TRIPFLOW_DEMO_USERS": "1",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "webapp", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login", process, log)
        yield Server(f"http://127.0.0.1:{port}", database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class JsonApi:
    """The JSON API through Playwright's request context, one bearer token per demo user."""

    def __init__(self, request: Any, base: str) -> None:
        self.request = request
        self.base = base
        self.tokens: dict[str, str] = {}

    def _headers(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            answer = self.request.post(
                f"{self.base}/api/v1/token", data={"username": user, "password": f"{user}-demo"}
            )
            assert answer.ok, answer.text()
            self.tokens[user] = answer.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, path: str) -> Any:
        answer = self.request.get(self.base + path, headers=self._headers(user))
        assert answer.ok, (path, answer.status, answer.text())
        return answer.json()

    def post(self, user: str, path: str, body: Any = None, expect: int = 200, **kw: Any) -> Any:
        if body is not None:
            kw["data"] = body
        answer = self.request.post(self.base + path, headers=self._headers(user), **kw)
        assert answer.status == expect, (path, answer.status, answer.text())
        return answer.json()

    def work(self, user: str, case_id: int, task_id: str, data: dict[str, Any]) -> Any:
        """Complete the case's open task ``task_id`` as ``user``."""
        view = self.get(user, f"/api/v1/cases/{case_id}")
        [task] = [t for t in view["active_tasks"] if t["task_id"] == task_id]
        return self.post(user, f"/api/v1/tasks/{task['id']}/complete", {"data": data})


def _new_context(browser: Any, locale: str = "en-US") -> Any:
    return browser.new_context(viewport={"width": 1360, "height": 900}, locale=locale)


def _marked(page: Any, element_id: str, marker: str) -> Any:
    return page.locator(f'.djs-element[data-element-id="{element_id}"].{marker}')


def _plan_trip(api: JsonApi, customer: str, start: date) -> int:
    """A trip through planning and confirmation: it then waits for the pre-trip timer."""
    trip = api.post("account_manager", "/api/v1/cases", {"process": "trip"}, expect=201)
    case_id = int(trip["id"])
    today = datetime.now(SHANGHAI).date().isoformat()
    api.work(
        "account_manager",
        case_id,
        "collect_needs",
        {
            "new_customer": {"name": customer, "phone": "13900002222"},
            "purpose": "Family holiday",
            "destination": "Kyoto",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=7)).isoformat(),
            "travellers": 3,
            "budget": 36000,
        },
    )
    api.work("travel_advisor", case_id, "design_itinerary", ITINERARY)
    api.work("project_manager", case_id, "review_itinerary", {"approved": True})
    api.work("account_manager", case_id, "present_to_customer", {"customer_accepts": True})
    api.work(
        "account_manager",
        case_id,
        "sign_contract",
        {"contract_number": "HT-2026-88", "signed_on": today, "total_price": 34000},
    )
    api.work(
        "travel_advisor",
        case_id,
        "arrange_bookings",
        {"bookings": [{"kind": "hotel", "supplier": "Ryokan Sakura", "reference": "RS-1"}]},
    )
    api.work(
        "customer_service", case_id, "send_confirmation_letter", {"sent_via": "wechat", "sent_on": today}
    )
    return case_id


def test_a_supervisor_sees_where_a_case_stands_on_its_diagram(server: Server, browser: Any) -> None:
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    trip = api.post("account_manager", "/api/v1/cases", {"process": "trip"}, expect=201)
    # a planning case that went back to the advisor twice: a loop badge on the diagram
    planning = api.post("account_manager", "/api/v1/cases", {"process": "itinerary_planning"}, expect=201)
    api.work(
        "account_manager",
        planning["id"],
        "collect_needs",
        {
            "new_customer": {"name": "钱雨 Qian Yu"},
            "purpose": "Honeymoon",
            "destination": "Bali",
            "start_date": "2027-02-10",
            "end_date": "2027-02-17",
            "travellers": 2,
            "budget": 50000,
        },
    )
    for _round in range(2):
        api.work("travel_advisor", planning["id"], "design_itinerary", ITINERARY)
        api.work(
            "project_manager",
            planning["id"],
            "review_itinerary",
            {"approved": False, "review_comments": "Add a free day"},
        )

    sign_in(page, server.url, "service_supervisor")
    page.goto(f"{server.url}/cases/{trip['id']}")
    _marked(page, "call_itinerary_planning", "tf-active").wait_for()  # the trip's running stage
    assert _marked(page, "call_itinerary_confirmation", "tf-active").count() == 0
    assert page.locator("#diagram[data-ready=true]").count() == 1
    shot(page, "case-trip-diagram")

    page.goto(f"{server.url}/cases/{planning['id']}")
    _marked(page, "design_itinerary", "tf-active").wait_for()
    assert _marked(page, "collect_needs", "tf-completed").count() == 1
    badge = page.locator('.djs-overlays[data-container-id="design_itinerary"] .tf-loop')
    assert badge.inner_text() == "×2" and badge.get_attribute("title") == "Ran 2 times"
    assert "Add a free day" in page.locator("#history").text_content()  # in a folded list of answers
    shot(page, "case-planning-loops")
    page.locator("#history details.changes").first.click()
    page.locator("#manage").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "case-planning-manage.png"))

    page.goto(f"{server.url}/cases")
    assert page.locator(f'tr[data-case="{planning["id"]}"]').count() == 1
    shot(page, "cases-list")
    page.select_option("#process", "itinerary_planning")  # applies at once
    page.wait_for_url("**process=itinerary_planning**")
    page.select_option("#tier", "C")
    page.wait_for_url("**tier=C**")
    assert page.locator("tbody tr").count() == 1
    assert "tier=C" in (page.locator("a", has_text="CSV").get_attribute("href") or "")
    page.fill("#filter-name", "C-tier plans")
    with page.expect_navigation():
        page.click(".save-filter button")
    chip = page.locator(".saved-filters .chip", has_text="C-tier plans")
    chip.wait_for()
    assert chip.count() == 1 and "active" in (chip.get_attribute("class") or "")
    shot(page, "cases-saved-filter")

    page.goto(f"{server.url}/inbox?scope=team")  # every open task: tick two, hand them to one person
    page.check(f'tr[data-case-id="{trip["id"]}"] input[data-bulk-item]')
    page.check(f'tr[data-case-id="{planning["id"]}"] input[data-bulk-item]')
    assert page.inner_text("[data-bulk-count=bulk]") == "2"
    page.select_option("#bulk-user", "account_manager")
    shot(page, "inbox-team-bulk")
    with page.expect_navigation():
        page.click(".bulkbar button[value=assign]")
    assert page.locator(".flashes .alert-success").count() == 2

    page.goto(f"{server.url}/me/away")
    page.select_option("#away-stand-in", "travel_advisor")
    with page.expect_navigation():
        page.click("form.card button.btn-primary")
    assert "tasks go to travel_advisor" in page.inner_text(".away-summary")
    shot(page, "out-of-office")
    with page.expect_navigation():
        page.click(".away-summary button")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    for name, path in (
        ("cases", "/cases"),
        ("case", f"/cases/{planning['id']}"),
        ("team", "/inbox?scope=team"),
        ("incidents", "/incidents"),
        ("away", "/me/away"),
    ):
        page.goto(server.url + path)
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > 392).slice(0, 8)"
            ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, (path, wide)
        shot(page, f"phone-{name}")
    assert errors == []
    context.close()

    zh = _new_context(browser, "zh-CN")
    page = zh.new_page()
    sign_in(page, server.url, "service_supervisor")
    page.goto(f"{server.url}/cases/{planning['id']}")
    _marked(page, "design_itinerary", "tf-active").wait_for()
    assert "案件所处位置" in page.inner_text("body") or "流程" in page.inner_text("body")
    shot(page, "case-planning-zh")
    page.goto(f"{server.url}/cases")
    shot(page, "cases-list-zh")
    zh.close()


def test_customer_service_works_the_pre_trip_call_from_the_inbox(server: Server, browser: Any) -> None:
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    start = datetime.now(SHANGHAI).date() + timedelta(days=30)
    case_id = _plan_trip(api, "郑洁 Zheng Jie", start)
    assert api.get("service_supervisor", f"/api/v1/cases/{case_id}")["active_tasks"] == []
    fired = server.flask("timers", "run", "--at", f"{(start - timedelta(days=7)).isoformat()}T09:00:00+08:00")
    assert "fired timers of 1 case(s)" in fired
    assert [
        t["task_id"] for t in api.get("customer_service", f"/api/v1/cases/{case_id}")["active_tasks"]
    ] == ["pre_trip_call"]

    sign_in(page, server.url, "customer_service")
    page.click("text=Group tasks")
    row = page.locator("tr[data-task=pre_trip_call]", has_text="郑洁 Zheng Jie")
    assert row.count() == 1 and "Pre-trip call" in row.inner_text() and "Kyoto" in row.inner_text()
    shot(page, "inbox-pre-trip-call")
    row.locator("button", has_text="Claim").click()
    page.wait_for_url("**/tasks/**")
    assert page.locator("h1").inner_text() == "Pre-trip call"
    page.check("input[name=details_confirmed][value=true]")  # each item answered: nothing is assumed done
    page.check("input[name=documents_reminded][value=true]")
    page.fill("[name=call_notes]", "Passports checked; reminded of the visa printout.")
    page.fill("#contact-summary", "Called about the departure next week")  # quick contact log on the side
    page.click("#contact button[type=submit]")
    page.locator("#contact .recent-contacts", has_text="Called about the departure next week").wait_for()
    assert "Contact logged." in page.locator(".flashes").inner_text()
    assert page.input_value("[name=call_notes]").startswith("Passports checked")  # the form kept its text
    shot(page, "task-pre-trip-call")
    page.click("form.task-form button.btn-primary")
    page.wait_for_url("**/inbox")
    assert "Task completed" in page.locator(".flashes").inner_text()
    assert page.locator("tr[data-task=pre_trip_call]", has_text="郑洁 Zheng Jie").count() == 0
    page.goto(f"{server.url}/inbox?scope=group")
    assert page.locator("tr[data-task=pre_trip_call]", has_text="郑洁 Zheng Jie").count() == 0
    page.goto(f"{server.url}/cases/{case_id}")
    history = page.locator("#history").inner_text()
    assert "Timer fired: Wait for departure" in history and "Task completed: Pre-trip call" in history
    _marked(page, "wait_for_return", "tf-active").wait_for()
    assert _marked(page, "call_itinerary_confirmation", "tf-completed").count() == 1
    page.locator("#diagram").screenshot(path=str(SCREENSHOTS / "diagram-trip-after-call.png"))
    shot(page, "case-trip-after-call")
    assert errors == []
    context.close()


def test_a_supervisor_fixes_a_stuck_case_and_retries_it(server: Server, browser: Any) -> None:
    context = _new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    api = JsonApi(context.request, server.url)
    api.post(
        "process_owner",
        "/api/v1/processes",
        expect=201,
        multipart={
            "file": {
                "name": "ratio_check.bpmn",
                "mimeType": "application/xml",
                "buffer": RATIO_MODEL.read_bytes(),
            }
        },
    )
    case = api.post(
        "service_supervisor", "/api/v1/cases", {"process": "ratio_check", "data": {"divisor": 0}}, expect=201
    )
    assert case["status"] == "error"

    sign_in(page, server.url, "service_supervisor")
    page.click(".mainnav >> text=Incidents")
    page.wait_for_url("**/incidents")
    row = page.locator(f'tr[data-case="{case["id"]}"]')
    assert "division by zero" in row.inner_text()
    shot(page, "incidents")
    row.locator("a", has_text="Open").click()
    page.wait_for_url(f"**/cases/{case['id']}**")
    incident = page.locator("#incident")
    assert "This case stopped with an error" in incident.inner_text()
    assert "division by zero" in incident.locator(".incident-message").inner_text()
    _marked(page, "compute_ratio", "tf-error").wait_for()
    shot(page, "case-incident")

    page.fill("#fix-name", "divisor")
    page.fill("#fix-value", "5")
    page.fill("#fix-reason", "Typo at intake: the divisor is 5")
    with page.expect_navigation():
        page.click("#fix-data button[type=submit]")
    assert "divisor changed" in page.locator(".flashes").inner_text()
    with page.expect_navigation():
        page.click("#incident button[type=submit]:has-text('Retry')")
    assert f"Case #{case['id']} runs on." in page.locator(".flashes").inner_text()
    assert page.locator("#incident").count() == 0
    assert page.locator(".task-meta .pill-running").count() == 1
    _marked(page, "look_at_ratio", "tf-active").wait_for()
    assert _marked(page, "compute_ratio", "tf-completed").count() == 1
    history = page.locator("#history").inner_text()
    assert "Typo at intake" in history and "Case retried" in history
    shot(page, "case-incident-fixed")
    assert api.get("service_supervisor", f"/api/v1/cases/{case['id']}")["data"]["ratio"] == 2
    page.goto(f"{server.url}/incidents")
    assert page.locator(f'tr[data-case="{case["id"]}"]').count() == 0
    assert errors == []
    context.close()
