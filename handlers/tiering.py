"""Customer tiering [000 §3]: figures per customer for the DMN table, then tiers applied with history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry


def compute_customer_values(ctx: HandlerContext) -> dict[str, Any]:
    """Spend and trips over the last 12 months for every customer (settled trips at the amount paid,
    the others at their contract price, and which of the two it was); and
    the complaints and low ratings of those months, which the review weighs [000 §3.4]."""
    customers = []
    records = ctx.service_records(since=ctx.now - timedelta(days=365))
    for customer in ctx.all_customers():
        spend = ctx.customer_spend(customer.id)
        record = records.get(customer.id, {})
        customers.append(
            {
                "customer_id": customer.id,
                "name": customer.name,
                "tier": customer.tier,
                "annual_spend": spend.annual_spend,
                "trips_12m": spend.trips_12m,
                # settled trips count with the amount paid, the others with their contract price
                "spend_basis": spend.basis,
                "settled_spend": spend.settled_spend,
                "contract_spend": spend.contract_spend,
                "complaints_12m": record.get("complaints", 0),
                "low_ratings_12m": record.get("low_ratings", 0),
            }
        )
    return {"customers": customers, "tiering_date": ctx.today.isoformat()}


def apply_tiers(ctx: HandlerContext) -> dict[str, Any]:
    """Proposals, overridden where the supervisor said so, written with who, when and why."""
    data = ctx.data
    overrides = {int(o["customer_id"]): o for o in data.get("overrides") or [] if o.get("customer_id")}
    changes = []
    for proposal in data.get("tier_proposals") or []:
        customer_id = int(proposal["customer_id"])
        override = overrides.pop(customer_id, None)
        tier = override["tier"] if override else proposal["proposed_tier"]
        reason = (
            override.get("reason")
            if override
            else (
                f"spend {proposal.get('annual_spend')} CNY, {proposal.get('trips_12m')} trips, "
                f"{proposal.get('complaints_12m', 0)} complaints, {proposal.get('low_ratings_12m', 0)} "
                "low ratings in 12 months"
            )
        )
        customer = ctx.customer(customer_id)
        before = customer.tier
        ctx.record_tier_change(customer, tier, reason)
        if tier != before:
            changes.append(
                {
                    "customer_id": customer_id,
                    "name": customer.name,
                    "old_tier": before,
                    "new_tier": tier,
                    "benefits": ctx.tier_benefits(tier),
                    "contacted": False,
                }
            )
    for customer_id, override in overrides.items():
        customer = ctx.customer(customer_id)
        before = customer.tier
        ctx.record_tier_change(customer, override["tier"], override.get("reason"))
        if override["tier"] != before:
            changes.append(
                {
                    "customer_id": customer_id,
                    "name": customer.name,
                    "old_tier": before,
                    "new_tier": override["tier"],
                    "benefits": ctx.tier_benefits(override["tier"]),
                    "contacted": False,
                }
            )
    return {"tier_changes": changes}


def register(registry: HandlerRegistry) -> None:
    registry.service("compute_customer_values_handler")(compute_customer_values)
    registry.service("apply_tiers_handler")(apply_tiers)
