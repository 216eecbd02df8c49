"""Figures per employee and the monthly service star (服务之星) [003 §4.2: 绩效绑定 CSAT, 投诉解决率, 复购率].

Per employee (``work_item.completed_by``), over the period: tasks done; the share of those with a
due date done by it (within SLA); CSAT of the trips they served (feedback answers in the period
on cases where they completed a task other than the feedback itself); complaints resolved
(``resolve_complaint`` completions); repurchases (contracts they signed for a customer who had
signed a trip before).

The service star of a month, among employees with at least ``star_min_tasks`` tasks done in it
(DMN ``service_figure_rules``): the highest CSAT of trips served (none counts lowest), then the
most complaints resolved plus repurchases, then the highest share within SLA, then the most tasks
done, then the username. Months that have not ended yet have no star.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workflows.errors import NotFound
from workflows.metrics.figures import Figure, Scope, no_data, number, percent
from workflows.metrics.periods import Period, month_periods
from workflows.metrics.rules import SERVICE_FIGURES, decision_outputs
from workflows.metrics.trail import chunks, events_in, values_after
from workflows.models import Trip, WorkItem
from workflows.people.names import display_names

FEEDBACK_TASKS = ("revisit_call", "collect_survey")
NOT_SERVING = (*FEEDBACK_TASKS, "classify_feedback")
STAR_RULE = (
    "≥ star_min_tasks tasks done in the month; highest CSAT of trips served, then complaints "
    "resolved + repurchases, then share within SLA, then tasks done"
)


def employee_rows(scope: Scope) -> dict[str, dict[str, Any]]:
    """``{username: figures}`` for everyone who completed a task in the period."""
    session, period = scope.session, scope.period
    done = list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.status == "completed",
                WorkItem.completed_at >= period.start_at,
                WorkItem.completed_at < period.end_at,
                WorkItem.completed_by.is_not(None),
                WorkItem.completed_by != "system",
            )
        )
    )
    rows: dict[str, dict[str, Any]] = {}
    for item in done:
        row = rows.setdefault(
            item.completed_by or "",
            {"tasks_done": 0, "with_due": 0, "within_sla": 0, "complaints_resolved": 0, "repurchases": 0},
        )
        row["tasks_done"] += 1
        if item.due_at is not None:
            row["with_due"] += 1
            row["within_sla"] += int(item.completed_at is not None and item.completed_at <= item.due_at)
        if item.bpmn_id == "resolve_complaint":
            row["complaints_resolved"] += 1
    for username in _repurchase_signers(scope, [i for i in done if i.bpmn_id == "sign_contract"]):
        rows[username]["repurchases"] += 1
    csat = _csat_served(scope)
    names = display_names(session, rows)
    for username, row in rows.items():
        row["name"] = names.get(username, username)
        row["sla_pct"] = percent(row["within_sla"], row["with_due"])
        satisfied, answers = csat.get(username, (0, 0))
        row["csat"] = percent(satisfied, answers)
        row["csat_n"] = answers
    return dict(sorted(rows.items(), key=lambda kv: kv[1]["name"]))


def _repurchase_signers(scope: Scope, signings: list[WorkItem]) -> list[str]:
    """Who signed each contract of a customer who had signed a trip before it."""
    if not signings:
        return []
    trips = {
        t.case_id: t
        for chunk in chunks(i.case_id for i in signings)
        for t in scope.session.scalars(select(Trip).where(Trip.case_id.in_(chunk)))
    }
    signers = []
    for item in signings:
        trip = trips.get(item.case_id)
        if trip is None or trip.customer_id is None or trip.signed_on is None:
            continue
        earlier = scope.session.scalars(
            select(Trip.id)
            .where(
                Trip.customer_id == trip.customer_id,
                Trip.id != trip.id,
                Trip.signed_on.is_not(None),
                (Trip.signed_on < trip.signed_on)
                | ((Trip.signed_on == trip.signed_on) & (Trip.id < trip.id)),
            )
            .limit(1)
        ).first()
        if earlier is not None:
            signers.append(item.completed_by or "")
    return signers


def _csat_served(scope: Scope) -> dict[str, tuple[int, int]]:
    """``{username: (answers of 4 or 5, answers)}`` over the trips each served."""
    events = events_in(scope, "task_completed", FEEDBACK_TASKS)
    values = values_after(scope.session, events, "satisfaction")
    answers = [(e.case_id, v) for e in events if e.case_id and (v := number(values.get(e.id))) is not None]
    served: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(c for c, _v in answers):
        for case_id, username in scope.session.execute(
            select(WorkItem.case_id, WorkItem.completed_by).where(
                WorkItem.case_id.in_(chunk),
                WorkItem.status == "completed",
                WorkItem.bpmn_id.not_in(NOT_SERVING),
                WorkItem.completed_by.is_not(None),
            )
        ):
            served[case_id].add(username)
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case_id, value in answers:
        for username in served.get(case_id, ()):
            found[username][0] += int(value >= 4)
            found[username][1] += 1
    return {u: (s, n) for u, (s, n) in found.items()}


def service_star(rows: dict[str, dict[str, Any]], min_tasks: int) -> str | None:
    """The username the rule picks (see the module docstring), or None when nobody qualifies."""
    eligible = [(u, r) for u, r in rows.items() if r["tasks_done"] >= min_tasks]
    if not eligible:
        return None

    def rank(entry: tuple[str, dict[str, Any]]) -> tuple[Any, ...]:
        username, r = entry
        return (
            -(r["csat"] if r["csat"] is not None else -1.0),
            -(r["complaints_resolved"] + r["repurchases"]),
            -(r["sla_pct"] if r["sla_pct"] is not None else -1.0),
            -r["tasks_done"],
            username,
        )

    return min(eligible, key=rank)[0]


def _months_of(period: Period) -> list[Period]:
    months = (period.last.year - period.first.year) * 12 + period.last.month - period.first.month + 1
    return [m for m in month_periods(period.last, months, period.timezone) if m.last >= period.first]


def staff(scope: Scope) -> Figure:
    """Employees who completed a task in the period (value), their figures, and the service star
    of each month of the period that has ended (``service_stars``; ``service_star`` the latest)."""
    try:
        min_tasks = int(decision_outputs(scope.session, SERVICE_FIGURES)["star_min_tasks"])
    except NotFound:
        return no_data("employees", "the DMN table service_figure_rules is not deployed")
    rows = employee_rows(scope)
    stars: dict[str, dict[str, Any]] = {}
    for month in _months_of(scope.period):
        if month.last + timedelta(days=1) > scope.today:
            continue
        month_rows = employee_rows(Scope(scope.session, month, scope.now))
        chosen = service_star(month_rows, min_tasks)
        if chosen is not None:
            stars[month.first.strftime("%Y-%m")] = {
                "username": chosen,
                "name": month_rows[chosen]["name"],
                **{k: month_rows[chosen][k] for k in ("tasks_done", "csat", "sla_pct")},
            }
    latest = max(stars) if stars else None
    details = {
        "employees": rows,
        "service_stars": stars,
        "service_star": {"month": latest, **stars[latest]} if latest else None,
        "star_rule": STAR_RULE,
        "star_min_tasks": min_tasks,
    }
    if not rows:
        return no_data("employees", "no task was done in the period", **details)
    return Figure(len(rows), "employees", sum(r["tasks_done"] for r in rows.values()), details=details)
