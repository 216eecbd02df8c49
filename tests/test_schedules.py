"""Calendar starts: tiering each half year, the quarterly review, A-tier birthday reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from workflows.cases.schedules import calendar_starts, run_schedules
from workflows.customers.operations import create_customer, set_tier
from workflows.models import Case

from .conftest import SHANGHAI, open_task


def test_calendar_starts_in_the_first_days_of_a_period_only():
    assert [s.key for s in calendar_starts(date(2027, 1, 1))] == [
        "customer_tiering:2027H1",
        "win_back_campaign:2027H1",
        "quarterly_review:2027Q1",
    ]
    assert [s.key for s in calendar_starts(date(2027, 7, 3))] == [
        "customer_tiering:2027H2",
        "win_back_campaign:2027H2",
        "quarterly_review:2027Q3",
    ]
    assert [s.key for s in calendar_starts(date(2027, 4, 2))] == ["quarterly_review:2027Q2"]
    assert list(calendar_starts(date(2026, 11, 23))) == []


def test_each_start_happens_once(session, rt, clock):
    clock.set(datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI))
    first = run_schedules(session, rt)
    assert len(first) == 3
    assert run_schedules(session, rt) == []
    processes = sorted(session.scalars(select(Case.process_key)))
    assert processes == ["customer_tiering", "quarterly_review", "win_back_campaign"]


def test_birthday_reminder_goes_to_the_account_manager(session, rt, clock, start_case, work):
    from .conftest import NEEDS

    customer = create_customer(session, {"name": "Gao Yuan", "birthday": "1980-11-28"}, now=clock.now())
    set_tier(session, customer, "A", by="test", reason="test", now=clock.now())
    session.commit()
    planning = start_case()
    work(planning, "collect_needs", customer_id=customer.id, **NEEDS)
    [case_id] = run_schedules(session, rt)
    item = open_task(session, case_id, "send_birthday_greeting")
    assert item.assignee == "account_manager" and item.customer_tier == "A" and item.priority == 0
    assert run_schedules(session, rt) == []
