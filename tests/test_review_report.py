"""The quarterly review reads like /reports: a table with targets and charts, never a raw tree;
"no data" is never "met", small samples are marked, and the print view carries the charts."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from lxml import html as lxml_html

from workflows.metrics.verdict import findings, small_sample, verdict

from .conftest import SHANGHAI
from .test_metrics import _survey, at
from .test_pages import EN, ZH, login, page


def _review_case(clock: Any, start_case: Any, work: Any) -> int:
    at(clock, 0)
    _survey(start_case, work, 5, 10)  # one answer: CSAT 100 %, met, from a sample of one
    clock.set(datetime(2026, 10, 1, 9, 30, tzinfo=SHANGHAI))
    return start_case("quarterly_review", by="service_supervisor").id


def _row(doc: Any, key: str) -> Any:
    [row] = doc.xpath(f'//tr[@id="metric-{key}"]')
    return row


def test_the_review_case_shows_the_frozen_figures_as_a_table_with_targets(
    client: FlaskClient, clock: Any, start_case: Any, work: Any
) -> None:
    case_id = _review_case(clock, start_case, work)
    login(client, "service_supervisor")
    text = page(client, f"/cases/{case_id}", EN)
    doc = lxml_html.fromstring(text)
    report = doc.get_element_by_id("frozen-report")
    assert report.xpath(".//table[contains(@class, 'report-table')]")
    assert "Previous period" not in report.text_content()  # a frozen quarter compares with nothing
    csat = _row(doc, "csat")
    assert "≥ 90 %" in csat.text_content() and "is-met" in csat.get("class")
    assert "Small sample" in csat.text_content()
    resolution = _row(doc, "complaint_resolution_hours")  # no complaint in the quarter
    assert "No data" in resolution.text_content() and "is-met" not in resolution.get("class")
    assert not resolution.xpath(".//span[@class='met']")
    assert "Small sample" not in _row(doc, "complaints").text_content()
    # the charts, fed from the frozen figures
    for canvas in ("chart-cycle", "chart-topics", "chart-tiers"):
        assert doc.xpath(f'//canvas[@id="{canvas}"]'), canvas
    assert doc.xpath('//script[@id="report-data"]')
    # no dump of the metrics tree among the case data
    data_text = doc.xpath('//section[.//h2[text()="Case data"]]')[0].text_content()
    for raw in ("Per task", "Distribution", "Previous year period", "Window complete"):
        assert raw not in data_text, raw
    zh = lxml_html.fromstring(page(client, f"/cases/{case_id}", ZH))
    assert (
        "无数据" in _row(zh, "complaint_resolution_hours").text_content()
        or "暂无数据" in _row(zh, "complaint_resolution_hours").text_content()
    )


def test_the_print_view_draws_the_charts(client: FlaskClient, clock: Any, start_case: Any, work: Any) -> None:
    _review_case(clock, start_case, work)
    login(client, "data_analyst")
    text = page(client, "/reports/print?quarter=2026Q3", EN)
    for canvas in ("chart-satisfaction", "chart-cycle", "chart-topics", "chart-tiers"):
        assert f'id="{canvas}"' in text, canvas
    assert "chart.umd.min.js" in text and re.search(r'id="report-data">\{', text)


def test_no_data_is_never_met_and_findings_say_so() -> None:
    empty = {"value": None, "n": 0, "target": 24.0, "met": True, "unit": "h"}
    assert verdict(empty) == "no_data"
    fine = {"value": 95.0, "n": 40, "target": 90.0, "met": True, "unit": "%"}
    few = {"value": 95.0, "n": 29, "target": 90.0, "met": True, "unit": "%"}
    assert findings({"csat": fine}) == "all targets met"
    said = findings({"csat": fine, "complaint_resolution_hours": empty})
    assert "all targets met" not in said and "no data" in said and "complaint_resolution_hours" in said
    assert small_sample("csat", few) and not small_sample("csat", fine)
    assert not small_sample("csat", empty) and not small_sample("complaints", {"value": 3, "n": 3})


def test_the_frozen_report_document_marks_no_data_and_small_samples(
    session: Any, clock: Any, start_case: Any, work: Any
) -> None:
    from sqlalchemy import select

    from workflows.models import Document

    case_id = _review_case(clock, start_case, work)
    document = session.scalars(
        select(Document).where(Document.case_id == case_id, Document.rendered_from.is_(None))
    ).one()
    doc = lxml_html.fromstring(document.content.decode())
    rows = {r.xpath("string(td[1])"): r.xpath("string(td[2])") for r in doc.xpath("//table[1]//tr[td]")}
    assert "small sample" in rows["客户满意度 CSAT"] and "✓" in rows["客户满意度 CSAT"]
    resolution = rows["投诉处理时长 Complaint resolution (median)"]
    assert "no data" in resolution and "✓" not in resolution
