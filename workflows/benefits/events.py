"""Member events [000 §4.1: B 级客户可优先参与旅行社组织的会员活动].

An event has a capacity. Invitations go out in waves by tier: each tier's first day is
``invitations_from`` plus how much later than the earliest tier it comes (days from the DMN, B and
above 7 days before C by default). A "yes" takes a place while there is one, else a waitlist
place; a "no" from someone attending frees the place for the head of the waitlist. Attendance is
recorded after the event starts and shows on the customer card.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.benefits.checks import check, get_or_404
from workflows.benefits.decisions import event_lead_days
from workflows.engine.today import local_today
from workflows.errors import Conflict, Invalid
from workflows.models import Customer, EventInvitation, MemberEvent, Trip
from workflows.permissions import EDIT_CUSTOMERS, MANAGE_EVENTS, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

MEMBER_TIERS = ("A", "B", "C", "new")
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 4000},
        "location": {"type": ["string", "null"], "maxLength": 200},
        "starts_at": {"type": "string", "format": "date-time"},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 10000},
        "invitations_from": {"type": "string", "format": "date"},
    },
    "required": ["title", "starts_at", "capacity", "invitations_from"],
    "additionalProperties": False,
}
RSVP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}
ATTENDANCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"attended": {"type": "boolean"}},
    "required": ["attended"],
    "additionalProperties": False,
}


def create(session: Session, rt: Runtime, fields: Any, actor: Actor) -> MemberEvent:
    actor.require(MANAGE_EVENTS, "organising member events")
    data = check(EVENT_SCHEMA, fields)
    starts_at = datetime.fromisoformat(data["starts_at"].replace("Z", "+00:00"))
    if starts_at.tzinfo is None:
        raise Invalid("no time zone", [{"field": "starts_at", "message": "must carry a time zone offset"}])
    invitations_from = date.fromisoformat(data["invitations_from"])
    if invitations_from > starts_at.date():
        raise Invalid(
            "invitations after the event",
            [{"field": "invitations_from", "message": "must not be after the event"}],
        )
    with unit_of_work(session):
        event = MemberEvent(
            title=data["title"],
            description=data.get("description"),
            location=data.get("location"),
            starts_at=starts_at,
            capacity=data["capacity"],
            invitations_from=invitations_from,
            created_by=actor.username,
            created_at=rt.clock.now(),
        )
        session.add(event)
        session.flush()
    return event


def wave_days(session: Session, event: MemberEvent) -> dict[str, date]:
    """The first day each member tier is invited (the DMN's lead days, counted back from the last wave)."""
    leads = {tier: event_lead_days(session, tier) for tier in MEMBER_TIERS}
    last = max(leads.values())
    return {tier: event.invitations_from + timedelta(days=last - lead) for tier, lead in leads.items()}


def _invite(session: Session, event: MemberEvent, today: date, now: datetime) -> int:
    if today > event.starts_at.date():
        return 0
    days = wave_days(session, event)
    invited = select(EventInvitation.customer_id).where(EventInvitation.event_id == event.id)
    members = set(session.scalars(select(Trip.customer_id).where(Trip.customer_id.is_not(None)).distinct()))
    count = 0
    for customer in session.scalars(
        select(Customer).where(Customer.id.not_in(invited)).order_by(Customer.id)
    ):
        if days["new" if customer.tier == "C" and customer.id not in members else customer.tier] <= today:
            session.add(
                EventInvitation(
                    event_id=event.id,
                    customer_id=customer.id,
                    invited_at=now,
                    status="invited",
                    email_status="pending" if customer.email else None,  # sent after commit
                )
            )
            count += 1
    event.invited_on = today
    session.flush()
    return count


def send_invitations(session: Session, rt: Runtime, event_id: int, actor: Actor) -> int:
    """Invites everyone whose wave has opened and who is not invited yet; answers how many."""
    actor.require(MANAGE_EVENTS, "sending invitations")
    with unit_of_work(session):
        event = get_or_404(session, MemberEvent, event_id, "event", lock=True)
        return _invite(session, event, local_today(rt.clock, rt.timezone), rt.clock.now())


def invite_due(session: Session, rt: Runtime) -> int:
    """The worker's round: the waves that opened by today, for every event still to come (once a day each)."""
    today = local_today(rt.clock, rt.timezone)
    with unit_of_work(session):
        events = session.scalars(
            select(MemberEvent)
            .where(
                MemberEvent.invitations_from <= today,
                MemberEvent.starts_at >= rt.clock.now(),
                or_(MemberEvent.invited_on.is_(None), MemberEvent.invited_on < today),
            )
            .with_for_update(skip_locked=True)  # another worker inviting to it: its round, not ours
        )
        return sum(_invite(session, event, today, rt.clock.now()) for event in list(events))


def attending(session: Session, event_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(EventInvitation.id)).where(
                EventInvitation.event_id == event_id, EventInvitation.status == "attending"
            )
        )
        or 0
    )


