"""The customers page's value view: the four groups by value and loyalty with their share of
revenue (the 80/20 check), and the churn list with each customer's latest win-back outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine.today import local_today
from workflows.metrics.figures import Scope
from workflows.metrics.periods import Period
from workflows.metrics.value import GROUPS, value_segments, valued_customers
from workflows.models import WinBack
from workflows.permissions import EDIT_CUSTOMERS, READ_METRICS, Actor
from workflows.runtime import Runtime

READ_VALUE = EDIT_CUSTOMERS | READ_METRICS


def value_view(session: Session, rt: Runtime, actor: Actor) -> dict[str, Any]:
    """``{figure, groups: {group: [customer]}, churned: [customer + win_back]}`` as of today."""
    actor.require(READ_VALUE, "reading customer value")
    today = local_today(rt.clock, rt.timezone)
    scope = Scope(session, Period(today, today, rt.timezone), rt.clock.now())
    figure = value_segments(scope).as_dict()
    customers = valued_customers(scope)
    groups = {g: [v.as_dict() for v in customers if v.group == g] for g in GROUPS}
    for members in groups.values():
        members.sort(key=lambda v: (-v["spend_12m"], v["name"]))
    churned = [v.as_dict() for v in customers if v.churn_reason]
    latest: dict[int, WinBack] = {}
    ids = [v["customer_id"] for v in churned]
    if ids:
        for row in session.scalars(select(WinBack).where(WinBack.customer_id.in_(ids)).order_by(WinBack.id)):
            latest[row.customer_id] = row
    for row in churned:
        attempt = latest.get(row["customer_id"])
        row["win_back"] = (
            {"half_year": attempt.half_year, "outcome": attempt.outcome, "notes": attempt.notes}
            if attempt
            else None
        )
    churned.sort(key=lambda v: (v["tier"], -v["spend_previous_12m"], v["name"]))
    return {"as_of": today.isoformat(), "figure": figure, "groups": groups, "churned": churned}
