"""The customer's trip page in the demo: a trip on its way with a fresh link, a rating and a problem
from its customer, and a crisis notice to the trips of one destination, one of them answered."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workflows.errors import TripflowError
from workflows.models import Case, Trip
from workflows.trip_page import actions, crisis
from workflows.trip_page.links import reissue_trip_link


def add_trip_page_demo(sim: Any) -> list[str]:
    """Runs at the end of the simulated year (the clock at "now"); returns lines for the summary."""
    session, rt, today = sim.session, sim.rt, sim.today()
    trips = list(
        session.scalars(
            select(Case)
            .join(Trip, Trip.case_id == Case.id)  # signed: a trip still in planning is not booked
            .where(Case.process_key == "trip", Case.status == "running", Case.start_date.is_not(None))
            .where(Case.end_date >= today)
            .order_by(Case.start_date)
        )
    )
    session.rollback()
    if not trips:
        return ["trip page demo: no trip on its way or booked, nothing added"]
    lines = []
    try:
        trip = trips[0]
        token = reissue_trip_link(session, rt, trip.id, sim.actor("customer_service"))
        actions.rate_trip(session, rt, token, 5, "导游讲解很细致 / A very thoughtful guide")
        if (trip.start_date - today) > timedelta(days=2):
            actions.request_change(
                session, rt, token, "hotel", 1, None, "想换成海景房 / A sea-view room please"
            )
        base = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        lines.append(f"trip page of case #{trip.id}: {base}/trip/{token}")
        first, last = trip.start_date, trip.end_date or trip.start_date
        sent = crisis.send_crisis_notice(
            session,
            rt,
            {
                "title": "台风预警 / Typhoon warning",
                "text": f"{first} 至 {last} 期间{trip.destination}可能有台风，请选择您的安排。"
                f" A typhoon may reach {trip.destination} between {first} and {last}.",
                "destination": trip.destination,
                "date_from": first.isoformat(),
                "date_to": last.isoformat(),
                "options": list(crisis.OPTIONS),
            },
            sim.actor("service_supervisor"),
        )
        row = crisis.notices(session, sim.actor("service_supervisor"), limit=1)[0][1]
        mine = next(r for r in row if r.case_id == trip.id)
        crisis.answer_on_trip_page(session, rt, token, mine.id, "keep", "照常出行 / we go as planned")
        lines.append(f"crisis notice sent to {len(sent.trip_case_ids)} trip(s) to {trip.destination}")
    except TripflowError as exc:
        session.rollback()
        lines.append(f"trip page demo: {exc.message}")
    return lines
