"""Quarterly review [003 §7, 001 §3.4.4]: freeze last quarter's figures into a report on the case,
then record the analyst's decisions on the improvement backlog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, select_autoescape

from workflows import metrics
from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry
from workflows.metrics.verdict import small_sample, verdict

# Bilingual labels: the report is a document filed on the case, read outside the web pages.
METRIC_LABELS = {
    "csat": "客户满意度 CSAT",
    "nps": "净推荐值 NPS",
    "repurchase_rate": "复购率 Repurchase rate",
    "complaint_resolution_hours": "投诉处理时长 Complaint resolution (median)",
    "complaints": "投诉 Complaints",
    "plan_rejection_rate": "方案驳回率 Plan rejection rate",
    "rework_loops": "返工轮次 Rework loops",
    "change_requests": "行程变更 Change requests",
    "cycle_time": "任务周期 Task cycle time (median)",
    "tiers": "客户分级 Customers",
    "value_segments": "二八检验 Revenue from the top 20 % of customers",
    "churn": "流失客户 Churned customers",
    "staff": "员工 Employees",
    "route_complaint_share": "线路投诉超标主题 Route topics above the complaint threshold",
}

REPORT = """{% extends "base.html" %}
{% block title %}季度服务复盘 Quarterly report {{ period.label }}{% endblock %}
{% block body %}
<h1>季度服务复盘 <span class="en">Quarterly service report</span> {{ period.label }}</h1>
<p>{{ period["from"] }} – {{ period["to"] }}</p>
<h2>指标 <span class="en">Metrics</span></h2>
<table>
  <tr><th>指标 <span class="en">Metric</span></th><th>数值 <span class="en">Value</span></th>
      <th>目标 <span class="en">Target</span></th><th>样本 <span class="en">n</span></th></tr>
  {% for row in rows %}
  <tr><td>{{ row.label }}</td>
      <td>{{ row.shown }}{% if row.met is sameas true %} ✓{% elif row.met is sameas false %} ✗{% endif %}</td>
      <td>{{ row.target_text or "—" }}</td><td>{{ row.n }}</td></tr>
  {% endfor %}
</table>
<h2>投诉 <span class="en">Complaints</span></h2>
<table>
  <tr><th>紧急占比 <span class="en">Urgent</span></th><td>{{ fmt(complaints.urgent_pct, "%") }}</td></tr>
  <tr><th>升级 <span class="en">Escalations</span></th><td>{{ complaints.escalations }}</td></tr>
  <tr><th>超时 <span class="en">SLA breaches</span></th><td>{{ complaints.sla_breaches }}</td></tr>
  <tr><th>P90 处理时长 <span class="en">Resolution p90</span></th>
      <td>{{ fmt(resolution.p90_hours, "h") }}</td></tr>
  {% for topic, count in complaints.by_topic.items() %}
  <tr><th>{{ topic }}</th><td>{{ count }}</td></tr>
  {% endfor %}
</table>
<h2>复购 <span class="en">Repurchase</span></h2>
<table>
  <tr><th>本期 <span class="en">This period</span></th>
      <td>{{ fmt(repurchase.value, "%") }} (n = {{ repurchase.n }})</td></tr>
  <tr><th>去年同期 <span class="en">A year before</span></th>
      <td>{{ fmt(repurchase.previous_year_value, "%") }}</td></tr>
  <tr><th>变化 <span class="en">Change</span></th><td>{{ fmt(repurchase.change, " pp") }}</td></tr>
</table>
<h2>客户分级 <span class="en">Tiers</span></h2>
<table>
  {% for tier, count in tiers.by_tier.items() %}<tr><th>{{ tier }}</th><td>{{ count }}</td></tr>{% endfor %}
  <tr><th>升级 / 降级 <span class="en">Up / down</span></th><td>{{ tiers.up }} / {{ tiers.down }}</td></tr>
</table>
<h2>服务之星 <span class="en">Service star</span></h2>
<table>
  {% for month, star in stars.items() %}<tr><th>{{ month }}</th><td>{{ star.name }}</td></tr>
  {% else %}<tr><td>—</td></tr>{% endfor %}
</table>
<h2>线路投诉预警 <span class="en">Route complaint alerts</span> ({{ route_alerts|length }})</h2>
<table>
  {% for alert in route_alerts %}
  <tr><th>{{ alert.route }} / {{ alert.topic }}</th><td>{{ alert.share }} %</td></tr>
  {% else %}<tr><td>—</td></tr>{% endfor %}
