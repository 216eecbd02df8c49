"""Every metric of the quarterly review [003 §7.1] by id, in the order ``GET /api/v1/metrics`` shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.errors import Invalid
from workflows.metrics.complaints import complaint_resolution_hours, complaints
from workflows.metrics.cycle_time import cycle_time
from workflows.metrics.figures import Figure, Scope
from workflows.metrics.incidents import incidents
from workflows.metrics.loyalty import repurchase_rate, tiers
from workflows.metrics.periods import Period, month_periods
from workflows.metrics.planning import change_requests, plan_rejection_rate, rework_loops
from workflows.metrics.points import points_outstanding
from workflows.metrics.routes import route_complaint_share
from workflows.metrics.satisfaction import csat, nps
from workflows.metrics.staff import staff
from workflows.metrics.value import churn, value_segments

METRICS: dict[str, Callable[[Scope], Figure]] = {
    "csat": csat,
    "nps": nps,
    "repurchase_rate": repurchase_rate,
    "complaint_resolution_hours": complaint_resolution_hours,
    "complaints": complaints,
    "plan_rejection_rate": plan_rejection_rate,
    "rework_loops": rework_loops,
    "change_requests": change_requests,
    "cycle_time": cycle_time,
    "tiers": tiers,
    "points_outstanding": points_outstanding,
    "value_segments": value_segments,
    "churn": churn,
    "staff": staff,
    "route_complaint_share": route_complaint_share,
    "incidents": incidents,
}


def compute(
    session: Session, period: Period, now: datetime, only: Iterable[str] | None = None
) -> dict[str, Figure]:
    """Every metric (or the ids in ``only``) for one period, in catalogue order."""
    scope = Scope(session, period, now)
    wanted = list(only) if only is not None else list(METRICS)
    return {key: METRICS[key](scope) for key in METRICS if key in wanted}


def metrics_json(session: Session, period: Period, now: datetime) -> dict[str, dict[str, Any]]:
    """The body of ``GET /api/v1/metrics``: metric id → ``{value, target, unit, n, ...}``."""
    return {key: figure.as_dict() for key, figure in compute(session, period, now).items()}


def cases_behind(session: Session, metric: str, period: Period, now: datetime) -> list[int]:
    """Ids of the cases a figure was computed from; raises ``Invalid`` for an unknown metric."""
    if metric not in METRICS:
        raise Invalid(
            "unknown metric", [{"field": "metric", "message": "must be one of: " + ", ".join(METRICS)}]
        )
    return METRICS[metric](Scope(session, period, now)).case_ids


MONTHLY = (
    "csat",
    "nps",
    "complaints",
    "plan_rejection_rate",
    "complaint_resolution_hours",
    "change_requests",
)


def monthly_trends(
    session: Session, last: date, now: datetime, months: int = 12, zone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    """Per calendar month (the ``months`` ending with the month of ``last``): the values of the
    metrics in ``MONTHLY`` and their n, for trend charts."""
    periods = month_periods(last, months, zone)
    series: dict[str, list[Any]] = {key: [] for key in MONTHLY}
    counts: dict[str, list[int]] = {key: [] for key in MONTHLY}
    for period in periods:
        for key, figure in compute(session, period, now, MONTHLY).items():
            series[key].append(figure.value)
            counts[key].append(figure.n)
    return {"months": [p.first.strftime("%Y-%m") for p in periods], "values": series, "n": counts}
