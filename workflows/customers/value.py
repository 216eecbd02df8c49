"""What the card shows beyond contact details: the profile, points, benefits, where spend comes from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.customers import points
from workflows.customers.benefits import benefits_of
from workflows.customers.operations import spend_last_12_months
from workflows.customers.profile_card import profile_of
from workflows.models import Customer


def points_summary(session: Session, customer_id: int, tier: str | None, now: datetime) -> dict[str, Any]:
    """Balance, what it is worth off a price (DMN ``points_rules``) and the ledger, newest first."""
    held = points.balance(session, customer_id, now)
    terms = points.redemption_terms(session, tier)
    return {
        "balance": held,
        "value_cny": terms.value_of(held - held % terms.points) if terms and terms.points else None,
        "redeem_block": terms.points if terms else None,
        "history": points.history(session, customer_id, now),
    }


def card_extras(
    session: Session, customer: Customer, today: date, now: datetime, discount_rate: float | None = None
) -> dict[str, Any]:
    spend = spend_last_12_months(session, customer.id, today)
    return {
        "profile": profile_of(session, customer.id),
        "points": points_summary(session, customer.id, customer.tier, now),
        "benefits": [b.as_dict() for b in benefits_of(session, customer.tier, discount_rate)],
        "spend_basis": spend.basis,
        "settled_spend": spend.settled_spend,
        "contract_spend": spend.contract_spend,
        "settled_trips_12m": spend.settled_trips,
    }
