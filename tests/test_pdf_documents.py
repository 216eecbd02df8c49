"""Documents customers keep are also PDFs: the confirmation letter, the change form, the quarterly report.

Each PDF is fetched through the API as a customer-facing document and read back with ``pdftotext``
(poppler-utils): the Chinese text, the destination and the price must be in it.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.cases.renditions import render_pending
from workflows.models import Document

from .conftest import ITINERARY, NEEDS, SHANGHAI, actor

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (make setup)")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def _confirmed_trip(start_case: Any, work: Any) -> Any:
    trip = start_case("trip")
    trip = work(
        trip, "collect_needs", new_customer={"name": "周迅"}, **{**NEEDS, "destination": "京都 Kyoto"}
    )
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number="HT-9", signed_on="2026-11-24", total_price=34000)
    trip = work(
        trip, "arrange_bookings", bookings=[{"kind": "hotel", "supplier": "樱花旅馆", "reference": "RS-1"}]
    )
    return trip


def _documents(api: Any, case_id: int) -> list[dict[str, Any]]:
    response = api.as_("account_manager").get(f"/api/v1/cases/{case_id}/documents")
    assert response.status_code == 200
    return response.get_json()["items"]


def _pdf_of(api: Any, case_id: int, kind: str) -> str:
    docs = [d for d in _documents(api, case_id) if d["kind"] == kind]
    assert sorted(d["content_type"].split(";")[0] for d in docs) == ["application/pdf", "text/html"]
    [pdf] = [d for d in docs if d["content_type"] == "application/pdf"]
    assert pdf["name"].endswith(".pdf")
    response = api.get(pdf["url"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pdf_text(response.data)


def test_confirmation_letter_and_change_form_are_pdfs(start_case, work, session, rt, api):
    trip = _confirmed_trip(start_case, work)
    # the step filed the copy but did not render it: a second of layout stays out of the transaction
    [pending] = session.scalars(
        select(Document).where(Document.case_id == trip.id, Document.content_type == "application/pdf")
    ).all()
    assert pending.kind == "confirmation_letter" and pending.size == 0 and pending.rendered_from

    text = _pdf_of(api, trip.id, "confirmation_letter")  # the first download renders it
    assert "行程确认函" in text and "周迅" in text
    assert "京都 Kyoto" in text and "¥34,000.00" in text
    session.expire_all()
    assert session.get(Document, pending.id).size > 1000  # kept: the next download is the file itself

    change = cases.start_case(
        session, rt, "change_request", {"trip_case_id": trip.id}, actor("account_manager")
    )
    change = work(
        change,
        "submit_change_request",
        change_type="dates",
        reason="航班改期",
        details="One week later",
        new_start_date="2026-12-27",
        new_end_date="2027-01-03",
    )
    change = work(
        change,
        "review_change",
        approved=True,
        impact_assessment="酒店可订",
        supplier_contacted=True,
        cost_delta=1200,
    )
    change = work(change, "explain_fee_change", customer_agrees=True)
    change = work(change, "notify_customer", notified_via="phone", notified_on="2026-11-25")
    # the worker's round renders what is waiting: the reissued letter and the change form
    assert render_pending(session) == 2
    text = _pdf_of(api, change.id, "change_request_form")
    assert "行程变更单" in text and "航班改期" in text
    assert "京都 Kyoto" in text and "¥35,200.00" in text and "¥1,200.00" in text


def test_quarterly_report_is_a_pdf(start_case, work, session, clock, api):
    trip = _confirmed_trip(start_case, work)
    work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI))
    review = start_case("quarterly_review", by="service_supervisor")
    text = _pdf_of(api, review.id, "quarterly_report")
    assert "2026Q4" in text and "季度" in text
    assert "CSAT" in text


def test_pdf_rendering_fetches_nothing_from_outside(session):
    from workflows.cases.renditions import html_to_pdf

    html = '<html><body><p>中文 ok</p><img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="file:///etc/passwd"></body></html>'
    text = pdf_text(html_to_pdf(html.encode()))
    assert "中文 ok" in text and "root:" not in text


def test_a_copy_that_cannot_be_drawn_is_a_409_not_a_500(session, clock, api):
    from workflows.cases.renditions import FAILED, add_pdf_copy

    from .conftest import insert_trip_case

    case_id = insert_trip_case(session, clock)
    broken = Document(
        case_id=case_id,
        name="letter.html",
        kind="confirmation_letter",
        content_type="text/html; charset=utf-8",
        content=b"\xff\xfe not UTF-8",
        size=12,
        created_at=clock.now(),
    )
    session.add(broken)
    session.flush()
    copy_id = add_pdf_copy(session, broken).id
    session.commit()
    assert render_pending(session) == 0
    session.expire_all()
    assert session.get(Document, copy_id).size == FAILED
    assert render_pending(session) == 0  # not retried every round
    response = api.as_("account_manager").get(f"/api/v1/cases/{case_id}/documents/{copy_id}")
    assert response.status_code == 409 and "letter.html" in response.get_json()["message"]
