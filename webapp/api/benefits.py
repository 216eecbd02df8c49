"""Tier benefits over JSON [000 §4.1]: the route catalogue and its bookings, campaigns, member events."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from workflows.benefits import campaigns, departures, events
from workflows.benefits import card as benefit_card
from workflows.engine.today import local_today

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

PATCH_DEPARTURE = {k: v for k, v in departures.DEPARTURE_SCHEMA.items() if k != "required"}
NO_BODY: dict[str, Any] = {"type": "object", "additionalProperties": False}


def _departure(departure: Any) -> dict[str, Any]:
    rt = runtime()
    view = departures.departure_view(db.session, departure, local_today(rt.clock, rt.timezone))
    bookings = departures.bookings_of(db.session, departure.id)
    names = departures.customer_names(db.session, [b.customer_id for b in bookings])
    return {**view, "bookings": [departures.booking_view(b, names.get(b.customer_id)) for b in bookings]}


@api.get("/departures")
@documented("The catalogue of scheduled group departures still to come", tag="benefits")
def departures_index() -> Any:
    rt = runtime()
    today = local_today(rt.clock, rt.timezone)
    rows = departures.catalogue(db.session, today=today)
    return jsonify({"items": [departures.departure_view(db.session, d, today) for d in rows]})


@api.post("/departures")
@documented(
    "Add a departure to the catalogue",
    body=departures.DEPARTURE_SCHEMA,
    tag="benefits",
    responses={201: "created"},
    who="travel_advisor, process_owner, service_supervisor",
)
def create_departure(body: dict[str, Any]) -> Any:
    return jsonify(_departure(departures.create_departure(db.session, runtime(), body, actor()))), 201


@api.get("/departures/<int:departure_id>")
@documented("One departure with its bookings and waitlist", tag="benefits")
def get_departure(departure_id: int) -> Any:
    return jsonify(_departure(departures.get_departure(db.session, departure_id)))


@api.patch("/departures/<int:departure_id>")
@documented(
    "Change a departure (more seats go to the waitlist's head)",
    body=PATCH_DEPARTURE,
    tag="benefits",
    who="travel_advisor, process_owner, service_supervisor",
)
def update_departure(departure_id: int, body: dict[str, Any]) -> Any:
    return jsonify(
        _departure(departures.update_departure(db.session, runtime(), departure_id, body, actor()))
    )


@api.post("/departures/<int:departure_id>/bookings")
@documented(
    "Book a departure for a customer: seats and a trip case, or a waitlist place",
    body=departures.BOOKING_SCHEMA,
    tag="benefits",
    responses={201: "booked or waitlisted", 409: "the customer's booking window is not open yet"},
    who="account_manager",
)
def book_departure(departure_id: int, body: dict[str, Any]) -> Any:
    booking = departures.book(db.session, runtime(), departure_id, body, actor())
    return jsonify(departures.booking_view(booking)), 201


@api.post("/bookings/<int:booking_id>/cancel")
@documented(
    "Cancel a booking or waitlist place; a freed seat goes to the waitlist's head",
    body=NO_BODY,
    tag="benefits",
    who="account_manager, service_supervisor",
)
def cancel_booking(booking_id: int, body: dict[str, Any]) -> Any:
    return jsonify(departures.booking_view(departures.cancel(db.session, runtime(), booking_id, actor())))


@api.get("/campaigns")
@documented("News and promotions, newest first", tag="benefits")
def campaigns_index() -> Any:
    return jsonify(
        {"items": [campaigns.campaign_view(db.session, c) for c in campaigns.all_campaigns(db.session)]}
    )


@api.post("/campaigns")
@documented(
    "Write a campaign with its target (tier and above, optional interest)",
    body=campaigns.CAMPAIGN_SCHEMA,
    tag="benefits",
    responses={201: "created"},
    who="account_manager",
)
def create_campaign(body: dict[str, Any]) -> Any:
    return jsonify(
        campaigns.campaign_view(db.session, campaigns.create(db.session, runtime(), body, actor()))
    ), 201


@api.get("/campaigns/<int:campaign_id>")
@documented("One campaign and who received it", tag="benefits")
def get_campaign(campaign_id: int) -> Any:
    return jsonify(campaigns.campaign_view(db.session, campaigns.get_campaign(db.session, campaign_id)))


@api.post("/campaigns/<int:campaign_id>/send")
@documented(
    "Send a campaign once to its target group (opted-out customers never)",
    body=NO_BODY,
    tag="benefits",
    responses={409: "already sent"},
    who="account_manager",
)
def send_campaign(campaign_id: int, body: dict[str, Any]) -> Any:
    campaigns.send(db.session, runtime(), campaign_id, actor())
    return jsonify(campaigns.campaign_view(db.session, campaigns.get_campaign(db.session, campaign_id)))


@api.put("/customers/<int:customer_id>/opt-out")
@documented(
    "Whether a customer receives no news or promotions",
    body=campaigns.OPT_OUT_SCHEMA,
    tag="benefits",
    who="account_manager, customer_service, service_supervisor",
)
def set_opt_out(customer_id: int, body: dict[str, Any]) -> Any:
    return jsonify({"opted_out": campaigns.set_opt_out(db.session, runtime(), customer_id, body, actor())})


@api.get("/customers/<int:customer_id>/benefits")
@documented(
    "A customer's tier benefits: opt-out, departures, campaigns received, member events", tag="benefits"
)
def customer_benefits(customer_id: int) -> Any:
    return jsonify(benefit_card.customer_benefits(db.session, customer_id))


@api.get("/events")
@documented("Member events, latest first", tag="benefits")
def events_index() -> Any:
    return jsonify({"items": [events.event_view(db.session, e) for e in events.all_events(db.session)]})


@api.post("/events")
@documented(
    "Organise a member event with a capacity and the first invitation day",
    body=events.EVENT_SCHEMA,
    tag="benefits",
    responses={201: "created"},
    who="account_manager, service_supervisor",
)
def create_event(body: dict[str, Any]) -> Any:
    return jsonify(events.event_view(db.session, events.create(db.session, runtime(), body, actor()))), 201


@api.get("/events/<int:event_id>")
@documented("One member event with its invitations, RSVPs and waitlist", tag="benefits")
def get_event(event_id: int) -> Any:
    return jsonify(events.event_view(db.session, events.get_event(db.session, event_id)))


@api.post("/events/<int:event_id>/invitations")
@documented(
    "Invite everyone whose tier's wave has opened (B and above first)",
    body=NO_BODY,
    tag="benefits",
    who="account_manager, service_supervisor",
)
def invite(event_id: int, body: dict[str, Any]) -> Any:
    return jsonify({"invited": events.send_invitations(db.session, runtime(), event_id, actor())})


@api.post("/invitations/<int:invitation_id>/rsvp")
@documented(
    "Record a customer's answer: yes takes a place or a waitlist place",
    body=events.RSVP_SCHEMA,
    tag="benefits",
    who="account_manager, customer_service, service_supervisor",
)
def rsvp(invitation_id: int, body: dict[str, Any]) -> Any:
    invitation = events.record_rsvp(db.session, runtime(), invitation_id, body, actor())
    return jsonify({"id": invitation.id, "status": invitation.status})


@api.post("/invitations/<int:invitation_id>/attendance")
@documented(
    "Record whether the customer came (once the event has started)",
    body=events.ATTENDANCE_SCHEMA,
    tag="benefits",
    who="account_manager, service_supervisor",
)
def attendance(invitation_id: int, body: dict[str, Any]) -> Any:
    invitation = events.record_attendance(db.session, runtime(), invitation_id, body, actor())
    return jsonify({"id": invitation.id, "status": invitation.status, "attended": invitation.attended})
