"""The customer's profile card (客户资料卡, seed 004): preferences and special needs as fields, not prose.

``collect_needs`` and the card after every trip (``update_profile_card``) write it; every task about
the customer and the customer page show it. A write only replaces what it was given: an empty field
on a form leaves what is known as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.customers.operations import _check, get_customer
from workflows.models import CustomerProfile

PREFERENCES = ("dietary", "room", "pace", "interests", "notes")
SPECIAL_NEEDS = ("mobility", "medical", "children", "notes")
TEXTS = ("family", "occasions", "offer_next")

_TEXT = {"type": ["string", "null"], "maxLength": 2000}
PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "preferences": {
            "type": "object",
            "properties": {key: _TEXT for key in PREFERENCES},
            "additionalProperties": False,
        },
        "special_needs": {
            "type": "object",
            "properties": {key: _TEXT for key in SPECIAL_NEEDS},
            "additionalProperties": False,
        },
        **{key: _TEXT for key in TEXTS},
    },
    "additionalProperties": False,
}

# the flat fields of the after-trip card form, and where each lives on the profile
CARD_FIELDS = {
    "dietary": ("preferences", "dietary"),
    "room_preference": ("preferences", "room"),
    "travel_pace": ("preferences", "pace"),
    "interests": ("preferences", "interests"),
    "mobility": ("special_needs", "mobility"),
    "medical": ("special_needs", "medical"),
    "children_needs": ("special_needs", "children"),
    "family": ("family", None),
    "occasions": ("occasions", None),
    "offer_next": ("offer_next", None),
}


def _empty() -> dict[str, Any]:
    return {
        "preferences": {key: None for key in PREFERENCES},
        "special_needs": {key: None for key in SPECIAL_NEEDS},
        **{key: None for key in TEXTS},
        "updated_at": None,
        "updated_by": None,
    }


def profile_of(session: Session, customer_id: int) -> dict[str, Any]:
    """The card as a plain mapping (every key present, None where nothing is known)."""
    card = _empty()
    row = session.get(CustomerProfile, customer_id)
    if row is None:
        return card
    card["preferences"].update(row.preferences or {})
    card["special_needs"].update(row.special_needs or {})
    for key in TEXTS:
        card[key] = getattr(row, key)
    card["updated_at"] = row.updated_at.isoformat() if row.updated_at else None
    card["updated_by"] = row.updated_by
    return card


def has_content(card: dict[str, Any]) -> bool:
    return (
        any(card["preferences"].values())
        or any(card["special_needs"].values())
        or any(card[key] for key in TEXTS)
    )


def update_profile(
    session: Session, customer_id: int, fields: Any, *, by: str, now: datetime, case_id: int | None = None
) -> dict[str, Any]:
    """Merge ``fields`` (the shape of ``PROFILE_SCHEMA``) into the card; ``Invalid`` names bad fields.

    Does not commit.
    """
    data = _check(PROFILE_SCHEMA, fields)
    get_customer(session, customer_id)
    row = session.get(CustomerProfile, customer_id)
    if row is None:
        row = CustomerProfile(customer_id=customer_id, preferences={}, special_needs={})
        session.add(row)
    for group in ("preferences", "special_needs"):
        given = {k: v.strip() for k, v in (data.get(group) or {}).items() if isinstance(v, str) and v.strip()}
        if given:
            setattr(row, group, {**(getattr(row, group) or {}), **given})
    for key in TEXTS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            setattr(row, key, value.strip())
    row.updated_at = now
    row.updated_by = by
    row.updated_in_case = case_id
    session.flush()
    return profile_of(session, customer_id)


def from_card_form(submitted: dict[str, Any]) -> dict[str, Any]:
    """The after-trip card's flat answers in the profile's shape."""
    shaped: dict[str, Any] = {"preferences": {}, "special_needs": {}}
    for field, (group, key) in CARD_FIELDS.items():
        value = submitted.get(field)
        if value in (None, ""):
            continue
        if key is None:
            shaped[group] = value
        else:
            shaped[group][key] = value
    return shaped


def as_card_form(card: dict[str, Any]) -> dict[str, Any]:
    """The profile as the after-trip card's fields, so the form opens with what is known."""
    values = {}
    for field, (group, key) in CARD_FIELDS.items():
        value = card[group] if key is None else card[group].get(key)
        values[field] = value or ""
    return values