def record_rsvp(
    session: Session, rt: Runtime, invitation_id: int, fields: Any, actor: Actor
) -> EventInvitation:
    """A customer's answer: yes takes a place (or a waitlist place), no frees one for the waitlist's head."""
    actor.require(EDIT_CUSTOMERS, "recording answers to invitations")
    data = check(RSVP_SCHEMA, fields)
    with unit_of_work(session):
        invitation = get_or_404(session, EventInvitation, invitation_id, "invitation")
        event = get_or_404(session, MemberEvent, invitation.event_id, "event", lock=True)
        session.refresh(invitation)  # as it is now that the event is ours
        if rt.clock.now() >= event.starts_at:
            raise Conflict("the event has started; record attendance instead", [{"code": "event_started"}])
        was_attending = invitation.status == "attending"
        invitation.answered_at = rt.clock.now()
        if data["answer"] == "no":
            invitation.status = "declined"
        elif not was_attending:
            invitation.status = "attending" if attending(session, event.id) < event.capacity else "waitlisted"
        session.flush()
        if was_attending and invitation.status == "declined":
            _promote(session, event)
    return invitation


def _promote(session: Session, event: MemberEvent) -> None:
    free = event.capacity - attending(session, event.id)
    for waiting in waitlist(session, event.id)[: max(free, 0)]:
        waiting.status = "attending"
    session.flush()


def waitlist(session: Session, event_id: int) -> list[EventInvitation]:
    return list(
        session.scalars(
            select(EventInvitation)
            .where(EventInvitation.event_id == event_id, EventInvitation.status == "waitlisted")
            .order_by(EventInvitation.answered_at, EventInvitation.id)
        )
    )


def record_attendance(
    session: Session, rt: Runtime, invitation_id: int, fields: Any, actor: Actor
) -> EventInvitation:
    """Who came, recorded once the event has started."""
    actor.require(MANAGE_EVENTS, "recording attendance")
    data = check(ATTENDANCE_SCHEMA, fields)
    with unit_of_work(session):
        invitation = get_or_404(session, EventInvitation, invitation_id, "invitation")
        event = session.get(MemberEvent, invitation.event_id)
        if rt.clock.now() < event.starts_at:
            raise Conflict(
                "attendance is recorded once the event has started", [{"code": "event_not_started"}]
            )
        invitation.attended = data["attended"]
        session.flush()
    return invitation


def all_events(session: Session, limit: int = 200) -> list[MemberEvent]:
    return list(session.scalars(select(MemberEvent).order_by(MemberEvent.starts_at.desc()).limit(limit)))


def invitations_of(session: Session, event_id: int) -> list[tuple[EventInvitation, Customer]]:
    return [
        (i, c)
        for i, c in session.execute(
            select(EventInvitation, Customer)
            .join(Customer, Customer.id == EventInvitation.customer_id)
            .where(EventInvitation.event_id == event_id)
            .order_by(EventInvitation.invited_at, EventInvitation.id)
        )
    ]


def events_of_customer(session: Session, customer_id: int) -> list[tuple[EventInvitation, MemberEvent]]:
    return [
        (i, e)
        for i, e in session.execute(
            select(EventInvitation, MemberEvent)
            .join(MemberEvent, MemberEvent.id == EventInvitation.event_id)
            .where(EventInvitation.customer_id == customer_id)
            .order_by(MemberEvent.starts_at.desc())
        )
    ]


def invitation_view(invitation: EventInvitation, customer: Customer) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "customer_id": customer.id,
        "customer_name": customer.name,
        "customer_tier": customer.tier,
        "invited_at": invitation.invited_at.isoformat(),
        "status": invitation.status,
        "answered_at": invitation.answered_at.isoformat() if invitation.answered_at else None,
        "attended": invitation.attended,
    }


def event_view(session: Session, event: MemberEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "starts_at": event.starts_at.isoformat(),
        "capacity": event.capacity,
        "attending": attending(session, event.id),
        "invitations_from": event.invitations_from.isoformat(),
        "waves": {tier: day.isoformat() for tier, day in wave_days(session, event).items()},
        "invitations": [invitation_view(i, c) for i, c in invitations_of(session, event.id)],
    }


def get_event(session: Session, event_id: int) -> MemberEvent:
    return get_or_404(session, MemberEvent, event_id, "event")
