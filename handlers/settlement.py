"""After return, before settlement (seed 004): the profile card, the contact record card, the copy to
the supervisor, and finance's settlement with the points it earns [000 §4.1]."""

from __future__ import annotations

from typing import Any

from workflows.cases.context import HandlerContext
from workflows.customers.points import points_for
from workflows.customers.profile_card import as_card_form, from_card_form
from workflows.customers.settlement import margin_of
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Invalid

from .documents import render

SUPERVISOR = "service_supervisor"


def _customer_id(ctx: HandlerContext) -> int | None:
    value = ctx.data.get("customer_id")
    return int(value) if value else None


def load_customer_profile(ctx: HandlerContext) -> dict[str, Any]:
    """Open the cards with what is known: the profile's fields, the customer's current tier, and who
    writes the contact record (the trip's guide, or the account manager when it had none)."""
    customer_id = _customer_id(ctx)
    known = as_card_form(ctx.customer_profile(customer_id)) if customer_id else {}
    tier = ctx.customer(customer_id).tier if customer_id else ctx.data.get("customer_tier")
    guide = str(ctx.data.get("tour_guide") or "").strip()
    return {**known, "customer_tier": tier, "contact_card_by": "tour_guide" if guide else "account_manager"}


def update_profile_card_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The customer's card takes the preferences, needs, family and occasions the trip taught us."""
    customer_id = _customer_id(ctx)
    if customer_id is None:
        raise Invalid(
            "the trip has no customer", [{"field": "customer_id", "message": "no customer on the case"}]
        )
    ctx.update_customer_profile(customer_id, from_card_form(submitted))
    return {
        "profile_card": {**submitted, "by": ctx.actor.username, "at": ctx.now.isoformat(timespec="minutes")}
    }


def contact_record_card_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """What happened on the trip and what the customer said, as a contact on the customer's card."""
    lines = [f"接触记录卡 / Contact record card: {submitted.get('what_happened') or ''}"]
    lines.append(f"客户反馈 / Customer said: {submitted.get('customer_said') or ''}")
    if submitted.get("follow_ups"):
        lines.append(f"后续跟进 / Follow-ups: {submitted['follow_ups']}")
    customer_id = _customer_id(ctx)
    if customer_id is not None:
        ctx.add_contact(customer_id, submitted.get("channel") or "visit", "\n".join(lines))
    return {
        "contact_record": {**submitted, "by": ctx.actor.username, "at": ctx.now.isoformat(timespec="minutes")}
    }


def copy_cards_to_supervisor(ctx: HandlerContext) -> dict[str, Any]:
    """Both cards filed on the case as one document, and the supervisor told (抄送主管 [004])."""
    data = ctx.data
    document = ctx.add_document(
        f"customer-cards-{ctx.case_id}.html",
        "customer_cards",
        "text/html; charset=utf-8",
        render(
            "customer_cards.html",
            data=data,
            profile=data.get("profile_card") or {},
            contact=data.get("contact_record") or {},
            generated_at=ctx.now.isoformat(timespec="minutes"),
        ),
    )
    told = ctx.copy_to_role(
        SUPERVISOR,
        "客户资料卡与接触记录卡 / Customer cards",
        data.get("customer_name"),
        data.get("destination"),
    )
    return {"customer_cards_id": document.id, "cards_copied_to": told}


def settle_trip_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The margin is computed, never typed: amount paid less supplier costs."""
    return {"margin": margin_of(submitted.get("amount_paid") or 0, submitted.get("supplier_costs") or 0)}


def record_settlement(ctx: HandlerContext) -> dict[str, Any]:
    """The settlement is written (spend for tiering reads it) and the points it earns are credited,
    at the rate and for the months the DMN table ``points_rules`` gave this step."""
    data = ctx.data
    customer_id = _customer_id(ctx)
    row = ctx.record_settlement(customer_id, data.get("amount_paid"), data.get("supplier_costs"))
    earned = points_for(float(row.amount_paid), float(data.get("cny_per_point") or 0))
    expires = None
    if customer_id is not None and earned:
        entry = ctx.earn_points(customer_id, earned, int(data.get("points_expiry_months") or 0))
        expires = entry.expires_at.isoformat() if entry else None
    return {"margin": float(row.margin), "points_earned": earned, "points_expire_at": expires}


def register(registry: HandlerRegistry) -> None:
    registry.service("load_customer_profile_handler")(load_customer_profile)
    registry.on_complete("update_profile_card")(update_profile_card_done)
    registry.on_complete("contact_record_card")(contact_record_card_done)
    registry.on_complete("contact_record_card_by_account_manager")(contact_record_card_done)
    registry.service("copy_cards_to_supervisor_handler")(copy_cards_to_supervisor)
    registry.on_complete("settle_trip")(settle_trip_done)
    registry.service("record_settlement_handler")(record_settlement)
