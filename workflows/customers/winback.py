"""Winning back churned customers [004: 客户流失与挽回]: who gets a win-back task each half-year,
and what came of it.

A customer gets at most one win-back task per half-year (``2027H1``): listing writes a
``win_back`` row, unique per customer and half-year, in the step that creates the tasks, so a
second campaign in the same half-year (by hand, or the schedule after one by hand) skips them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import Invalid
from workflows.metrics.value import customer_values
from workflows.models import WinBack

OUTCOMES = ("won_back", "not_interested", "unreachable", "later")


def half_year_of(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def list_for_win_back(
    session: Session, rules: dict[str, Any], *, today: date, now: datetime, case_id: int
) -> list[dict[str, Any]]:
    """Churned customers of the tiers ``rules['win_back_tiers']`` names (e.g. ``"AB"``) without a
    win-back this half-year; each is recorded as listed by ``case_id``. Does not commit."""
    half = half_year_of(today)
    tiers = set(str(rules.get("win_back_tiers") or ""))
    taken = set(session.scalars(select(WinBack.customer_id).where(WinBack.half_year == half)))
    listed = []
    for value in customer_values(session, today, rules):
        if not value.churn_reason or value.tier not in tiers or value.customer_id in taken:
            continue
        session.add(
            WinBack(
                customer_id=value.customer_id,
                half_year=half,
                case_id=case_id,
                reason=value.churn_reason,
                listed_at=now,
            )
        )
        listed.append(value.as_dict())
    session.flush()
    return listed


def record_outcome(
    session: Session, case_id: int, customer_id: Any, outcome: Any, notes: Any, *, by: str, now: datetime
) -> WinBack:
    """The account manager's outcome on the listed row; ``Invalid`` names ``outcome`` or ``customer``."""
    if outcome not in OUTCOMES:
        raise Invalid(
            "unknown outcome", [{"field": "outcome", "message": "must be one of " + ", ".join(OUTCOMES)}]
        )
    row = session.scalars(
        select(WinBack).where(WinBack.case_id == case_id, WinBack.customer_id == customer_id)
    ).first()
    if row is None:
        raise Invalid("no such win-back", [{"field": "customer", "message": "not listed by this campaign"}])
    row.outcome, row.notes = outcome, (str(notes) if notes else None)
    row.recorded_by, row.recorded_at = by, now
    session.flush()
    return row


def win_backs_of(session: Session, customer_id: int) -> list[WinBack]:
    """The customer's win-back attempts, newest first (for the customer card)."""
    return list(
        session.scalars(select(WinBack).where(WinBack.customer_id == customer_id).order_by(WinBack.id.desc()))
    )
