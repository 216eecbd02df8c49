"""Every page in Chinese: each GET page of the page blueprints, as every role that may see it, over a
demo history, read for English that is not customer data.

What a page shows is taken as the reader sees it (text, placeholders, titles, labels); customer
data (what the database holds as typed by people), ids and technical tokens are taken out; what is
left must not contain runs of English words: a word of the English catalogue or any word of four
or more letters that is plainly English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from lxml import html
from sqlalchemy import select

from demo import load_demo_history
from workflows.models import (
    Case,
    ContactRecord,
    Customer,
    Document,
    Event,
    Improvement,
    SavedFilter,
    Trip,
    User,
    WorkItem,
)
from workflows.trip_page.actions import CUSTOMER

from .test_pages import ZH, login

ROLES = (
    "account_manager",
    "travel_advisor",
    "project_manager",
    "customer_service",
    "service_supervisor",
    "data_analyst",
    "process_owner",
    "admin",
)
# Words that are the same in a Chinese UI: names of things, units and abbreviations.
ALLOWED = {
    "tripflow", "csat", "nps", "cny", "bpmn", "dmn", "api", "csv", "json", "pdf", "sla", "id", "ids",
    "p90", "n", "h", "a", "b", "c", "q1", "q2", "q3", "q4", "vip", "ok", "url", "xml", "yaml", "wechat",
    "email", "sms", "camunda", "spiffworkflow", "utc", "html", "pm", "am", "js", "sql", "bpmn-js",
    "excel", "mb", "kb", "v", "p", "ui", "schema", "crm", "true", "false",
}  # fmt: skip
PO = Path(__file__).resolve().parent.parent / "webapp/translations/zh_Hans/LC_MESSAGES/messages.po"
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’\-.,:;()/ ]*[A-Za-z)]|[A-Za-z]")
VISIBLE_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-failed-text")
SKIP_TAGS = ("script", "style", "template", "noscript", "code", "pre")


def _catalogue_words() -> set[str]:
    """Every word of the English UI strings (the msgids), lower case, without placeholders."""
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    words: set[str] = set()
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            if text:
                text = re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", " ", text)
                words |= {w.lower() for w in WORD.findall(text)}
    return words - ALLOWED


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)


def customer_data(session: Any) -> list[str]:
    """What people typed or the demo's customers are: case data, customers, notes, names, files."""
    found: set[str] = set()
    for (data,) in session.execute(select(Case.data)):
        found |= set(_leaves(data))
    for customer in session.scalars(select(Customer)):
        found |= {
            v
            for v in (
                customer.name,
                customer.phone,
                customer.email,
                customer.address,
                customer.source_channel,
            )
            if v
        }
    for column in (
        Case.customer_name,
        Case.destination,
        Trip.destination,
        Trip.contract_number,
        ContactRecord.summary,
        Improvement.text,
        Document.name,
        User.display_name,
        SavedFilter.name,
        User.username,  # user ids, like case numbers, are ids
    ):
        found |= {v for (v,) in session.execute(select(column)) if v}
    for (data,) in session.execute(select(Trip.itinerary)):
        found |= set(_leaves(data))
    for (changes,) in session.execute(select(Event.data_changes)):
        found |= set(_leaves(changes or {}))
    typed = select(Event.text).where(Event.kind.in_(("comment", "case_suspended", "data_changed")))
    found |= {v for (v,) in session.execute(typed) if v}
    found.add("system")  # the id the engine's own steps act as
    found.add(CUSTOMER.username)  # the id the customer acts as on their trip page (no account)
    return sorted((s.strip() for s in found if s and s.strip()), key=len, reverse=True)


def visible_text(page: str) -> list[str]:
    """The texts of a page a reader sees, one string per element text or visible attribute."""
    doc = html.fromstring(page)
    for bad in doc.xpath("//" + " | //".join(SKIP_TAGS)):
        bad.drop_tree()
    for mono in doc.xpath('//*[contains(concat(" ", normalize-space(@class), " "), " mono ")]'):
        mono.drop_tree()  # ids and technical values are shown in a monospace font on purpose
    texts: list[str] = []
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for part in (element.text, element.tail):
            if part and part.strip():
                texts.append(part.strip())
        texts += [element.get(a, "") for a in VISIBLE_ATTRIBUTES if element.get(a)]
        if element.tag == "option" and element.get("value") is None and element.text:
            texts.append(element.text)
        if element.tag == "input" and element.get("type") in ("submit", "button") and element.get("value"):
            texts.append(element.get("value", ""))
    return texts


