"""What the customer does on their trip page, each one unit of work for the one trip the link opens.

The customer has no account: the actor is ``CUSTOMER``, whose name (with spaces, which no user
name may have) marks the history, and whose roles let it open a complaint or a change request
and deliver a message, as the agency's own desk would on the customer's behalf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.cases.locks import lock_case
from workflows.cases.operations import _deliver, _start
from workflows.errors import Conflict, Invalid, NotFound
from workflows.models import Case, TripRating
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.trip_page.case_data import set_and_offer
from workflows.trip_page.links import TripAccess, resolve
from workflows.unit import unit_of_work

CUSTOMER = Actor("customer (trip page)", frozenset({"account_manager", "customer_service"}))
CHANGE_WINDOW = timedelta(hours=24)  # the same window as change_request's check [003 §5.1]
SELF_SERVICE_CHANGES = ("hotel", "flight")
MAX_TEXT = 2000
INCIDENT_PROCESS = "trip_incident"


class TooLate(Invalid):
    """A self-service change for a service that starts within 24 hours [003 §5.1]."""


def _text(value: Any, field: str, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise Invalid("missing text", [{"field": field, "message": "this field is required"}])
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise Invalid("bad text", [{"field": field, "message": f"text of at most {MAX_TEXT} characters"}])
    return value.strip()


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid("bad number", [{"field": field, "message": f"a whole number from {low} to {high}"}])
    return value


def _open_trip(session: Session, rt: Runtime, token: str) -> tuple[TripAccess, Case]:
    """The trip the link opens, locked: inside the unit, so a link revoked meanwhile is seen."""
    access = resolve(session, token, rt.clock.now(), rt.timezone)
    case = lock_case(session, access.case_id)
    if case is None:
        raise NotFound("no such trip")
    return access, case


# --- rating ---------------------------------------------------------------------------------------


def rate_trip(session: Session, rt: Runtime, token: str, score: Any, text: Any) -> TripRating:
    """Stored always; written into ``trip_ratings`` and sent as ``customer_rating`` when the case runs."""
    score = _whole(score, "score", 1, 5)
    text = _text(text, "text", required=False)
    with unit_of_work(session):
        _access, case = _open_trip(session, rt, token)
        now = rt.clock.now()
        rating = TripRating(case_id=case.id, score=score, text=text, rated_at=now)
        session.add(rating)
        session.flush()
        if case.status == "running":
            _offer_ratings(session, rt, case)
    return rating


def _offer_ratings(session: Session, rt: Runtime, case: Case) -> None:
    rows = list(
        session.scalars(select(TripRating).where(TripRating.case_id == case.id).order_by(TripRating.id))
    )
    ratings = [_rating_json(r) for r in rows]
    pending = [r for r in rows if r.delivered_at is None]
    delivered = set_and_offer(
        session,
        rt,
        case,
        {"trip_ratings": ratings},
        [("customer_rating", _rating_json(r)) for r in pending],
        CUSTOMER,
        "rating from the customer's trip page",
    )
    for index in delivered:
        pending[index].delivered_at = rt.clock.now()


def _rating_json(rating: TripRating) -> dict[str, Any]:
    return {"score": rating.score, "text": rating.text, "rated_at": rating.rated_at.isoformat()}


# --- a problem: a complaint raised now ------------------------------------------------------------


def report_problem(session: Session, rt: Runtime, token: str, details: Any, urgent: Any) -> Case:
    """Opens ``complaint_handling`` on the trip with ``raised_at`` = now (PROCESSES.md §6)."""
    details = _text(details, "details", required=True)
    if urgent not in (None, True, False, "", "on", "1", "true"):
        raise Invalid("bad flag", [{"field": "urgent", "message": "yes or no"}])
    with unit_of_work(session):
        _access, trip = _open_trip(session, rt, token)
        data = {
            "trip_case_id": trip.id,
            "raised_at": rt.clock.now().isoformat(),
            "urgency": "urgent" if urgent in (True, "on", "1", "true") else "normal",
            "complaint_details": details,
            "complaint_source": "trip_page",
        }
        if isinstance((trip.data or {}).get("customer_id"), int):
            data["customer_id"] = trip.data["customer_id"]
        complaint = _start(session, rt, "complaint_handling", data, CUSTOMER, trip.id)
    return complaint


# --- a self-service change -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeWish:
    change_type: str
    day: int
    at: time | None
    details: str


def read_change_wish(change_type: Any, day: Any, at: Any, details: Any) -> ChangeWish:
    if change_type not in SELF_SERVICE_CHANGES:
        raise Invalid("bad change", [{"field": "change_type", "message": "hotel or flight"}])
    when = None
    if at not in (None, ""):
        try:
            when = time.fromisoformat(str(at))
        except ValueError:
            raise Invalid("bad time", [{"field": "time", "message": "a time like 14:30"}]) from None
    return ChangeWish(change_type, _whole(day, "day", 1, 366), when, _text(details, "details", required=True))


def service_start(trip: Case, wish: ChangeWish, timezone: str) -> datetime:
    first = trip.start_date or date.fromisoformat(str((trip.data or {}).get("start_date")))
    day = first + timedelta(days=wish.day - 1)
    return datetime.combine(day, wish.at or time(0, 0), tzinfo=ZoneInfo(timezone))


def request_change(
    session: Session, rt: Runtime, token: str, change_type: Any, day: Any, at: Any, details: Any
) -> Case:
    """Opens ``change_request`` on the trip, prefilled with the customer's words; refused within 24 h."""
    wish = read_change_wish(change_type, day, at, details)
    with unit_of_work(session):
        _access, trip = _open_trip(session, rt, token)
        days = len((trip.data or {}).get("itinerary") or []) or (
            (trip.end_date - trip.start_date).days + 1 if trip.start_date and trip.end_date else 1
        )
        if wish.day > days:
            raise Invalid("no such day", [{"field": "day", "message": f"the trip has {days} days"}])
        start = service_start(trip, wish, rt.timezone)
        if start - rt.clock.now() < CHANGE_WINDOW:
            message = "changes are not accepted within 24 hours of the service start [003 §5.1]"
            raise TooLate(message, [{"field": "day", "message": message, "code": "change_window"}])
        data = {
            "trip_case_id": trip.id,
            "change_type": wish.change_type,
            "reason": "客户在行程页面提出 / asked by the customer on the trip page",
            "details": wish.details,
            "affected_service_start": start.isoformat(),
            "change_source": "customer",
            "customer_request": f"day {wish.day}: {wish.details}",
        }
        change = _start(session, rt, "change_request", data, CUSTOMER, None)
    return change


