"""Win-back campaign [004: 客户流失与挽回]: list the churned A/B customers of the half-year, record
what each account manager's call achieved."""

from __future__ import annotations

from typing import Any

from workflows.cases.context import HandlerContext
from workflows.customers.winback import half_year_of
from workflows.engine.handlers import HandlerRegistry

RULE_KEYS = (
    "high_value_spend",
    "frequent_trips",
    "churn_idle_days",
    "churn_drop_pct",
    "win_back_tiers",
    "top_share_pct",
)


def list_churned_customers(ctx: HandlerContext) -> dict[str, Any]:
    """The thresholds come from the business rule task before (DMN customer_value_rules)."""
    rules = {key: ctx.data.get(key) for key in RULE_KEYS}
    churned = ctx.list_for_win_back(rules)
    return {
        "churned_customers": churned,
        "half_year": half_year_of(ctx.today),
        "win_back_count": len(churned),
    }


def win_back_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The outcome goes onto the customer's win-back row; the instance hands it to the collection."""
    customer = ctx.data.get("customer") or {}
    ctx.record_win_back(customer.get("customer_id"), submitted.get("outcome"), submitted.get("notes"))
    return {
        "win_back_result": {
            "customer_id": customer.get("customer_id"),
            "name": customer.get("name"),
            "outcome": submitted.get("outcome"),
            "notes": submitted.get("notes") or "",
        }
    }


def register(registry: HandlerRegistry) -> None:
    registry.service("list_churned_customers_handler")(list_churned_customers)
    registry.on_complete("win_back")(win_back_done)
