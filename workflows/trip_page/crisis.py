"""Crisis notices [003 §3(二)]: a supervisor tells every trip to a destination within a date range,
each affected trip gets a ``crisis_follow_up`` case (its child) for customer service, and the
customer's answer, given on the trip page or recorded by customer service, lands on the trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.cases.operations import _deliver, _start
from workflows.errors import Conflict, Invalid, NotFound
from workflows.models import Case, CrisisNotice, CrisisNoticeTrip, Trip
from workflows.permissions import SUPERVISE, Actor
from workflows.runtime import Runtime
from workflows.trip_page.actions import CUSTOMER, _open_trip, _text
from workflows.unit import unit_of_work

OPTIONS = ("keep", "move_dates", "cancel_refund")
FOLLOW_UP_PROCESS = "crisis_follow_up"


@dataclass(frozen=True)
class NoticeSent:
    notice: CrisisNotice
    trip_case_ids: list[int]
    follow_up_case_ids: list[int]


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)) if value else _missing(field)
    except ValueError:
        raise Invalid("bad date", [{"field": field, "message": "a date like 2026-12-20"}]) from None


def _missing(field: str) -> date:
    raise Invalid("missing", [{"field": field, "message": "this field is required"}])


def read_notice(data: Any) -> dict[str, Any]:
    """The notice's fields, checked: 400 naming the field for anything wrong."""
    if not isinstance(data, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object"}])
    title = _text(data.get("title"), "title", required=True)
    if len(title) > 200:
        raise Invalid("title too long", [{"field": "title", "message": "at most 200 characters"}])
    destination = _text(data.get("destination"), "destination", required=True)
    if len(destination) > 200:
        raise Invalid("destination too long", [{"field": "destination", "message": "at most 200 characters"}])
    options = data.get("options")
    if not isinstance(options, list) or not options or any(o not in OPTIONS for o in options):
        raise Invalid(
            "bad options", [{"field": "options", "message": f"a non-empty list of {', '.join(OPTIONS)}"}]
        )
    date_from, date_to = _date(data.get("date_from"), "date_from"), _date(data.get("date_to"), "date_to")
    if date_to < date_from:
        raise Invalid("dates reversed", [{"field": "date_to", "message": "must not be before date_from"}])
    return {
        "title": title,
        "text": _text(data.get("text"), "text", required=True),
        "options": list(dict.fromkeys(options)),
        "destination": destination,
        "date_from": date_from,
        "date_to": date_to,
    }


def affected_trips(session: Session, destination: str, date_from: date, date_to: date) -> list[Case]:
    """Running trips with a signed contract (a trip record) to ``destination`` whose dates meet the
    range: travelling now or booked. A trip still being planned is not booked yet."""
    return list(
        session.scalars(
            select(Case)
            .join(Trip, Trip.case_id == Case.id)
            .where(
                Case.process_key == "trip",
                Case.status == "running",
                func.lower(Trip.destination) == destination.lower(),
                Trip.start_date <= date_to,
                Trip.end_date >= date_from,
            )
            .order_by(Case.id)
        )
    )


def send_crisis_notice(session: Session, rt: Runtime, data: Any, actor: Actor) -> NoticeSent:
    """Stores the notice and starts one ``crisis_follow_up`` per affected trip, all or nothing."""
    actor.require(SUPERVISE, "sending a crisis notice")
    fields = read_notice(data)
    with unit_of_work(session):
        now = rt.clock.now()
        notice = CrisisNotice(**fields, sent_at=now, sent_by=actor.username)
        session.add(notice)
        session.flush()
        trips, follow_ups = [], []
        for trip in affected_trips(session, fields["destination"], fields["date_from"], fields["date_to"]):
            link = CrisisNoticeTrip(notice_id=notice.id, case_id=trip.id)
            session.add(link)
            session.flush()
            start = {
                "trip_case_id": trip.id,
                "crisis_notice_trip_id": link.id,
                "notice_title": fields["title"],
                "notice_text": fields["text"],
                "notice_options": fields["options"],
                "destination": trip.destination,
                "start_date": trip.start_date.isoformat() if trip.start_date else None,
                "end_date": trip.end_date.isoformat() if trip.end_date else None,
            }
            if isinstance((trip.data or {}).get("customer_id"), int):
                start["customer_id"] = trip.data["customer_id"]
            follow_up = _start(session, rt, FOLLOW_UP_PROCESS, start, actor, trip.id)
            link.follow_up_case_id = follow_up.id
            record(
                session,
                "comment",
                now,
                case_id=trip.id,
                user=actor.username,
                text=f"crisis notice: {fields['title']}",
            )
            trips.append(trip.id)
            follow_ups.append(follow_up.id)
    return NoticeSent(notice, trips, follow_ups)


def answer_on_trip_page(
    session: Session, rt: Runtime, token: str, notice_trip_id: Any, answer: Any, notes: Any
) -> None:
    """The customer answers on the trip page: delivered to the follow-up case as ``crisis_answered``."""
    notes = _text(notes, "notes", required=False)
    if (
        not isinstance(notice_trip_id, (int, str))
        or not str(notice_trip_id).isdigit()
        or int(notice_trip_id) >= 2**31
    ):
        raise Invalid("bad notice", [{"field": "notice", "message": "not a notice of this trip"}])
    with unit_of_work(session):
        _access, trip = _open_trip(session, rt, token)
        link = session.get(CrisisNoticeTrip, int(notice_trip_id))
        if link is None or link.case_id != trip.id:
            raise NotFound("no such notice on this trip")
        notice = session.get(CrisisNotice, link.notice_id)
        if answer not in (notice.options or []):
            raise Invalid(
                "bad answer", [{"field": "answer", "message": "choose one of the notice's options"}]
            )
        if link.answer is not None or link.follow_up_case_id is None:
            raise Conflict("this notice has been answered already")
        payload = {"answer": answer, "answer_notes": notes, "answered_by": "customer"}
        try:
            _deliver(session, rt, link.follow_up_case_id, "crisis_answered", payload, CUSTOMER)
        except (Conflict, NotFound):
            raise Conflict("this notice has been answered already") from None


def record_answer(
    session: Session, notice_trip_id: Any, answer: str, notes: str, by: str, now: datetime
) -> bool:
    """Writes the answer on the affected trip's row (the follow-up's handler calls this)."""
    link = session.get(CrisisNoticeTrip, notice_trip_id) if isinstance(notice_trip_id, int) else None
    if link is None or link.answer is not None:
        return False
    link.answer, link.answer_notes, link.answered_by, link.answered_at = answer, notes or "", by, now
    return True


def note_change_case(session: Session, notice_trip_id: Any, change_case_id: int) -> None:
    link = session.get(CrisisNoticeTrip, notice_trip_id) if isinstance(notice_trip_id, int) else None
    if link is not None:
        link.change_case_id = change_case_id


def notices(
    session: Session, actor: Actor, limit: int = 50
) -> list[tuple[CrisisNotice, list[CrisisNoticeTrip]]]:
    """The notices sent, newest first, each with its affected trips (for the supervisor's page)."""
    actor.require(SUPERVISE, "reading crisis notices")
    sent = list(session.scalars(select(CrisisNotice).order_by(CrisisNotice.id.desc()).limit(limit)))
    rows = list(
        session.scalars(
            select(CrisisNoticeTrip).where(CrisisNoticeTrip.notice_id.in_([n.id for n in sent] or [0]))
        )
    )
    return [(n, [r for r in rows if r.notice_id == n.id]) for n in sent]
