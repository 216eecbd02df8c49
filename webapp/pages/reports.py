"""Reports: the metrics of a quarter or a date range with targets, trends and charts, the cases
behind each figure, a per-step heatmap of a process, and a printable quarterly report."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflows import metrics as metric_service
from workflows.cases.queries import cases_by_id
from workflows.deploy.queries import process_bpmn, process_list
from workflows.engine.today import local_today
from workflows.errors import Invalid, NotFound
from workflows.metrics.verdict import small_sample, verdict
from workflows.permissions import READ_METRICS

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .customers import value_group_labels
from .diagram_names import localized_bpmn
from .labels import process_label, task_label

bp = page_blueprint("reports", __name__)
CASES_SHOWN = 500

METRIC_LABELS = {
    "csat": _l("Customer satisfaction (CSAT)"),
    "nps": _l("Net promoter score (NPS)"),
    "repurchase_rate": _l("Repurchase rate"),
    "complaint_resolution_hours": _l("Complaint resolution time"),
    "complaints": _l("Complaints"),
    "plan_rejection_rate": _l("Plan rejection rate"),
    "rework_loops": _l("Rework loops"),
    "change_requests": _l("Change requests"),
    "cycle_time": _l("Task cycle time"),
    "tiers": _l("Customers by tier"),
    "points_outstanding": _l("Points outstanding"),
    "value_segments": _l("Revenue from the top customers (20 %)"),
    "churn": _l("Churned customers"),
    "staff": _l("Employees and the service star"),
    "route_complaint_share": _l("Route topics above the complaint threshold"),
    "incidents": _l("Incidents during trips"),
}
METRIC_HELP = {
    "csat": _l("Share of feedback answers with satisfaction 4 or 5."),
    "nps": _l("Promoters (9–10) minus detractors (0–6), in percentage points."),
    "repurchase_rate": _l(
        "Customers whose first trip was signed in the period and who signed a second trip within 12 months."
    ),
    "complaint_resolution_hours": _l(
        "Median hours from a complaint being raised to its resolution; the target is met only when "
        "every complaint was resolved within 24 hours."
    ),
    "complaints": _l("Complaints raised in the period."),
    "plan_rejection_rate": _l("Share of itinerary reviews that sent the plan back."),
    "rework_loops": _l("Design rounds beyond the first, per planning case."),
    "change_requests": _l("Change requests per trip under way."),
    "cycle_time": _l("Median hours from a task appearing in an inbox to its completion."),
    "tiers": _l("Customers at the end of the period."),
    "points_outstanding": _l("Points all customers hold at the end of the period, lapsed points taken off."),
    "value_segments": _l(
        "The 80/20 check: share of the last 12 months' revenue from the top fifth of customers, and "
        "the four groups by value and loyalty."
    ),
    "churn": _l(
        "Customers whose last trip is more than 12 months ago, or whose 12-month spend fell by more "
        "than half."
    ),
    "staff": _l("Employees who completed tasks; the service star of each month is chosen by the rule below."),
    "route_complaint_share": _l(
        "Complaints on one topic as a share of a route's feedback; above 15 % an improvement item is filed."
    ),
    "incidents": _l(
        "Median minutes from an incident to the guide's alternatives; met when the p90 is within 10."
    ),
}
TARGET_TEXT = {
    "csat": _l("≥ 90 %"),
    "nps": _l("≥ 40"),
    "repurchase_rate": _l("20 percent above the previous year"),
    "complaint_resolution_hours": _l("≤ 24 h"),
    "route_complaint_share": _l("None above the 15 % threshold"),
    "incidents": _l("≤ 10 min"),
}
TOPIC_LABELS = {
    "transport": _l("Transport"),
    "hotel": _l("Hotel"),
    "meals": _l("Meals"),
    "guide": _l("Guide"),
    "itinerary": _l("Itinerary"),
    "price": _l("Price"),
    "other": _l("Other"),
}


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def _with_unit(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{_number(value)} %"
    if unit == "h":
        return _("%(n)s h", n=_number(value))
    if unit == "min":
        return _("%(n)s min", n=_number(value))
    if unit == "per trip":
        return _number(value, 2)
    if unit == "loops per case":
        return _number(value, 2)
    return _number(value)


def _detail(key: str, f: dict[str, Any]) -> str:
    """The secondary figures of a metric, in one line."""
    if key == "complaint_resolution_hours":
        return _(
            "%(share)s within 24 h · %(missed)s missed · slowest %(slowest)s · "
            "p90 %(p90)s · %(open)s unresolved",
            share=_with_unit(f.get("within_target_pct"), "%"),
            missed=f.get("missed", 0),
            slowest=_with_unit(f.get("slowest_hours"), "h"),
            p90=_with_unit(f.get("p90_hours"), "h"),
            open=f.get("unresolved", 0),
        )
    if key == "complaints":
        return _(
            "%(urgent)s urgent · %(esc)s escalations · %(sla)s SLA breaches",
            urgent=_with_unit(f.get("urgent_pct"), "%"),
            esc=f.get("escalations", 0),
            sla=f.get("sla_breaches", 0),
        )
    if key == "repurchase_rate":
        return _(
            "previous year %(prev)s · change %(change)s pp",
            prev=_with_unit(f.get("previous_year_value"), "%"),
            change=_number(f.get("change")),
        )
    if key == "plan_rejection_rate":
        return _("%(n)s rejected", n=f.get("rejected", 0)) if f.get("n") else ""
    if key == "rework_loops":
        return _("%(total)s loops in all", total=f.get("total", 0))
    if key == "change_requests":
        return _(
            "%(count)s requests · %(rate)s approved · mean cost change %(delta)s CNY",
            count=f.get("count", 0),
            rate=_with_unit(f.get("approval_rate"), "%"),
            delta=_number(f.get("mean_cost_delta"), 0),
        )
    if key == "cycle_time":
        return _("p90 %(p90)s", p90=_with_unit(f.get("p90_hours"), "h"))
    if key == "incidents":
        return _(
            "%(count)s incidents · p90 %(p90)s · %(late)s unanswered",
            count=f.get("count", 0),
            p90=_with_unit(f.get("p90_minutes"), "min"),
            late=f.get("unanswered", 0),
        )
    if key == "tiers":
        tiers = f.get("by_tier", {})
        return _(
            "A %(a)s · B %(b)s · C %(c)s · %(up)s up, %(down)s down",
            a=tiers.get("A", 0),
            b=tiers.get("B", 0),
            c=tiers.get("C", 0),
            up=f.get("up", 0),
            down=f.get("down", 0),
        )
    if key == "points_outstanding":
        return _("worth %(cny)s CNY off prices", cny=_number(f.get("value_cny"), 2)) if f.get("n") else ""
    if key == "value_segments":
        groups = f.get("groups", {})
        return _(
            "high value × frequent %(hf)s · high × occasional %(ho)s · low × frequent %(lf)s · "
            "low × occasional %(lo)s customers",
            hf=groups.get("high_frequent", {}).get("customers", 0),
            ho=groups.get("high_occasional", {}).get("customers", 0),
            lf=groups.get("low_frequent", {}).get("customers", 0),
            lo=groups.get("low_occasional", {}).get("customers", 0),
        )
    if key == "churn":
        return _(
            "%(rate)s of customers · %(idle)s without a trip for a year · %(drop)s spend halved",
            rate=_with_unit(f.get("rate"), "%"),
            idle=f.get("idle", 0),
            drop=f.get("spend_drop", 0),
        )
    if key == "staff":
        star = f.get("service_star")
        return _("service star %(month)s: %(name)s", month=star["month"], name=star["name"]) if star else ""
    if key == "route_complaint_share":
        return _(
            "highest share %(share)s · %(judged)s routes judged",
            share=_with_unit(f.get("highest_share"), "%"),
            judged=f.get("judged_routes", 0),
        )
    if key == "nps":
        return (
            _("%(p)s promoters · %(d)s detractors", p=f.get("promoters", 0), d=f.get("detractors", 0))
            if f.get("n")
            else ""
        )
    return ""


def metric_rows(
    current: dict[str, dict[str, Any]], previous: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """What the metrics table and the printable report show, one row per metric."""
    rows = []
    for key, f in current.items():
        before = previous.get(key, {})
        change = None
        if isinstance(f["value"], int | float) and isinstance(before.get("value"), int | float):
            change = f["value"] - before["value"]
        rows.append(
            {
                "key": key,
                "label": str(METRIC_LABELS.get(key, key)),
                "help": str(METRIC_HELP.get(key, "")),
                "value": _with_unit(f["value"], f["unit"]) if f["value"] is not None else _("No data"),
                "raw": f["value"],
                "n": f["n"],
                "target": str(TARGET_TEXT[key]) if key in TARGET_TEXT else "—",
                "met": f.get("met") if verdict(f) != "no_data" else None,
                "no_data": verdict(f) == "no_data",
                "small_sample": small_sample(key, f),
                "previous": _with_unit(before.get("value"), f["unit"]),
                "change": None
                if change is None
                else (("+" if change > 0 else "") + _number(round(change, 2), 2)),
                "detail": _detail(key, f),
                "reason": f.get("reason"),
            }
        )
    return rows


def _period_or_default(default: metric_service.Period) -> tuple[metric_service.Period, list[str]]:
    """The period the query asks for; on bad input the default, with the reasons to show."""
    rt = runtime()
    args = {k: v for k, v in request.args.items() if k in ("quarter", "from", "to") and v}
    if not args:
        return default, []
    try:
        return metric_service.period_from_query(args, rt.timezone, local_today(rt.clock, rt.timezone)), []
    except Invalid as exc:
        return default, [f"{d['field']}: {d['message']}" for d in exc.details]


def _quarter_choices(today: date, count: int = 8) -> list[str]:
    period = metric_service.quarter_of(today)
    choices = [period.label]
    while len(choices) < count:
        period = period.previous()
        choices.append(period.label)
    return choices


def _period_args(period: metric_service.Period) -> dict[str, str]:
    if period.quarter:
        return {"quarter": period.quarter}
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


NO_TRENDS: dict[str, Any] = {
    "months": [],
    "values": {"csat": [], "nps": [], "complaints": [], "plan_rejection_rate": []},
}


def chart_data(current: dict[str, dict[str, Any]], trends: dict[str, Any] | None = None) -> dict[str, Any]:
    """What js/reports.js draws; a frozen report (no ``trends``) gets empty monthly series."""
    trends = trends or NO_TRENDS
    per_task = (current.get("cycle_time") or {}).get("per_task", {})
    busiest = sorted(per_task.items(), key=lambda kv: -(kv[1]["total"]["median_hours"] or 0))[:12]
    by_topic = (current.get("complaints") or {}).get("by_topic", {})
    return {
        "trends": trends,
        "cycle": {
            "labels": [task_label(k) for k, _v in busiest],
            "waiting": [v["waiting"]["median_hours"] for _k, v in busiest],
            "working": [v["working"]["median_hours"] for _k, v in busiest],
            "p90": [v["total"]["p90_hours"] for _k, v in busiest],
        },
        "topics": {
            "labels": [str(TOPIC_LABELS.get(t, t)) for t in by_topic],
            "values": list(by_topic.values()),
        },
        "tiers": (current.get("tiers") or {}).get("by_tier", {}),
        "text": {
            "csat": _("CSAT (%)"),
            "nps": _("NPS"),
            "complaints": _("Complaints"),
            "plan_rejection_rate": _("Plans rejected (%)"),
            "complaint_resolution_hours": _("Resolution (h, median)"),
            "waiting": _("Waiting (h, median)"),
            "working": _("Working (h, median)"),
            "p90": _("Total (h, p90)"),
            "customers": _("Customers"),
            "no_data": _("No data in this period."),
        },
    }


def _heatmap(process: str, period: metric_service.Period) -> tuple[list[dict[str, Any]], str | None]:
    try:
        steps = metric_service.step_durations(
            db.session, process, period.first, period.last, timezone_name=period.timezone
        )
    except NotFound as exc:
        return [], exc.message
    top = max((s["median_hours"] or 0 for s in steps.values()), default=0) or 1
    rows = []
    for bpmn_id, s in steps.items():
        level = 0 if not s["count"] else min(5, 1 + int(4 * (s["median_hours"] or 0) / top))
        label = process_label(s["called"]) if s.get("called") else task_label(bpmn_id, bpmn_id)
        rows.append(
            {
                "id": bpmn_id,
                "label": label,
                "kind": s["kind"],
                "count": s["count"],
                "median": _with_unit(s["median_hours"], "h"),
                "p90": _with_unit(s["p90_hours"], "h"),
                "level": level,
                "median_hours": s["median_hours"],
                "p90_hours": s["p90_hours"],
            }
        )
    return rows, None


@bp.get("/reports")
def index() -> Any:
    actor().require(READ_METRICS, "reading reports")
    rt = runtime()
    now = rt.clock.now()
    today = local_today(rt.clock, rt.timezone)
    period, problems = _period_or_default(metric_service.quarter_of(today, rt.timezone))
    previous = period.previous()
    current = metric_service.metrics_json(db.session, period, now)
    before = metric_service.metrics_json(db.session, previous, now)
    trends = metric_service.monthly_trends(db.session, period.last, now, 12, rt.timezone)
    processes = [p["key"] for p in process_list(db.session)]
    process = request.args.get("process") or ("trip" if "trip" in processes else (processes or [""])[0])
    heat, heat_problem = _heatmap(process, period) if process in processes else ([], None)
    return render_template(
        "reports/index.html",
        period=period,
        previous=previous,
        rows=metric_rows(current, before),
        figures=current,
        chart=chart_data(current, trends),
        problems=problems,
        quarters=_quarter_choices(today),
        period_args=_period_args(period),
        processes=processes,
        process=process,
        heat=heat,
        heat_problem=heat_problem,
        topic_labels={k: str(v) for k, v in TOPIC_LABELS.items()},
        metric_labels={k: str(v) for k, v in METRIC_LABELS.items()},
        value_group_labels=value_group_labels(),
    )


@bp.get("/reports/diagram/<key>.bpmn")
def diagram(key: str) -> Any:
    """The heatmap's diagram: the latest version of the process, its names in the reader's language."""
    actor().require(READ_METRICS, "reading reports")
    return Response(localized_bpmn(process_bpmn(db.session, key, None)), mimetype="application/xml")


@bp.get("/reports/cases")
def cases_behind() -> Any:
    actor().require(READ_METRICS, "reading reports")
    rt = runtime()
    period, problems = _period_or_default(
        metric_service.quarter_of(local_today(rt.clock, rt.timezone), rt.timezone)
    )
    metric = request.args.get("metric", "")
    if metric not in metric_service.METRICS:
        raise Invalid(
            _("Choose a metric."), [{"field": "metric", "message": ", ".join(metric_service.METRICS)}]
        )
    ids = metric_service.cases_behind(db.session, metric, period, rt.clock.now())
    shown = cases_by_id(db.session, ids[:CASES_SHOWN])
    return render_template(
        "reports/cases.html",
        period=period,
        metric=metric,
        metric_label=str(METRIC_LABELS[metric]),
        cases=shown,
        total=len(ids),
        limit=CASES_SHOWN,
        problems=problems,
        period_args=_period_args(period),
        back=url_for("reports.index", **_period_args(period)),
    )


@bp.get("/reports/print")
def printable() -> Any:
    """The quarterly report for paper: the last full quarter unless one is asked for."""
    actor().require(READ_METRICS, "reading reports")
    rt = runtime()
    now = rt.clock.now()
    period, problems = _period_or_default(
        metric_service.previous_quarter(local_today(rt.clock, rt.timezone), rt.timezone)
    )
    current = metric_service.metrics_json(db.session, period, now)
    before = metric_service.metrics_json(db.session, period.previous(), now)
    cycle = current["cycle_time"].get("per_task", {})
    trends = metric_service.monthly_trends(db.session, period.last, now, 12, rt.timezone)
    return render_template(
        "reports/print.html",
        chart=chart_data(current, trends),
        period=period,
        previous=period.previous(),
        rows=metric_rows(current, before),
        figures=current,
        problems=problems,
        cycle=sorted(cycle.items(), key=lambda kv: kv[0]),
        generated_at=now,
        topic_labels={k: str(v) for k, v in TOPIC_LABELS.items()},
        process_label=process_label,
    )
