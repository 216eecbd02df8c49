"""Points outstanding (A-tier 高额积分 [000 §4.1]): what the agency owes its customers in points.

A liability figure: the points all customers hold at the end of the period (or now, for a period
not yet over), lapsed lots taken off as the ledger would at that instant.
"""

from __future__ import annotations

from workflows.customers import points
from workflows.metrics.figures import Figure, Scope


def points_outstanding(scope: Scope) -> Figure:
    """value = Σ balance of every customer at min(period end, now); n = customers holding points.

    ``value_cny`` is what those points are worth off prices (DMN ``points_rules``: 100 points = 10 CNY
    by default); None when the rules are not deployed.
    """
    as_of = min(scope.period.end_at, scope.now)
    held, holders = points.outstanding(scope.session, as_of)
    terms = points.redemption_terms(scope.session)
    details = {
        "as_of": as_of.isoformat(),
        "value_cny": terms.value_of(held) if terms and terms.points else None,
    }
    if holders == 0:
        return Figure(0, "points", 0, reason="no customer holds points", details=details)
    return Figure(held, "points", holders, details=details)
