"""Itinerary planning: who the customer is, and who handled the trip."""

from __future__ import annotations

from typing import Any

from workflows.cases.context import HandlerContext
from workflows.customers.profile_card import from_card_form
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Invalid, NotFound


def customer_fields(customer: Any) -> dict[str, Any]:
    """The case variables every later step and inbox row reads about the customer."""
    return {
        "customer_id": customer.id,
        "customer_name": customer.name,
        "customer_tier": customer.tier,
        "dedicated_advisor": customer.dedicated_advisor or "",
    }


def collect_needs_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Picks the existing customer or creates the new one, and remembers the account manager."""
    new_customer = submitted.get("new_customer")
    if submitted.get("customer_id") is not None:
        try:
            customer = ctx.customer(int(submitted["customer_id"]))
        except (NotFound, ValueError, TypeError):
            raise Invalid(
                "no such customer", [{"field": "customer_id", "message": "pick a customer who is on file"}]
            ) from None
    elif new_customer:
        customer = ctx.create_customer(new_customer)
    elif ctx.data.get("customer_id"):
        customer = ctx.customer(int(ctx.data["customer_id"]))
    else:
        raise Invalid(
            "name the customer", [{"field": "customer_id", "message": "pick a customer or enter a new one"}]
        )
    remember_needs(ctx, customer.id, submitted)
    return {
        **customer_fields(customer),
        "trip_account_manager": ctx.actor.username,
        "design_advisor": customer.dedicated_advisor or "",
    }


def remember_needs(ctx: HandlerContext, customer_id: int, submitted: dict[str, Any]) -> None:
    """What the customer told us about preferences and needs goes onto their profile card (004):
    the structured fields as they are, the free text as notes."""
    shaped = from_card_form({k: v for k, v in submitted.items() if k in NEEDS_FIELDS})
    for group in ("preferences", "special_needs"):
        if isinstance(submitted.get(group), str) and submitted[group].strip():
            shaped[group]["notes"] = submitted[group]
    if shaped["preferences"] or shaped["special_needs"]:
        ctx.update_customer_profile(customer_id, shaped)


NEEDS_FIELDS = ("dietary", "mobility", "medical", "children_needs")


# B-tier benefit [000 §4.1]: a discount on quoted prices ("[X] 折优惠"; the agency's rate is 95 折)
TIER_DISCOUNT = {"B": 0.05}


def design_itinerary_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Records the customer's tier discount on the quote, with the price after it.

    The discounted price is also the proposed contract price (``total_price``), so the
    contract form starts from it [000 §4.1].
    """
    return {
        "design_advisor": ctx.actor.username,  # a design sent back returns to who made it
        **tier_discount(ctx.data.get("customer_tier"), submitted.get("quoted_price")),
    }


def booked_departure_quote(ctx: HandlerContext, data: dict[str, Any]) -> dict[str, Any]:
    """A trip booked on a scheduled departure starts with the route's price as its quote: the tier
    discount applies to it as to a designed one, so the contract and the letter show it."""
    if data.get("departure_id") is None or data.get("quoted_price") is None:
        return {}
    return tier_discount(data.get("customer_tier"), data["quoted_price"])


def tier_discount(tier: Any, quoted_price: Any) -> dict[str, Any]:
    """The tier's discount on a quote, and the price after it (also the proposed contract price)."""
    rate = TIER_DISCOUNT.get(str(tier or ""), 0.0)
    quoted = float(quoted_price or 0)
    discounted = round(quoted * (1 - rate), 2)
    return {
        "discount_rate": rate,
        "discount_amount": round(quoted - discounted, 2),
        "discounted_price": discounted,
        "total_price": discounted,
    }


REVIEWS_KEPT = 5


def review_itinerary_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Keeps the review rounds, so the advisor and the next reviewer see what was said before.

    The last ``REVIEWS_KEPT`` rounds are kept (numbered from the first): every task of the case
    carries this list, so an endless rework loop must not grow the case's state without bound.
    """
    history = [r for r in ctx.data.get("review_history") or [] if isinstance(r, dict)]
    last_round = max((int(r.get("round") or 0) for r in history), default=0)
    entry = {
        "round": last_round + 1,
        "approved": submitted.get("approved"),
        "review_comments": submitted.get("review_comments") or "",
        "reviewed_by": ctx.actor.username,
        "reviewed_at": ctx.now.isoformat(timespec="minutes"),
    }
    return {"review_history": [*history, entry][-REVIEWS_KEPT:]}


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("collect_needs")(collect_needs_done)
    registry.on_complete("design_itinerary")(design_itinerary_done)
    registry.on_start("trip")(booked_departure_quote)
    registry.on_complete("review_itinerary")(review_itinerary_done)
