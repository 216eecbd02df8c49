"""A refused submit brings the first error into view and focuses it, at phone and desktop width
(issue 15, item 7). The real server and Debian's Chromium, as in ``test_browser``."""

from __future__ import annotations

import pytest

from .test_browser import browser, server, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  return {
    name: el.getAttribute("name"),
    invalid: el.getAttribute("aria-invalid"),
    inView: box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0,
    firstInvalid: document.querySelector("[aria-invalid=true]").getAttribute("name"),
    scrolled: window.scrollY,
  };
}"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1360, 900)])
def test_a_refused_submit_focuses_the_first_error(server, browser, width, height) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, server, "account_manager")
    page.click("text=New case")
    page.check("input[name=process][value=itinerary_planning]")
    page.click("form.card button.btn-primary")
    page.wait_for_url("**/tasks/**")
    page.fill("[name=destination]", "Kyoto")  # one field right, the others refused
    page.click("form.task-form button.btn-primary")
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('aria-invalid')")
    state = page.evaluate(FOCUSED)
    assert state["invalid"] == "true" and state["name"] == state["firstInvalid"], state
    assert state["inView"], state
    if width == 390:
        assert state["scrolled"] > 0, state  # the form starts below the task card on a phone
    assert errors == []
    context.close()
