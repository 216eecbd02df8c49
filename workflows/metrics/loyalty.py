"""Loyalty of the quarterly review [003 §7.1]: repurchase within a year, and customers per tier."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.metrics.figures import Figure, Scope, percent, rounded
from workflows.metrics.periods import Period
from workflows.metrics.trail import chunks
from workflows.models import Customer, TierChange, Trip

TIER_RANK = {"A": 0, "B": 1, "C": 2}


def _repurchase(session: Session, period: Period, as_of: date) -> tuple[int, int, list[int]]:
    """(customers whose first signed trip falls in the period, of whom bought again, their trip cases)."""
    in_period = (
        select(Trip.customer_id)
        .where(Trip.signed_on >= period.first, Trip.signed_on <= period.last, Trip.customer_id.is_not(None))
        .distinct()
    )
    candidates = list(session.scalars(in_period))
    signed: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for chunk in chunks(candidates):
        for customer_id, signed_on, case_id in session.execute(
            select(Trip.customer_id, Trip.signed_on, Trip.case_id).where(
                Trip.customer_id.in_(chunk), Trip.signed_on.is_not(None)
            )
        ):
            signed[customer_id].append((signed_on, case_id))
    cohort = again = 0
    cases: list[int] = []
    for trips in signed.values():
        trips.sort()
        first = trips[0][0]
        if not period.first <= first <= period.last:
            continue  # bought before the period: not a first purchase
        cohort += 1
        window_end = min(first + timedelta(days=365), as_of)
        later = [t for t in trips[1:] if t[0] <= window_end]
        if later:
            again += 1
        cases += [c for d, c in trips if d <= window_end]
    return cohort, again, sorted(cases)


def repurchase_rate(scope: Scope) -> Figure:
    """Repurchase rate = 100 × (customers with a second signed trip within 365 days of their first)
    ÷ (customers whose first signed trip was signed in the period) [003 §7.1].

    Trips are rows of ``trip`` by ``signed_on``; a second trip counts when signed by ``first + 365
    days`` and by today (``window_complete`` says whether every window has closed). The target is
    +20 % on the same period a year before: ``target = 1.2 × previous_year_value``.
    """
    period = scope.period
    cohort, again, cases = _repurchase(scope.session, period, scope.today)
    before = period.year_before()
    prev_cohort, prev_again, _ = _repurchase(scope.session, before, scope.today)
    previous = percent(prev_again, prev_cohort)
    target = rounded(previous * 1.2) if previous is not None else None
    value = percent(again, cohort)
    details = {
        "repurchased": again,
        "previous_year_value": previous,
        "previous_year_n": prev_cohort,
        "previous_year_period": before.as_dict(),
        "change": rounded(value - previous) if value is not None and previous is not None else None,
        "change_pct": rounded(100.0 * (value - previous) / previous)
        if value is not None and previous not in (None, 0)
        else None,
        "window_complete": period.last + timedelta(days=365) <= scope.today,
    }
    text = "+20 % on the previous year"
    if value is None:
        return Figure(None, "%", 0, target, text, None, "no first trips signed in the period", details)
    met = None if target is None else value >= target
    return Figure(value, "%", cohort, target, text, met, details=details, case_ids=cases)


def tiers(scope: Scope) -> Figure:
    """Customers per tier at the end of the period (value = customers), and tier moves in it.

    A customer's tier at a moment is the ``to_tier`` of their last ``tier_change`` before it, else
    C (every customer starts in C). Up: a move to a better tier (C→B, B→A, C→A); down: the reverse.
    """
    period = scope.period
    session = scope.session
    customers = list(session.scalars(select(Customer.id).where(Customer.created_at < period.end_at)))
    tier_now: dict[int, str] = {c: "C" for c in customers}
    for customer_id, to_tier in session.execute(
        select(TierChange.customer_id, TierChange.to_tier)
        .where(TierChange.at < period.end_at)
        .order_by(TierChange.at, TierChange.id)
    ):
        if customer_id in tier_now:
            tier_now[customer_id] = to_tier
    moves = list(
        session.execute(
            select(TierChange.customer_id, TierChange.from_tier, TierChange.to_tier).where(
                TierChange.at >= period.start_at, TierChange.at < period.end_at
            )
        )
    )
    up = sum(1 for _c, a, b in moves if TIER_RANK.get(b, 2) < TIER_RANK.get(a or "C", 2))
    down = sum(1 for _c, a, b in moves if TIER_RANK.get(b, 2) > TIER_RANK.get(a or "C", 2))
    counts = Counter(tier_now.values())
    details = {"by_tier": {t: counts.get(t, 0) for t in ("A", "B", "C")}, "up": up, "down": down}
    if not customers:
        return Figure(None, "customers", 0, reason="no customers", details=details)
    tier_cases = list(
        session.scalars(
            select(TierChange.case_id).where(
                TierChange.at >= period.start_at,
                TierChange.at < period.end_at,
                TierChange.case_id.is_not(None),
            )
        )
    )
    return Figure(
        len(customers),
        "customers",
        len(customers),
        details=details,
        case_ids=sorted({c for c in tier_cases if c}),
    )
