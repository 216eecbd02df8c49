"""The real server in a subprocess, driven through Debian's Chromium with Playwright.

One planning case goes from the account manager (new customer) to the travel advisor (claims and
designs the itinerary) to the project manager's group. Screenshots land in ``SCREENSHOTS`` so a
person can look at the pages.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium's own connections are refused on an offline machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("TRIPFLOW_SCREENSHOTS", "/tmp/tripflow-screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``flask run`` on a free port: migrates a fresh SQLite file, deploys bpmn/, adds the demo users."""
    folder = tmp_path_factory.mktemp("server")
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'tripflow.db'}",
        "SECRET_KEY": "browser-test",
        "TRIPFLOW_SETUP_ON_START": "1",
        "TRIPFLOW_DEMO_USERS": "1",
    }
    flask = Path(sys.executable).with_name("flask")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(flask), "--app", "webapp", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed: apt-get install -y chromium (make chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it (make test): a missing browser is a broken setup
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # type: ignore[attr-defined]
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def sign_in(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", f"{username}-demo")  # type: ignore[attr-defined]
    page.click(".login-card button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/inbox**")  # type: ignore[attr-defined]


def sign_out(page: object) -> None:
    page.click(".logout button")  # type: ignore[attr-defined]
    page.wait_for_url("**/login**")  # type: ignore[attr-defined]


def test_a_planning_case_travels_from_the_account_manager_to_the_project_manager(
    server: str, browser
) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{server}/login")
    assert page.locator("h1").inner_text() == "Sign in"
    shot(page, "login")
    page.fill("#username", "account_manager")
    page.fill("#password", "not-the-password")
    page.click(".login-card button[type=submit]")
    assert "Wrong user name or password." in page.locator(".alert-error").inner_text()
    assert page.input_value("#username") == "account_manager"
    shot(page, "login-failed")

    sign_in(page, server, "account_manager")
    page.click("text=New case")
    page.check("input[name=process][value=itinerary_planning]")
    page.click("form.card button.btn-primary")
    page.wait_for_url("**/tasks/**")
    assert page.locator("h1").inner_text() == "Collect travel needs"
    page.click("form.task-form button.btn-primary")  # nothing filled in: errors beside the fields
    assert page.locator("#err-purpose").inner_text() == "This field is required."
    page.fill("[name='new_customer.name']", "李娜 Li Na")
    page.fill("[name='new_customer.phone']", "13900001111")
    page.check("[name='new_customer.segment'][value=family]")
    page.fill("[name=purpose]", "Family holiday")
    page.fill("[name=destination]", "Kyoto")
    page.fill("[name=start_date]", "2026-12-20")
    page.fill("[name=end_date]", "2026-12-27")
    page.fill("[name=travellers]", "3")
    page.fill("[name=budget]", "36000")
    page.fill("[name=preferences]", "Temples and onsen, a relaxed pace")
    shot(page, "collect-needs")
    page.click("form.task-form button.btn-primary")
    page.wait_for_url("**/inbox")
    assert "Task completed" in page.locator(".flashes").inner_text()
    sign_out(page)

    sign_in(page, server, "travel_advisor")
    page.click("text=Group tasks")
    row = page.locator("tr[data-task=design_itinerary]", has_text="李娜 Li Na")
    assert row.count() == 1 and "Kyoto" in row.inner_text()
    shot(page, "inbox-group")
    row.locator("button", has_text="Claim").click()
    page.wait_for_url("**/tasks/**")
    assert page.locator("h1").inner_text() == "Design itinerary"
    assert "Temples and onsen" in page.locator("aside").inner_text()
    page.fill("[name=itinerary-0-day]", "1")
    page.fill("[name=itinerary-0-date]", "2026-12-20")
    page.fill("[name=itinerary-0-transport]", "Flight PVG → KIX, limousine bus to Kyoto")
    page.fill("[name=itinerary-0-accommodation]", "Ryokan near Gion")
    page.fill("[name=itinerary-0-attractions]", "Gion, Hanamikoji at dusk")
    page.click("[data-add-row]")
    page.fill("[name=itinerary-1-day]", "2")
    page.fill("[name=itinerary-1-attractions]", "Fushimi Inari early morning, Tofuku-ji")
    page.fill("[name=quoted_price]", "34000")
    shot(page, "design-itinerary")
    page.click("form.task-form button.btn-primary")
    page.wait_for_url("**/inbox")
    sign_out(page)

    sign_in(page, server, "project_manager")
    page.goto(f"{server}/inbox?scope=group")
    review = page.locator("tr[data-task=review_itinerary]", has_text="李娜 Li Na")
    assert review.count() == 1
    shot(page, "inbox-project-manager")
    review.locator("a.task-name").click()
    page.wait_for_url("**/tasks/**")
    assert "Fushimi Inari early morning" in page.locator(".details-card").inner_text()
    shot(page, "review-itinerary")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    page.goto(f"{server}/inbox?scope=group")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    shot(page, "inbox-phone")
    assert errors == []
    context.close()


def test_the_login_page_is_chinese_for_a_chinese_browser(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("label[for=username]").inner_text() == "用户名"
    shot(page, "login-zh")
    context.close()
