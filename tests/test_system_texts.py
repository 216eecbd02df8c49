"""What the system writes into the record (tier-change reasons, migration notes, incident messages)
is shown in the reader's language; what a person typed is shown as typed."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh

from webapp.pages.system_texts import incident_summary, migration_text, tier_reason
from workflows.customers.operations import create_customer, set_tier

from .test_pages import EN, ZH, login, page


def _in(app: Flask, language: str, text: str, fn: Any) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        refresh()  # the test's app context outlives the request: drop the catalogue it cached
        return fn(text)


def test_system_sentences_are_translated(app: Flask) -> None:
    generated = "spend 68000.0 CNY, 3 trips in 12 months"
    assert _in(app, "zh-CN", generated, tier_reason) == "近 12 个月消费 68000.0 元，出行 3 次"
    assert _in(app, "en", generated, tier_reason) == "spent 68000.0 CNY and travelled 3 times in 12 months"
    assert _in(app, "zh-CN", "老客户 loyal", tier_reason) == "老客户 loyal"  # typed by a supervisor
    assert _in(app, "zh-CN", "version 1 → 2; changed: review_change", migration_text) == (
        "版本 1 → 2；有改动：review_change"
    )
    moved = "the case is at 'Pre-trip call' (in trip), which the new version no longer has"
    assert _in(app, "zh-CN", moved, migration_text) == "案例停在“Pre-trip call” (in trip)，新版本已没有这一步"
    assert _in(app, "zh-CN", "compute_ratio: division by zero", incident_summary) == "计算中出现了除以零。"
    assert _in(app, "zh-CN", "name 'spend' is not defined", incident_summary) == (
        "这一步用到了 spend，但案例数据中没有。"
    )
    assert "引擎" in _in(app, "zh-CN", "something odd", incident_summary)


def test_the_customer_page_shows_tier_reasons_in_chinese(
    client: FlaskClient, session: Any, clock: Any
) -> None:
    customer = create_customer(session, {"name": "韩梅 Han Mei"}, now=clock.now())
    session.commit()
    set_tier(
        session, customer, "A", by="system", reason="spend 90000 CNY, 4 trips in 12 months", now=clock.now()
    )
    session.commit()
    login(client, "account_manager")
    assert "近 12 个月消费 90000 元，出行 4 次" in page(client, f"/customers/{customer.id}", ZH)
    assert "spent 90000 CNY and travelled 4 times" in page(client, f"/customers/{customer.id}", EN)
