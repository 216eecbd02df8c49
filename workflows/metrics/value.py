"""Who brings the revenue and who is drifting away [004: 二八法则, 客户流失与挽回].

Every customer who signed a trip by the end of the period is placed in one of four groups by
value (12-month spend) and loyalty (trips in 12 months), and checked for churn: no trip for more
than a year, or 12-month spend fallen by more than half against the 12 months before. The
thresholds come from the DMN table ``customer_value_rules``; spend from ``customers.spend``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.customers.spend import spent_trips
from workflows.errors import NotFound
from workflows.metrics.figures import Figure, Scope, no_data, percent
from workflows.metrics.rules import CUSTOMER_VALUE, decision_outputs
from workflows.models import Customer

GROUPS = ("high_frequent", "high_occasional", "low_frequent", "low_occasional")
YEAR = timedelta(days=365)
CHURN_LISTED = 200  # rows of the churn list a figure carries; the customer page pages the rest


@dataclass(frozen=True)
class CustomerValue:
    customer_id: int
    name: str
    tier: str
    spend_12m: float
    spend_previous_12m: float
    trips_12m: int
    last_trip: date
    group: str
    churn_reason: str | None  # "idle", "spend_drop" or None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "tier": self.tier,
            "spend_12m": self.spend_12m,
            "spend_previous_12m": self.spend_previous_12m,
            "trips_12m": self.trips_12m,
            "last_trip": self.last_trip.isoformat(),
            "group": self.group,
            "churn_reason": self.churn_reason,
        }


def customer_values(session: Session, as_of: date, rules: dict[str, Any]) -> list[CustomerValue]:
    """Each customer with a trip signed by ``as_of``: spend in the 12 months up to it and the 12
    before, trips, last trip, group and churn reason, by customer id."""
    recent_from, previous_from = as_of - YEAR, as_of - 2 * YEAR
    spend: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    trips: dict[int, int] = defaultdict(int)
    last: dict[int, date] = {}
    for trip in spent_trips(session, as_of):
        if trip.signed_on > recent_from:
            spend[trip.customer_id][0] += trip.amount
            trips[trip.customer_id] += 1
        elif trip.signed_on > previous_from:
            spend[trip.customer_id][1] += trip.amount
        last[trip.customer_id] = max(last.get(trip.customer_id, trip.travel_day), trip.travel_day)
    if not last:
        return []
    people = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(sorted(last))))}
    high, frequent = float(rules["high_value_spend"]), int(rules["frequent_trips"])
    idle, drop = int(rules["churn_idle_days"]), float(rules["churn_drop_pct"])
    found = []
    for customer_id in sorted(last):
        customer = people.get(customer_id)
        if customer is None:
            continue
        recent, previous = spend[customer_id]
        group = ("high_" if recent >= high else "low_") + (
            "frequent" if trips[customer_id] >= frequent else "occasional"
        )
        reason = None
        if (as_of - last[customer_id]).days > idle:
            reason = "idle"
        elif previous > 0 and recent < previous * (1 - drop / 100.0):
            reason = "spend_drop"
        found.append(
            CustomerValue(
                customer_id,
                customer.name,
                customer.tier,
                round(recent, 2),
                round(previous, 2),
                trips[customer_id],
                last[customer_id],
                group,
                reason,
            )
        )
    return found


def value_rules(session: Session) -> dict[str, Any]:
    """The thresholds of ``customer_value_rules`` as deployed."""
    return decision_outputs(session, CUSTOMER_VALUE)


def _as_of(scope: Scope) -> date:
    return min(scope.period.last, scope.today)


def _values(scope: Scope) -> tuple[dict[str, Any], list[CustomerValue]] | None:
    def make() -> tuple[dict[str, Any], list[CustomerValue]] | None:
        try:
            rules = value_rules(scope.session)
        except NotFound:
            return None
        return rules, customer_values(scope.session, _as_of(scope), rules)

    return scope.once("customer_values", make)


def value_segments(scope: Scope) -> Figure:
    """The 80/20 check: share of the 12-month revenue from the top 20 % of customers (value, %),
    and the four groups by value × loyalty with their customers and share of revenue.

    Over customers with a trip signed by the end of the period (or today); the top is
    ``ceil(top_share_pct % × customers with spend)``, by 12-month spend. No target: the seed
    expects about 80 %, a figure to read, not to meet.
    """
    loaded = _values(scope)
    if loaded is None:
        return no_data("%", "the DMN table customer_value_rules is not deployed")
    rules, values = loaded
    total = sum(v.spend_12m for v in values)
    groups = {}
    for group in GROUPS:
        members = [v for v in values if v.group == group]
        revenue = round(sum(v.spend_12m for v in members), 2)
        groups[group] = {
            "customers": len(members),
            "revenue": revenue,
            "revenue_share": round(100.0 * revenue / total, 2) if total else None,
        }
    spenders = sorted((v.spend_12m for v in values if v.spend_12m > 0), reverse=True)
    top = math.ceil(len(spenders) * float(rules["top_share_pct"]) / 100.0)
    details = {
        "as_of": _as_of(scope).isoformat(),
        "groups": groups,
        "revenue_12m": round(total, 2),
        "top_customers": top,
        "customers_with_spend": len(spenders),
        "top_share_pct": rules["top_share_pct"],
        "high_value_spend": rules["high_value_spend"],
        "frequent_trips": rules["frequent_trips"],
    }
    if not spenders:
        return no_data("%", "no customer spent anything in the 12 months", **details)
    value = round(100.0 * sum(spenders[:top]) / total, 2)
    return Figure(value, "%", len(values), details=details)


def valued_customers(scope: Scope) -> list[CustomerValue]:
    """The customers the figures of this scope were computed over (none without the DMN table)."""
    loaded = _values(scope)
    return loaded[1] if loaded else []


def churn(scope: Scope) -> Figure:
    """Churned customers at the end of the period (value): last trip more than ``churn_idle_days``
    ago, or 12-month spend below (100 − ``churn_drop_pct``) % of the 12 months before; n: every
    customer with a trip; ``rate`` = 100 × churned ÷ n; the list by customer id (a mapping, so the
    CSV export writes one row per field), A and B tiers first."""
    loaded = _values(scope)
    if loaded is None:
        return no_data("customers", "the DMN table customer_value_rules is not deployed")
    rules, values = loaded
    lost = [v for v in values if v.churn_reason]
    lost.sort(key=lambda v: (v.tier, -v.spend_previous_12m, v.customer_id))
    details = {
        "as_of": _as_of(scope).isoformat(),
        "rate": percent(len(lost), len(values)),
        "idle": sum(1 for v in lost if v.churn_reason == "idle"),
        "spend_drop": sum(1 for v in lost if v.churn_reason == "spend_drop"),
        "by_tier": {t: sum(1 for v in lost if v.tier == t) for t in ("A", "B", "C")},
        "churn_idle_days": rules["churn_idle_days"],
        "churn_drop_pct": rules["churn_drop_pct"],
        "customers": {str(v.customer_id): v.as_dict() for v in lost[:CHURN_LISTED]},
    }
    if not values:
        return no_data("customers", "no customer has signed a trip", **details)
    return Figure(len(lost), "customers", len(values), details=details)
