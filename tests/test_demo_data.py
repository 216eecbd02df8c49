"""The demo history: real cases driven through the case service, quickly, once."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from demo import load_demo_history
from workflows import metrics
from workflows.models import Case, Customer, DepartureBooking, Event, Trip


def test_small_demo_history_is_real_and_loads_once(app: Flask, session: Any, rt: Any, clock: Any) -> None:
    before = rt.clock
    summary = load_demo_history(app, trips=12, days=75, seed=7)
    assert summary.startswith("demo history loaded"), summary
    assert "problem" not in summary, summary
    assert rt.clock is before and rt.clock.now() == clock.now()  # the simulated clock is put back
    trips = session.scalar(
        select(func.count(Case.id)).where(Case.process_key == "trip", Case.started_by != "system")
    )  # besides the trips carried over from the old CRM (demo/customer_value.py)
    booked = session.scalar(
        select(func.count(DepartureBooking.id)).where(DepartureBooking.case_id.is_not(None))
    )
    assert trips == 12 + booked and booked >= 2  # enquiries, and departures booked (tier benefits)
    assert session.scalar(select(func.count(Trip.id))) >= 6  # signed contracts
    assert session.scalar(select(func.count(Customer.id))) >= 10
    first, last = session.execute(select(func.min(Event.at), func.max(Event.at))).one()
    assert (last - first).days >= 50  # spread over the simulated weeks, not all "now"
    assert last <= clock.now()
    period = metrics.Period(first.astimezone(ZoneInfo("Asia/Shanghai")).date(), clock.now().date())
    figures = metrics.metrics_json(session, period, clock.now())
    assert figures["cycle_time"]["n"] > 50 and figures["plan_rejection_rate"]["n"] >= 10
    assert load_demo_history(app, trips=12, days=75) == "demo history exists already: nothing loaded"
