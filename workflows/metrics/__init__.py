"""The service metrics of the quarterly review [003 §7.1] and the diagram heatmap.

Every figure is computed by SQL over the audit trail (``event``), the inbox rows (``work_item``)
and the domain tables (``trip``, ``customer``, ``tier_change``); no workflow is ever loaded.
``periods`` reads the period asked for, ``figures`` and ``trail`` are what every metric uses, one
module per section of the review computes its metrics (``satisfaction``, ``loyalty``,
``complaints``, ``planning``, ``cycle_time``), ``catalogue`` lists them by id, and ``heatmap``
times the steps of a diagram. Callers use the names below.
"""

from workflows.metrics.catalogue import METRICS, MONTHLY, cases_behind, compute, metrics_json, monthly_trends
from workflows.metrics.figures import Figure, Scope, percentile
from workflows.metrics.heatmap import step_durations
from workflows.metrics.periods import (
    Period,
    month_periods,
    period_from_query,
    previous_quarter,
    quarter_of,
    quarter_period,
)

__all__ = [
    "METRICS",
    "MONTHLY",
    "Figure",
    "Period",
    "Scope",
    "cases_behind",
    "compute",
    "metrics_json",
    "month_periods",
    "monthly_trends",
    "percentile",
    "period_from_query",
    "previous_quarter",
    "quarter_of",
    "quarter_period",
    "step_durations",
]
