"""The customer's trip page in a real browser at phone width (390×844), in Chinese: open the link
from the confirmation letter, rate, report a problem, ask for a change 48 hours before the service
(a change request opens) and again 23 hours before (refused). The server runs in this process on
the test's clock, so the test moves time as the other tests do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from webapp import create_app
from webapp.extensions import db
from workflows.cases import operations as cases
from workflows.models import Case, TripRating

from .conftest import SHANGHAI, actor, app_config, open_task
from .test_browser import _free_port, browser, shot  # noqa: F401 - the shared browser fixture
from .test_trip import _plan_and_confirm
from .test_trip_page import _token

pytestmark = pytest.mark.browser


@pytest.fixture
def live(database_url: str, clock: Any) -> Iterator[tuple[str, Any]]:
    """The real app (CSRF on) served from a thread; yields (base URL, app)."""
    app = create_app({**app_config(database_url), "WTF_CSRF_ENABLED": True}, clock=clock)
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            yield f"http://127.0.0.1:{port}", app
            db.session.remove()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def _confirmed_trip(app: Any) -> Case:
    rt = app.extensions["tripflow"]

    def start(process: str = "trip", by: str = "account_manager", **data: Any) -> Case:
        return cases.start_case(db.session, rt, process, data, actor(by))

    def work(case: Case, task_id: str, by: str | None = None, **data: Any) -> Case:
        item = open_task(db.session, case.id, task_id)
        return cases.complete_task(
            db.session, rt, item.id, data, actor(by or item.lane or "service_supervisor")
        )

    return _plan_and_confirm(start, work, price=8000)


def test_the_customer_uses_the_trip_page_on_a_phone_in_chinese(live, browser, clock) -> None:  # noqa: F811
    base, app = live
    trip = _confirmed_trip(app)
    token = _token(db.session, trip.id)
    clock.set(datetime(2026, 12, 18, 0, 0, tzinfo=SHANGHAI))  # the first day (20 Dec) starts in 48 hours

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/trip/{token}")
    assert page.locator("h1").inner_text() == "Kyoto"
    assert page.get_by_role("heading", name="评价我们的服务").is_visible()
    assert page.locator("a.tp-tel").get_attribute("href") == "tel:4008008888"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    box = page.locator("#rate button[type=submit]").bounding_box()
    assert box is not None and box["height"] >= 44  # a touch target
    shot(page, "trip-page-phone-zh")

    page.locator("#rate label.tp-star", has_text="4").click()
    page.fill("#rate textarea[name=text]", "导游很好，但大巴晚点")
    page.click("#rate button[type=submit]")
    page.wait_for_selector("#done")
    assert "感谢您的评价" in page.locator("#done").inner_text()

    page.fill("#problem textarea[name=details]", "房间没有热水")
    page.check("#problem input[name=urgent]")
    page.click("#problem button[type=submit]")
    page.wait_for_selector("#done")
    assert "客服将尽快与您联系" in page.locator("#done").inner_text()

    page.select_option("#change select[name=change_type]", "hotel")
    page.select_option("#change select[name=day]", "1")
    page.fill("#change textarea[name=details]", "请换成双床房")
    page.click("#change button[type=submit]")
    page.wait_for_selector("#done")
    assert "变更申请已发送" in page.locator("#done").inner_text()

    clock.set(datetime(2026, 12, 19, 1, 0, tzinfo=SHANGHAI))  # 23 hours before
    page.select_option("#change select[name=change_type]", "flight")
    page.select_option("#change select[name=day]", "1")
    page.fill("#change input[name=time]", "00:00")
    page.fill("#change textarea[name=details]", "改到晚上的航班")
    page.click("#change button[type=submit]")
    page.wait_for_selector("#error")
    assert "服务开始前 24 小时内不接受变更" in page.locator("#error").inner_text()
    shot(page, "trip-page-phone-zh-refused")

    page.click("a[lang=en]")  # the language switch
    assert page.get_by_role("heading", name="Rate our service").is_visible()
    assert errors == []
    context.close()

    db.session.rollback()  # end this thread's read: the server's writes are in
    children = db.session.scalars(select(Case).where(Case.parent_id == trip.id)).all()
    assert sorted(c.process_key for c in children) == ["change_request", "complaint_handling"]
    [rating] = db.session.scalars(select(TripRating)).all()
    assert (rating.score, rating.text) == (4, "导游很好，但大巴晚点")
