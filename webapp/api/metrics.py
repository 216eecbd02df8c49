"""Metrics over JSON and CSV, and the per-step durations a process diagram is coloured by."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, jsonify, request

from workflows import metrics as metric_service
from workflows.cases.export import spreadsheet_text
from workflows.engine.today import local_today
from workflows.permissions import READ_METRICS

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

PERIOD_QUERY = {
    "from": {"type": "string", "format": "date", "description": "first day (agency time zone)"},
    "to": {"type": "string", "format": "date", "description": "last day, included"},
    "quarter": {
        "type": "string",
        "pattern": "^(19|2[0-9])[0-9]{2}Q[1-4]$",
        "description": "e.g. 2026Q3; instead of from/to",
    },
}
CSV_COLUMNS = ("metric", "figure", "value", "target", "unit", "n", "from", "to")


def _period() -> metric_service.Period:
    rt = runtime()
    return metric_service.period_from_query(request.args, rt.timezone, local_today(rt.clock, rt.timezone))


@api.get("/metrics")
@documented(
    "Every metric of the catalogue for a quarter or a date range: {metric id: {value, target, unit, n}}",
    query=PERIOD_QUERY,
    tag="metrics",
)
def metrics_index() -> Any:
    actor().require(READ_METRICS, "reading metrics")
    return jsonify(metric_service.metrics_json(db.session, _period(), runtime().clock.now()))


def csv_rows(figures: dict[str, dict[str, Any]], period: metric_service.Period) -> list[list[Any]]:
    """One row per figure: the metric's value first, then each detail (nested ones dotted)."""
    rows: list[list[Any]] = []
    first, last = period.first.isoformat(), period.last.isoformat()
    for key, figure in figures.items():
        rows.append(
            [
                key,
                "value",
                _cell(figure["value"]),
                _cell(figure["target"]),
                figure["unit"],
                figure["n"],
                first,
                last,
            ]
        )
        for name, value in _flatten(
            {k: v for k, v in figure.items() if k not in ("value", "target", "unit", "n")}
        ):
            rows.append([key, name, _cell(value), "", "", "", first, last])
    return rows


def _flatten(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, value in values.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", value))
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_text(value)  # a spreadsheet must not read a text as a formula


@api.get("/metrics/export.csv")
@documented(
    "The same metrics as CSV: metric, figure, value, target, unit, n, from, to",
    query=PERIOD_QUERY,
    tag="metrics",
)
def metrics_csv() -> Any:
    actor().require(READ_METRICS, "reading metrics")
    period = _period()
    figures = metric_service.metrics_json(db.session, period, runtime().clock.now())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(figures, period))
    name = f"metrics-{period.quarter or period.first.isoformat() + '_' + period.last.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.get("/processes/<key>/heatmap")
@documented(
    "Median and p90 hours spent in each step of a process diagram, for a quarter or a date range",
    query=PERIOD_QUERY,
    tag="metrics",
)
def process_heatmap(key: str) -> Any:
    actor().require(READ_METRICS, "reading metrics")
    period = _period()
    steps = metric_service.step_durations(
        db.session, key, period.first, period.last, timezone_name=period.timezone
    )
    return jsonify({"process": key, "period": period.as_dict(), "steps": steps})
