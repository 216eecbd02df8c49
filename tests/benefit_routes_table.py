"""Who may call each tier-benefit route (routes, campaigns, events), for tests/test_security_roles.py."""

from __future__ import annotations

from typing import Any

from workflows.benefits import campaigns, departures, events
from workflows.customers.operations import create_customer, set_tier
from workflows.permissions import (
    BOOK_DEPARTURES,
    CANCEL_BOOKINGS,
    EDIT_CUSTOMERS,
    EDIT_DEPARTURES,
    MANAGE_EVENTS,
    ROLES,
    WRITE_CAMPAIGNS,
)

from .security_world import World, as_actor

EVERYONE = frozenset(ROLES)
ROUTE = {
    "route_name": "Walk Route",
    "destination": "Lijiang",
    "start_date": "2027-01-20",
    "end_date": "2027-01-25",
    "seats": 40,
    "price": 6000,
    "release_on": "2026-11-01",
    "itinerary": [{"day": 1, "transport": "flight"}],
}
CAMPAIGN = {"title": "Walk", "body": "News", "min_tier": "B"}
EVENT = {
    "title": "Walk Tea",
    "starts_at": "2027-01-10T15:00:00+08:00",
    "capacity": 5,
    "invitations_from": "2026-11-01",
}


def _departure(w: World, role: str) -> dict[str, Any]:
    return {
        "departure_id": departures.create_departure(w.session, w.rt, ROUTE, as_actor("travel_advisor")).id
    }


def _booking(w: World, role: str) -> dict[str, Any]:
    customer = create_customer(w.session, {"name": "Walk Booker"}, now=w.rt.clock.now())
    set_tier(w.session, customer, "A", by="test", reason=None, now=w.rt.clock.now())
    w.session.commit()
    departure_id = _departure(w, role)["departure_id"]
    booking = departures.book(
        w.session, w.rt, departure_id, {"customer_id": customer.id}, as_actor("account_manager")
    )
    return {"booking_id": booking.id}


def _campaign(w: World, role: str) -> dict[str, Any]:
    return {"campaign_id": campaigns.create(w.session, w.rt, CAMPAIGN, as_actor("account_manager")).id}


def _event(w: World, role: str) -> dict[str, Any]:
    return {"event_id": events.create(w.session, w.rt, EVENT, as_actor("account_manager")).id}


def _invitation(w: World, role: str) -> dict[str, Any]:
    customer = create_customer(w.session, {"name": "Walk Guest"}, now=w.rt.clock.now())
    set_tier(w.session, customer, "B", by="test", reason=None, now=w.rt.clock.now())
    w.session.commit()
    event_id = _event(w, role)["event_id"]
    events.send_invitations(w.session, w.rt, event_id, as_actor("account_manager"))
    invitation = next(i for i, c in events.invitations_of(w.session, event_id) if c.id == customer.id)
    return {"event_id": event_id, "invitation_id": invitation.id}


def _customer(w: World, role: str) -> dict[str, Any]:
    return {"customer_id": w.customer()}


def benefit_routes(call: Any) -> dict[tuple[str, str], Any]:
    """The table rows, built with the test's ``Call``."""
    return {
        ("api.departures_index", "GET"): call(EVERYONE),
        ("api.create_departure", "POST"): call(EDIT_DEPARTURES, json=ROUTE),
        ("api.get_departure", "GET"): call(EVERYONE, values=_departure),
        ("api.update_departure", "PATCH"): call(EDIT_DEPARTURES, values=_departure, json={"seats": 41}),
        ("api.book_departure", "POST"): call(BOOK_DEPARTURES, values=_departure, json={"customer_id": 1}),
        ("api.cancel_booking", "POST"): call(CANCEL_BOOKINGS, values=_booking, json={}),
        ("api.campaigns_index", "GET"): call(EVERYONE),
        ("api.create_campaign", "POST"): call(WRITE_CAMPAIGNS, json=CAMPAIGN),
        ("api.get_campaign", "GET"): call(EVERYONE, values=_campaign),
        ("api.send_campaign", "POST"): call(WRITE_CAMPAIGNS, values=_campaign, json={}),
        ("api.set_opt_out", "PUT"): call(EDIT_CUSTOMERS, values=_customer, json={"opted_out": True}),
        ("api.customer_benefits", "GET"): call(EVERYONE, values=_customer),
        ("api.events_index", "GET"): call(EVERYONE),
        ("api.create_event", "POST"): call(MANAGE_EVENTS, json=EVENT),
        ("api.get_event", "GET"): call(EVERYONE, values=_event),
        ("api.invite", "POST"): call(MANAGE_EVENTS, values=_event, json={}),
        ("api.rsvp", "POST"): call(EDIT_CUSTOMERS, values=_invitation, json={"answer": "yes"}),
        ("api.attendance", "POST"): call(MANAGE_EVENTS, values=_invitation, json={"attended": True}),
        ("benefits.routes", "GET"): call(EVERYONE),
        ("benefits.add_route", "POST"): call(EDIT_DEPARTURES, data=lambda w, r: {"route_name": "Walk"}),
        ("benefits.route", "GET"): call(EVERYONE, values=_departure),
        ("benefits.edit_route", "POST"): call(
            EDIT_DEPARTURES, values=_departure, data=lambda w, r: {"seats": "41"}
        ),
        ("benefits.book", "POST"): call(
            BOOK_DEPARTURES, values=_departure, data=lambda w, r: {"customer_id": "1"}
        ),
        ("benefits.cancel_booking", "POST"): call(CANCEL_BOOKINGS, values=_booking, data=lambda w, r: {}),
        ("benefits.campaign_list", "GET"): call(EVERYONE),
        ("benefits.add_campaign", "POST"): call(WRITE_CAMPAIGNS, data=lambda w, r: CAMPAIGN),
        ("benefits.campaign", "GET"): call(EVERYONE, values=_campaign),
        ("benefits.send_campaign", "POST"): call(WRITE_CAMPAIGNS, values=_campaign, data=lambda w, r: {}),
        ("benefits.opt_out", "POST"): call(
            EDIT_CUSTOMERS, values=_customer, data=lambda w, r: {"opted_out": "1"}
        ),
        ("benefits.event_list", "GET"): call(EVERYONE),
        ("benefits.add_event", "POST"): call(MANAGE_EVENTS, data=lambda w, r: {"title": "Walk"}),
        ("benefits.event", "GET"): call(EVERYONE, values=_event),
        ("benefits.invite", "POST"): call(MANAGE_EVENTS, values=_event, data=lambda w, r: {}),
        ("benefits.rsvp", "POST"): call(
            EDIT_CUSTOMERS, values=_invitation, data=lambda w, r: {"value": "yes"}
        ),
        ("benefits.attendance", "POST"): call(
            MANAGE_EVENTS, values=_invitation, data=lambda w, r: {"value": "yes"}
        ),
    }
