"""The bell in a real browser: a new group task shows up without reloading the page, and opens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# the browser fixture is shared with the main browser test: importing it makes it this module's too
from .test_browser import ROOT, _free_port, _wait_until_up, browser, shot, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``flask run`` with the bell polling every second (the default is 20 s)."""
    folder = tmp_path_factory.mktemp("bell-server")
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'tripflow.db'}",
        "SECRET_KEY": "browser-test",
        "TRIPFLOW_SETUP_ON_START": "1",
        "TRIPFLOW_DEMO_USERS": "1",
        "TRIPFLOW_BELL_POLL_SECONDS": "1",
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


def _call(base: str, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en-US", "New task in your group inbox"), ("zh-CN", "您的组收件箱有新任务")],
)
def test_the_bell_rings_without_reloading(server: str, browser: Any, locale: str, expected: str) -> None:  # noqa: F811 - the imported fixture
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, server, "customer_service")
    badge = page.locator("[data-bell-count]")
    badge.wait_for(state="hidden")

    token = _call(
        server, "/api/v1/token", {"username": "customer_service", "password": "customer_service-demo"}
    )
    case = _call(
        server,
        "/api/v1/cases",
        {
            "process": "complaint_handling",
            "data": {"urgency": "urgent", "complaint_details": "行李丢失", "customer_name": "周迅"},
        },
        token["token"],
    )
    url_before = page.url
    badge.wait_for(state="visible", timeout=15000)
    assert badge.inner_text() == "1" and page.url == url_before  # no reload

    page.click("[data-bell-toggle]")
    notice = page.locator("[data-bell-panel] .notice.unread").first
    assert expected in notice.inner_text() and "周迅" in notice.inner_text()
    shot(page, f"bell-{locale}")
    notice.locator("button").click()
    page.wait_for_url("**/tasks/**")
    assert str(case["id"]) in page.content()
    badge.wait_for(state="hidden")
    assert errors == []
    context.close()
