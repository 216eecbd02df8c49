"""Two account managers booking the last seat of a departure at the same instant, with real threads:
one gets it, the other waits on the waitlist; never both (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from workflows.benefits import departures
from workflows.customers.operations import create_customer, set_tier
from workflows.models import DepartureBooking
from workflows.permissions import Actor

from .test_benefit_routes import ROUTE
from .test_concurrency import _in_threads, shared_app  # noqa: F401 - the fixture

MANAGER = Actor("account_manager", frozenset({"account_manager"}))


def test_the_last_seat_goes_to_one_booking(shared_app):  # noqa: F811
    rt = shared_app.extensions["tripflow"]
    with shared_app.app_context():
        departure = departures.create_departure(
            db.session,
            rt,
            {**ROUTE, "seats": 1, "release_on": "2026-11-01"},
            Actor("t", frozenset({"travel_advisor"})),
        )
        ids = []
        for name in ("First", "Second"):
            row = create_customer(db.session, {"name": name}, now=rt.clock.now())
            set_tier(db.session, row, "B", by="test", reason=None, now=rt.clock.now())
            ids.append(row.id)
        db.session.commit()
        departure_id = departure.id
        db.session.remove()

    def book(index: int) -> str:
        booking = departures.book(db.session, rt, departure_id, {"customer_id": ids[index]}, MANAGER)
        return booking.status

    results = _in_threads(shared_app, 2, book)
    assert sorted(results) == ["booked", "waitlisted"], results
    with shared_app.app_context():
        rows = db.session.scalars(select(DepartureBooking).where(DepartureBooking.status == "booked")).all()
        assert len(rows) == 1 and rows[0].case_id is not None