# --- incidents: the customer chooses an alternative ----------------------------------------------


def open_incidents(session: Session, trip_id: int) -> list[Case]:
    """Running ``trip_incident`` cases of the trip (none while that process does not exist)."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.parent_id == trip_id, Case.process_key == INCIDENT_PROCESS, Case.status == "running")
            .order_by(Case.id)
        )
    )


def alternatives_of(incident: Case) -> list[dict[str, Any]]:
    found = (incident.data or {}).get("alternatives")
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def choose_alternative(session: Session, rt: Runtime, token: str, incident_id: Any, choice: Any) -> Case:
    """Delivers ``alternative_chosen`` to an incident of this trip; 404 for any other case."""
    incident_id = _whole(incident_id, "incident", 1, 2**31 - 1)
    choice = _whole(choice, "choice", 0, 2)
    with unit_of_work(session):
        _access, trip = _open_trip(session, rt, token)
        incident = lock_case(session, incident_id)
        if (
            incident is None
            or incident.parent_id != trip.id
            or incident.process_key != INCIDENT_PROCESS
            or incident.status != "running"
        ):
            raise NotFound("no such incident on this trip")
        options = alternatives_of(incident)
        if choice >= len(options):
            raise Invalid(
                "no such alternative", [{"field": "choice", "message": "choose one of the alternatives"}]
            )
        chosen = options[choice]
        payer = chosen.get("payer") if chosen.get("payer") in ("customer", "agency") else "customer"
        payload = {"choice": choice, "chosen_by": "customer", "payer": payer}
        try:
            _deliver(session, rt, incident.id, "alternative_chosen", payload, CUSTOMER)
        except Conflict:
            raise Conflict("this incident is no longer waiting for a choice") from None
    return incident