</table>
<h2>改进待办 <span class="en">Improvement backlog</span> ({{ backlog|length }})</h2>
<table>
  {% for item in backlog %}
  <tr><th>#{{ item.item_id }} {{ item.topic or "" }}</th><td>{{ item.summary }}</td></tr>
  {% else %}<tr><td>—</td></tr>{% endfor %}
</table>
{% endblock %}
"""

_env = Environment(
    loader=ChoiceLoader(
        [DictLoader({"quarterly_report.html": REPORT}), FileSystemLoader(Path(__file__).parent / "templates")]
    ),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    return f"{value}{unit}"


def _shown(key: str, figure: dict[str, Any]) -> str:
    if figure["value"] is None:
        reason = figure.get("reason")
        return "无数据 no data" + (f" ({reason})" if reason else "")
    unit = {"%": "%", "h": " h", "points": ""}.get(figure["unit"], " " + figure["unit"])
    sample = " (样本少 small sample)" if small_sample(key, figure) else ""
    return _fmt(figure["value"], unit) + sample


def open_backlog(ctx: HandlerContext) -> list[dict[str, Any]]:
    items = ctx.open_improvements()
    return [
        {
            "item_id": i.id,
            "topic": i.topic,
            "summary": (i.text or "")[:300],
            "status": i.status,
            "created_at": i.created_at.isoformat(),
        }
        for i in items
    ]


def compile_metrics(ctx: HandlerContext) -> dict[str, Any]:
    """Freezes the previous quarter's metrics into an HTML ``quarterly_report`` document on the case.

    First files an improvement item for each route whose complaints on one topic passed the
    threshold in that quarter (``route_alerts``; once per route, topic and quarter, so a review
    started twice files nothing new). Returns what ``review_metrics`` shows (``quarter``,
    ``metrics_report``, ``improvement_backlog``, ``service_star_proposed``) and one row per open
    backlog item for ``triage_improvements`` to decide on (``triage``).
    """
    period = metrics.previous_quarter(ctx.today, ctx.timezone)
    figures = ctx.metrics_of(period)
    route_alerts = ctx.file_route_alerts(figures["route_complaint_share"], period.label)
    rows = [
        {
            "metric": key,
            "label": METRIC_LABELS.get(key, key),
            "value": f["value"],
            "unit": f["unit"],
            "target": f["target"],
            "target_text": f.get("target_text"),
            "met": f.get("met") if verdict(f) != "no_data" else None,
            "n": f["n"],
            "reason": f.get("reason"),
            "shown": _shown(key, f),
        }
        for key, f in figures.items()
    ]
    backlog = open_backlog(ctx)
    html = _env.get_template("quarterly_report.html").render(
        period=period.as_dict(),
        rows=rows,
        complaints=figures["complaints"],
        resolution=figures["complaint_resolution_hours"],
        repurchase=figures["repurchase_rate"],
        tiers=figures["tiers"],
        backlog=backlog,
        stars=figures["staff"].get("service_stars") or {},
        route_alerts=route_alerts,
        fmt=_fmt,
        generated_at=ctx.now.isoformat(timespec="minutes"),
    )
    document = ctx.add_document(
        f"quarterly-report-{period.label}.html",
        "quarterly_report",
        "text/html; charset=utf-8",
        html.encode("utf-8"),
    )
    ctx.add_pdf_copy(document)
    return {
        "report_period": period.as_dict(),
        "quarter": period.label,
        "metrics": figures,
        "metrics_report": [
            {k: r[k] for k in ("metric", "label", "shown", "target_text", "met", "n")} for r in rows
        ],
        "improvement_backlog": backlog,
        "triage": [{"item_id": b["item_id"], "summary": b["summary"]} for b in backlog],
        "report_document_id": document.id,
        "route_alerts": route_alerts,
        "service_star_proposed": _last_star(figures["staff"], period),
    }


def _last_star(staff: dict[str, Any], period: metrics.Period) -> str:
    """The display name the service star rule picks for the quarter's last month ("" if nobody)."""
    star = (staff.get("service_stars") or {}).get(period.last.strftime("%Y-%m"))
    return star["name"] if star else ""


def triage_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Writes each backlog decision (accepted / rejected / deferred) onto the improvement item."""
    decided = 0
    for row in submitted.get("triage") or []:
        if ctx.triage_improvement(int(row.get("item_id") or 0), row.get("decision")):
            decided += 1
    return {"triaged_items": decided}


def register(registry: HandlerRegistry) -> None:
    registry.service("compile_metrics_handler")(compile_metrics)
    registry.on_complete("triage_improvements")(triage_done)
