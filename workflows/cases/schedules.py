"""Processes that start by the calendar: tiering every half year, the quarterly review, birthdays.

The timer worker calls ``run_schedules`` every round. Each start is keyed by its period
(``customer_tiering:2027H1``) in ``schedule_run``, inserted in the same transaction as the case,
so any number of workers start it exactly once. A start is due during the first days of its
period only, so a server installed mid-period does not start a review out of the blue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.cases import operations as cases
from workflows.cases.timer_hold import timers_held
from workflows.engine.today import local_today
from workflows.models import Case, Customer, ScheduleRun
from workflows.permissions import SYSTEM
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

GRACE_DAYS = 7
BIRTHDAY_NOTICE_DAYS = 7


@dataclass(frozen=True)
class DueStart:
    key: str
    process: str
    data: dict[str, Any]


def calendar_starts(today: date) -> Iterator[DueStart]:
    """Tiering and the win-back campaign on 1 January and 1 July [000 §3.4, 004]; the review on the
    first day of a quarter [003 §7]."""
    half_start = date(today.year, 1 if today.month <= 6 else 7, 1)
    if (today - half_start).days < GRACE_DAYS:
        half = "H1" if today.month <= 6 else "H2"
        yield DueStart(f"customer_tiering:{today.year}{half}", "customer_tiering", {})
        yield DueStart(f"win_back_campaign:{today.year}{half}", "win_back_campaign", {})
    quarter = (today.month - 1) // 3 + 1
    quarter_start = date(today.year, 3 * quarter - 2, 1)
    if (today - quarter_start).days < GRACE_DAYS:
        yield DueStart(f"quarterly_review:{today.year}Q{quarter}", "quarterly_review", {})


def birthday_starts(session: Session, today: date) -> Iterator[DueStart]:
    """A-tier customers whose birthday is within the next week [000 §4.1]."""
    for offset in range(BIRTHDAY_NOTICE_DAYS + 1):
        day = today + timedelta(days=offset)
        customers = session.scalars(
            select(Customer).where(
                Customer.tier == "A",
                extract("month", Customer.birthday) == day.month,
                extract("day", Customer.birthday) == day.day,
            )
        )
        for customer in customers:
            yield DueStart(
                f"birthday_reminder:{customer.id}:{day.year}",
                "birthday_reminder",
                {
                    "customer_id": customer.id,
                    "customer_name": customer.name,
                    "customer_tier": customer.tier,
                    "birthday": day.isoformat(),
                    "greet_by": f"{day.isoformat()}T09:00:00+08:00",
                    "account_manager": _account_manager_of(session, customer.id) or "",
                },
            )


def _account_manager_of(session: Session, customer_id: int) -> str | None:
    latest = session.scalars(
        select(Case)
        .where(Case.customer_id == customer_id, Case.process_key.in_(("trip", "itinerary_planning")))
        .order_by(Case.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    return (latest.data or {}).get("trip_account_manager") or latest.started_by


def run_schedules(session: Session, rt: Runtime, holder: str | None = None) -> list[int]:
    """Start every calendar process that is due and not yet started; returns the new case ids.

    Nothing while another holds the timers (``timer_hold``), unless the caller is that ``holder``.
    """
    if timers_held(session, holder):
        session.rollback()
        return []
    today = local_today(rt.clock, rt.timezone)
    due = list(calendar_starts(today)) + list(birthday_starts(session, today))
    session.rollback()
    started = []
    for start in due:
        if session.get(ScheduleRun, start.key) is not None:
            continue
        try:
            with unit_of_work(session):
                session.add(ScheduleRun(key=start.key, started_at=rt.clock.now()))
                session.flush()
                case = cases.start_case(session, rt, start.process, start.data, SYSTEM)
                session.get(ScheduleRun, start.key).case_id = case.id  # type: ignore[union-attr]
            started.append(case.id)
        except IntegrityError:
            continue  # another worker started it
    _lapse_points(session, rt)
    return started


def _lapse_points(session: Session, rt: Runtime) -> None:
    """Points past their 24 months (DMN ``points_rules``) get their expiry line in the ledger."""
    from workflows.customers.points import expire_due

    with unit_of_work(session):
        expire_due(session, rt.clock.now())
