"""A customer's tier benefits for the card: the opt-out, departures booked or waited for, campaigns
received, member events with RSVP and attendance."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflows.benefits import campaigns, departures, events
from workflows.benefits.checks import get_or_404
from workflows.models import Customer


def customer_benefits(session: Session, customer_id: int) -> dict[str, Any]:
    """``NotFound`` for an unknown customer."""
    get_or_404(session, Customer, customer_id, "customer")
    bookings = departures.bookings_of_customer(session, customer_id)
    routes = {b.departure_id: departures.get_departure(session, b.departure_id).route_name for b in bookings}
    return {
        "opted_out": campaigns.opted_out(session, customer_id),
        "bookings": [{**departures.booking_view(b), "route_name": routes[b.departure_id]} for b in bookings],
        "campaigns": [
            {
                "id": c.id,
                "title": c.title,
                "at": d.at.isoformat(),
                "channel": d.channel,
                "email_status": d.email_status,
            }
            for d, c in campaigns.received_by(session, customer_id)
        ],
        "events": [
            {
                "id": e.id,
                "title": e.title,
                "starts_at": e.starts_at.isoformat(),
                "status": i.status,
                "attended": i.attended,
            }
            for i, e in events.events_of_customer(session, customer_id)
        ],
    }