def english_runs(texts: list[str], data: list[str], words: set[str]) -> list[str]:
    found = []
    for text in texts:
        for known in data:
            if len(known) >= 2 and known in text:
                text = text.replace(known, " ")
        text = re.sub(r"\b\w*_\w*\b", " ", text)  # ids: collect_needs, lane_account_manager
        text = re.sub(r"\S+@\S+|https?://\S+|/\S+", " ", text)  # e-mail, links, paths
        for run in RUN.findall(text):
            run_words = [w.lower() for w in WORD.findall(run)]
            english = [w for w in run_words if w not in ALLOWED and (w in words or len(w) >= 4)]
            if english:
                found.append(run.strip())
    return found


@pytest.fixture
def demo(app: Flask, session: Any) -> Any:
    summary = load_demo_history(app, trips=10, days=100, seed=11)
    assert summary.startswith("demo history loaded"), summary
    return session


def _sample_urls(session: Any) -> list[str]:
    """One URL per page, per kind of thing it shows: each process's case, each open task's form."""
    urls = [
        "/",
        "/inbox",
        "/cases",
        "/cases?status=completed",
        "/cases/start",
        "/customers",
        "/customers/new",
        "/incidents",
        "/me/away",
        "/models",
        "/models/new",
        "/processes",
        "/reports",
        "/reports/print",
        "/reports/cases?metric=csat",
        "/reports/cases?metric=tiers",
        "/admin/users",
        "/admin/users/account_manager",
    ]
    keys = sorted({k for (k,) in session.execute(select(Case.process_key))})
    for key in keys:
        urls += [f"/processes/{key}", f"/models/{key}", f"/models/{key}/edit", f"/reports?process={key}"]
        case_ids = session.scalars(
            select(Case.id).where(Case.process_key == key).order_by(Case.id.desc()).limit(2)
        )
        urls += [f"/cases/{i}" for i in case_ids]
    tasks = session.execute(
        select(WorkItem.bpmn_id, WorkItem.id).order_by(WorkItem.status, WorkItem.id.desc())
    )
    seen: set[str] = set()
    for bpmn_id, item_id in tasks:
        if bpmn_id not in seen:
            seen.add(bpmn_id)
            urls.append(f"/tasks/{item_id}")
    customer = session.scalars(select(Customer.id).order_by(Customer.id)).first()
    urls += [f"/customers/{customer}", f"/customers/{customer}/edit"]
    urls += _benefit_urls(session)
    return urls


def _benefit_urls(session: Any) -> list[str]:
    """The tier benefit pages, each departure, campaign and event, and the customers they touched."""
    from workflows.models import Campaign, DepartureBooking, EventInvitation, MemberEvent

    urls = ["/routes", "/campaigns", "/events"]
    for booking in session.scalars(select(DepartureBooking).order_by(DepartureBooking.id)):
        urls += [f"/routes/{booking.departure_id}", f"/customers/{booking.customer_id}"]
    urls += [f"/campaigns/{i}" for i in session.scalars(select(Campaign.id))]
    urls += [f"/events/{i}" for i in session.scalars(select(MemberEvent.id))]
    urls += [f"/customers/{i}" for i in session.scalars(select(EventInvitation.customer_id).limit(3))]
    return list(dict.fromkeys(urls))


def test_every_page_in_chinese_has_no_english_ui_text(demo: Any, client: FlaskClient) -> None:
    words = _catalogue_words()
    data = customer_data(demo)
    urls = _sample_urls(demo)
    problems: dict[str, list[str]] = {}
    shown = 0
    for role in ROLES:
        client.get("/logout")
        login(client, role)
        for url in urls:
            response = client.get(url, headers=ZH)
            if response.status_code != 200 or "html" not in (response.content_type or ""):
                continue
            shown += 1
            runs = english_runs(visible_text(response.get_data(as_text=True)), data, words)
            for run in runs:
                problems.setdefault(run, []).append(f"{role} {url}")
    assert shown > 100
    report = "\n".join(f"{run!r}: {where[0]} (+{len(where) - 1})" for run, where in sorted(problems.items()))
    assert not problems, f"{len(problems)} English strings on Chinese pages:\n{report}"


def test_the_walk_finds_english() -> None:
    """The check itself: English UI text is caught, Chinese, ids, data and abbreviations are not."""
    words = {"case", "data", "started"}
    page = (
        '<p>案例 <span class="mono">collect_needs</span> CSAT 90 %</p><p title="Case data">张三 Zhang San</p>'
        "<td>Trips 12m</td><td>Started</td>"
    )
    runs = english_runs(visible_text(page), ["张三 Zhang San"], words)
    assert runs == ["Case data", "Trips 12m", "Started"]
