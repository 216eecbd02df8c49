"""Itinerary confirmation [001 §3.2]: the trip record, its documents and the confirmation letter."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Invalid

from .documents import render


def parse_date(value: Any) -> date | None:
    """A date from case data (ISO text), or None when there is none or it is not a date."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def save_trip_record(ctx: HandlerContext, data: dict[str, Any]) -> int:
    """Write what was signed into the trip record (spend and repurchase are computed from it)."""
    trip = ctx.save_trip(
        customer_id=data.get("customer_id"),
        destination=data.get("destination"),
        start_date=parse_date(data.get("start_date")),
        end_date=parse_date(data.get("end_date")),
        travellers=data.get("travellers"),
        total_price=data.get("total_price"),
        contract_number=data.get("contract_number"),
        signed_on=parse_date(data.get("signed_on")),
        itinerary=data.get("itinerary") or [],
    )
    return trip.id


def sign_contract_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """A signed contract is a trip, whether or not the confirmation stage follows.

    Without a price on the form, the contract price is the quote after the tier discount.
    """
    price = submitted.get("total_price")
    if price is None:
        price = ctx.data.get("discounted_price") or ctx.data.get("quoted_price")
    if not price:
        raise Invalid(
            "the contract price is missing",
            [{"field": "total_price", "code": "required", "message": "this field is required"}],
        )
    redeemed = redeem_points(ctx, submitted.get("points_redeemed"), float(price))
    price = round(float(price) - redeemed.get("points_discount", 0), 2)
    trip_id = save_trip_record(ctx, {**ctx.data, **submitted, "total_price": price})
    return {"trip_id": trip_id, "total_price": price, "contract_price": price, **redeemed}


def redeem_points(ctx: HandlerContext, points: Any, price: float) -> dict[str, Any]:
    """Points the customer spends on this contract (100 points = 10 CNY by default, DMN
    ``points_rules``); ``Invalid`` naming ``points_redeemed`` when they cannot be."""
    if not points:
        return {}
    customer_id = ctx.data.get("customer_id")
    terms = ctx.redemption_terms(ctx.data.get("customer_tier"))
    if not customer_id or terms is None:
        raise Invalid(
            "points cannot be redeemed here",
            [{"field": "points_redeemed", "message": "no customer on file or no points rules deployed"}],
        )
    discount = terms.value_of(points) if isinstance(points, int) and not isinstance(points, bool) else 0
    if discount >= price:
        raise Invalid(
            "points cannot be redeemed",
            [
                {
                    "field": "points_redeemed",
                    "message": "the points are worth more than the price",
                    "code": "maximum",
                }
            ],
        )
    ctx.redeem_points(int(customer_id), points, terms)
    return {"points_redeemed": points, "points_discount": discount, "price_before_points": price}


def record_itinerary(ctx: HandlerContext) -> dict[str, Any]:
    """Files the confirmed itinerary and the contract details on the case [001 §3.2.1, §4]."""
    data = ctx.data
    trip_id = save_trip_record(ctx, data)
    itinerary = data.get("itinerary") or []
    stamp = ctx.now.isoformat(timespec="minutes")
    ctx.add_document(
        f"itinerary-{ctx.case_id}.html",
        "itinerary",
        "text/html; charset=utf-8",
        render("itinerary.html", data=data, itinerary=itinerary, generated_at=stamp),
    )
    ctx.add_document(
        f"contract-{data.get('contract_number') or ctx.case_id}.html",
        "contract",
        "text/html; charset=utf-8",
        render("contract.html", data=data, generated_at=stamp),
    )
    return {"trip_id": trip_id}


def trip_page_url(token: str) -> str:
    """The customer's own trip page; ``PUBLIC_URL`` is where customers reach the server."""
    return os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/") + "/trip/" + token


def prepare_confirmation_letter(ctx: HandlerContext) -> dict[str, Any]:
    """The bilingual confirmation letter: trip details, day by day, what to bring, who to call."""
    data = ctx.data
    token = ctx.issue_trip_link()
    content = render(
        "confirmation_letter.html",
        data=data,
        trip_page_url=trip_page_url(token) if token else None,
        itinerary=data.get("itinerary") or [],
        bookings=data.get("bookings") or [],
        generated_at=ctx.now.isoformat(timespec="minutes"),
    )
    document = ctx.add_document(
        f"confirmation-letter-{ctx.case_id}.html", "confirmation_letter", "text/html; charset=utf-8", content
    )
    ctx.add_pdf_copy(document)
    return {
        "confirmation_letter_id": document.id,
        "confirmation_letter": f"{document.name} ({document.size // 1024 + 1} kB, filed on the case)",
    }


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("sign_contract")(sign_contract_done)
    registry.service("record_itinerary_handler")(record_itinerary)
    registry.service("prepare_confirmation_letter_handler")(prepare_confirmation_letter)
