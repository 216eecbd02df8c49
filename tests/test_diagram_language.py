"""The diagram the viewer draws speaks the reader's language: lanes by role name, elements by their
translated names, ids and layout untouched."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from lxml import etree, html

from webapp.pages.diagram_names import pick

from .test_pages import EN, NEEDS_FORM, NEW_CUSTOMER, ZH, login, page, start_planning

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _names(xml: str) -> dict[str, str]:
    root = etree.fromstring(xml.encode())
    return {
        e.get("id"): e.get("name")
        for e in root.iter()
        if isinstance(e.tag, str) and e.get("id") and e.get("name")
    }


def _case_diagram(client: FlaskClient, case_url: str, headers: dict[str, str]) -> dict[str, str]:
    doc = html.fromstring(page(client, case_url, headers))
    state = json.loads(doc.get_element_by_id("diagram-state").text)
    return _names(state["bpmn"])


def test_the_case_diagram_is_named_in_chinese_or_english(client: FlaskClient, session: Any) -> None:
    login(client, "account_manager")
    task_url = start_planning(client)
    client.post(task_url, data={**NEW_CUSTOMER, **NEEDS_FORM})
    from workflows.models import WorkItem

    case_id = session.get(WorkItem, int(task_url.rsplit("/", 1)[1])).case_id
    zh = _case_diagram(client, f"/cases/{case_id}", ZH)
    en = _case_diagram(client, f"/cases/{case_id}", EN)
    assert zh["lane_account_manager"] == "客户经理" and en["lane_account_manager"] == "Account manager"
    assert zh["collect_needs"] == "收集需求" and en["collect_needs"] == "Collect travel needs"
    assert zh.keys() == en.keys()
    english_left = {i: n for i, n in zh.items() if n.isascii() and any(c.isalpha() for c in n)}
    assert not english_left, english_left


def test_the_heatmap_diagram_is_named_in_the_readers_language(client: FlaskClient) -> None:
    login(client, "data_analyst")
    zh = _names(page(client, "/reports/diagram/trip.bpmn", ZH))
    en = _names(page(client, "/reports/diagram/trip.bpmn", EN))
    assert zh["pre_trip_call"] != en["pre_trip_call"] == "Pre-trip call"
    assert en["lane_account_manager"] == "Account manager" and zh["lane_account_manager"] == "客户经理"
    for key in (
        "trip",
        "itinerary_planning",
        "itinerary_confirmation",
        "change_request",
        "trip_feedback",
        "complaint_handling",
        "customer_tiering",
        "quarterly_review",
        "birthday_reminder",
        "win_back_campaign",
        "trip_incident",
    ):
        xml = page(client, f"/reports/diagram/{key}.bpmn", ZH)
        left = {i: n for i, n in _names(xml).items() if n.isascii() and any(c.isalpha() for c in n)}
        assert set(left.values()) <= {
            "customer",
            "customers",
            "proposal",
            "tier_proposals",
            "itinerary_changed",
            "churned_customers",
            "win_back_outcomes",
            "win_back_result",
            "customer_rating",  # message names are keys, like itinerary_changed
            "incident_recorded",
            "alternative_chosen",
        }, left
    reports = page(client, "/reports?process=trip", ZH)
    assert 'data-bpmn-url="/reports/diagram/trip.bpmn"' in reports


def test_a_bilingual_name_shows_the_half_for_the_locale() -> None:
    assert pick("收集需求 / Collect needs", "zh_Hans") == "收集需求"
    assert pick("收集需求 / Collect needs", "en") == "Collect needs"
    assert pick("1 January / 1 July", "zh_Hans") == "1 January / 1 July"
