"""Publishing and reading the monthly case handbook [003 §6.1: 每月整理10-15个典型服务案例].

The supervisor picks 10–15 finished complaints or incidents, adds the lesson of each and publishes
the month's handbook once; every employee may read past handbooks and download their PDF. Each
call checks the role and is one unit of work.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.cases.forms import FORMAT_CHECKER, field_details
from workflows.engine.today import local_date
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.handbook.cases import finished_cases, finished_in
from workflows.handbook.render import handbook_html, handbook_pdf
from workflows.metrics.periods import Period
from workflows.models import CaseHandbook, CaseHandbookEntry
from workflows.people.names import display_names
from workflows.permissions import SUPERVISE, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

MIN_CASES, MAX_CASES = 10, 15
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PUBLISH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "month": {"type": "string", "pattern": MONTH},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "entries": {
            "type": "array",
            "minItems": MIN_CASES,
            "maxItems": MAX_CASES,
            "items": {
                "type": "object",
                "properties": {
                    "case_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                    "lesson": {"type": "string", "minLength": 1, "maxLength": 4000},
                },
                "required": ["case_id", "lesson"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["month", "entries"],
    "additionalProperties": False,
}


def _require_employee(actor: Actor) -> None:
    if not actor.is_employee:
        raise Forbidden("reading the case handbook needs an employee's account")


def month_period(month: Any, zone: str) -> Period:
    """``2026-11`` → 1–30 November 2026; ``Invalid`` naming ``month`` otherwise."""
    if not isinstance(month, str) or not re.match(MONTH, month):
        raise Invalid("bad month", [{"field": "month", "message": "must be a month like 2026-11"}])
    first = date(int(month[:4]), int(month[5:]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1), zone)


LOOK_BACK_MONTHS = 2  # a quiet month's handbook may draw on the two months before it


def candidates(session: Session, rt: Runtime, actor: Actor, month: Any) -> list[dict[str, Any]]:
    """What the supervisor picks from: the complaints resolved and incidents repaired in ``month``,
    newest first, then those of the ``LOOK_BACK_MONTHS`` before it (``in_month`` false)."""
    actor.require(SUPERVISE, "compiling the case handbook")
    period = month_period(month, rt.timezone)
    first = period.first
    for _ in range(LOOK_BACK_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    found = finished_in(session, Period(first, period.last, rt.timezone))
    session.rollback()
    ordered = sorted(found, key=lambda f: (f.finished_at < period.start_at, -f.finished_at.timestamp()))
    return [{**f.as_dict(), "in_month": f.finished_at >= period.start_at} for f in ordered]


def _checked(session: Session, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
    errors = field_details(
        Draft202012Validator(PUBLISH_SCHEMA, format_checker=FORMAT_CHECKER).iter_errors(body), root="body"
    )
    if errors:
        raise Invalid("the handbook has errors", errors)
    entries = body["entries"]
    finished = finished_cases(session, [e["case_id"] for e in entries])
    seen: set[int] = set()
    problems = []
    for number, entry in enumerate(entries):
        if entry["case_id"] in seen:
            problems.append({"field": f"entries.{number}.case_id", "message": "picked twice"})
        elif entry["case_id"] not in finished:
            problems.append(
                {"field": f"entries.{number}.case_id", "message": "not a finished complaint or incident"}
            )
        if not entry["lesson"].strip():
            problems.append({"field": f"entries.{number}.lesson", "message": "this field is required"})
        seen.add(entry["case_id"])
    if problems:
        raise Invalid("the handbook has errors", problems)
    return {"body": body, "finished": finished}


def publish(session: Session, rt: Runtime, actor: Actor, body: Any) -> dict[str, Any]:
    """The month's handbook, published; ``Invalid`` (400) names the field (fewer than 10 or more
    than 15 cases, a case not finished), ``Conflict`` (409) when the month has one already."""
    actor.require(SUPERVISE, "publishing the case handbook")
    with unit_of_work(session):
        checked = _checked(session, body)
        body, finished = checked["body"], checked["finished"]
        month = body["month"]
        month_period(month, rt.timezone)
        if session.scalars(select(CaseHandbook.id).where(CaseHandbook.month == month)).first() is not None:
            raise Conflict(f"the handbook of {month} is published already")
        now = rt.clock.now()
        title = body.get("title") or f"服务案例手册 {month}"
        entries = [
            {
                "case_id": e["case_id"],
                "kind": finished[e["case_id"]].kind,
                "summary": finished[e["case_id"]].summary,
                "lesson": e["lesson"].strip(),
            }
            for e in body["entries"]
        ]
        publisher = display_names(session, [actor.username]).get(actor.username, actor.username)
        html = handbook_html(
            title=title,
            month=month,
            publisher=publisher,
            published_at=local_date(now, rt.timezone).isoformat(),
            entries=entries,
        )
        handbook = CaseHandbook(
            month=month, title=title, published_at=now, published_by=actor.username, html=html
        )
        session.add(handbook)
        session.flush()
        for position, entry in enumerate(entries, start=1):
            session.add(CaseHandbookEntry(handbook_id=handbook.id, position=position, **entry))
    return handbook_view(session, actor, month)


def _get(session: Session, month: str) -> CaseHandbook:
    found = session.scalars(select(CaseHandbook).where(CaseHandbook.month == month)).first()
    if found is None:
        raise NotFound(f"no handbook for {month}")
    return found


def handbooks(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every published handbook, newest month first."""
    _require_employee(actor)
    rows = list(session.scalars(select(CaseHandbook).order_by(CaseHandbook.month.desc())))
    names = display_names(session, [r.published_by for r in rows])
    counts = {
        r.id: len(
            list(session.scalars(select(CaseHandbookEntry.id).where(CaseHandbookEntry.handbook_id == r.id)))
        )
        for r in rows
    }
    return [
        {
            "month": r.month,
            "title": r.title,
            "published_at": r.published_at.isoformat(),
            "published_by": names.get(r.published_by, r.published_by),
            "cases": counts[r.id],
        }
        for r in rows
    ]


def handbook_view(session: Session, actor: Actor, month: str) -> dict[str, Any]:
    """One handbook with its entries in order; ``NotFound`` for a month without one."""
    _require_employee(actor)
    handbook = _get(session, month)
    entries = session.scalars(
        select(CaseHandbookEntry)
        .where(CaseHandbookEntry.handbook_id == handbook.id)
        .order_by(CaseHandbookEntry.position)
    )
    name = display_names(session, [handbook.published_by]).get(handbook.published_by, handbook.published_by)
    return {
        "month": handbook.month,
        "title": handbook.title,
        "published_at": handbook.published_at.isoformat(),
        "published_by": name,
        "entries": [
            {"case_id": e.case_id, "kind": e.kind, "summary": e.summary, "lesson": e.lesson} for e in entries
        ],
    }


def handbook_pdf_bytes(session: Session, actor: Actor, month: str) -> bytes:
    """The PDF, drawn from the stored page on first download and kept."""
    _require_employee(actor)
    handbook = _get(session, month)
    if handbook.pdf:
        return handbook.pdf
    pdf = handbook_pdf(handbook.html)
    with unit_of_work(session):
        handbook.pdf = pdf
    return pdf
