"""Customer profile cards and contact records, changed only through these functions.

Spend and trip counts are computed from signed trips when asked for (never a stored total that
could drift from the contracts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workflows.cases.forms import FORMAT_CHECKER, field_details
from workflows.errors import Invalid, NotFound
from workflows.models import (
    Case,
    ContactRecord,
    Customer,
    IdentityNumberView,
    TierChange,
    Trip,
    TripSettlement,
    WorkItem,
)
from workflows.permissions import MANAGE_USERS, Actor

SEGMENTS = ("business", "family", "experience")
TIERS = ("A", "B", "C")
CHANNELS = ("phone", "sms", "email", "wechat", "visit")
TIER_PRIORITY = {"A": 0, "B": 1, "C": 2}

CUSTOMER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "phone": {"type": ["string", "null"], "maxLength": 40},
        "email": {"type": ["string", "null"], "maxLength": 200},
        "id_number": {"type": ["string", "null"], "maxLength": 40},
        "address": {"type": ["string", "null"], "maxLength": 400},
        "birthday": {"type": ["string", "null"], "format": "date"},
        "segment": {"enum": [*SEGMENTS, None]},
        "source_channel": {"type": ["string", "null"], "maxLength": 60},
        "dedicated_advisor": {"type": ["string", "null"], "maxLength": 64},
    },
    "additionalProperties": False,
}
CONTACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "channel": {"enum": list(CHANNELS)},
        "summary": {"type": "string", "minLength": 1, "maxLength": 4000},
        "at": {"type": "string", "format": "date-time"},
        "case_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
    },
    "required": ["channel", "summary"],
    "additionalProperties": False,
}


def priority_of(tier: str | None) -> int:
    return TIER_PRIORITY.get(tier or "C", 2)


def mask_id_number(value: str | None) -> str | None:
    """Shows the first 3 and last 4 characters only."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def _check(schema: dict[str, Any], data: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
    errors = []
    for name in dict.fromkeys((*required, *schema.get("required", ()))):
        if data.get(name) in (None, ""):
            errors.append(
                {"field": name, "message": "this field is required", "code": "required", "params": {}}
            )
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    reported = {e["field"] for e in errors}  # a blank required field is missing, reported above
    errors += [
        detail
        for detail in field_details(validator.iter_errors(data), root="body")
        if detail["field"] not in reported and detail["code"] != "required"
    ]
    if errors:
        raise Invalid("the record has errors", errors)
    return data


def create_customer(session: Session, fields: Any, *, now: datetime) -> Customer:
    """A new customer starts in tier C. Does not commit."""
    data = _check(CUSTOMER_SCHEMA, fields, required=("name",))
    customer = Customer(tier="C", created_at=now, updated_at=now, **_typed(data))
    session.add(customer)
    session.flush()
    return customer


def update_customer(session: Session, customer_id: int, fields: Any, *, now: datetime) -> Customer:
    data = _check(CUSTOMER_SCHEMA, fields)
    customer = get_customer(session, customer_id)
    if "name" in data and not data["name"]:
        raise Invalid("the record has errors", [{"field": "name", "message": "this field is required"}])
    for key, value in _typed(data).items():
        setattr(customer, key, value)
    customer.updated_at = now
    session.flush()
    return customer


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    typed = dict(data)
    if typed.get("birthday"):
        typed["birthday"] = date.fromisoformat(typed["birthday"])
    return typed


def get_customer(session: Session, customer_id: int) -> Customer:
    """Raises ``NotFound``, also for an id no id column can hold (PostgreSQL would fail on it)."""
    if not isinstance(customer_id, int) or not 0 < customer_id <= 2**31 - 1:
        raise NotFound(f"customer {customer_id} does not exist")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return customer


def list_customers(
    session: Session,
    *,
    q: str | None = None,
    tier: str | None = None,
    segment: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Customer]:
    query = select(Customer).order_by(Customer.id).limit(limit)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(Customer.name.ilike(like), Customer.phone.ilike(like), Customer.email.ilike(like))
        )
    if tier:
        query = query.where(Customer.tier == tier)
    if segment:
        query = query.where(Customer.segment == segment)
    if after_id:
        query = query.where(Customer.id > after_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Spend:
    annual_spend: float
    trips_12m: int
    settled_trips: int = 0  # of trips_12m, those finance settled (their amount paid counts)
    settled_spend: float = 0.0
    contract_spend: float = 0.0  # the contract price of trips not yet settled

    @property
    def basis(self) -> str:
        """``settled``, ``contract`` or ``mixed``: where the spend figure comes from."""
        if self.trips_12m == 0 or self.settled_trips == self.trips_12m:
            return "settled" if self.trips_12m else "contract"
        return "contract" if self.settled_trips == 0 else "mixed"


def spend_last_12_months(session: Session, customer_id: int, today: date) -> Spend:
    """Sum and count of trips signed in the 12 months up to ``today``.

    A settled trip counts with the amount finance recorded as paid; one not yet settled with its
    contract price.
    """
    since = today - timedelta(days=365)
    rows = session.execute(
        select(Trip.total_price, TripSettlement.amount_paid)
        .outerjoin(TripSettlement, TripSettlement.case_id == Trip.case_id)
        .where(Trip.customer_id == customer_id, Trip.signed_on > since, Trip.signed_on <= today)
    ).all()
    settled = [float(paid) for _price, paid in rows if paid is not None]
    contract = [float(price or 0) for price, paid in rows if paid is None]
    return Spend(
        round(sum(settled) + sum(contract), 2),
        len(rows),
        settled_trips=len(settled),
        settled_spend=round(sum(settled), 2),
        contract_spend=round(sum(contract), 2),
    )


def set_tier(
    session: Session,
    customer: Customer,
    tier: str,
    *,
    by: str,
    reason: str | None,
    now: datetime,
    case_id: int | None = None,
) -> None:
    """Change a tier with history, and re-rank that customer's open inbox rows."""
    if tier not in TIERS:
        raise Invalid("unknown tier", [{"field": "tier", "message": "must be A, B or C"}])
    if tier == customer.tier:
        return
    session.add(
        TierChange(
            customer_id=customer.id,
            at=now,
            by=by,
            from_tier=customer.tier,
            to_tier=tier,
            reason=reason,
            case_id=case_id,
        )
    )
    customer.tier = tier
    customer.updated_at = now
    session.execute(
        update(WorkItem)
        .where(WorkItem.customer_id == customer.id, WorkItem.status.in_(("ready", "claimed")))
        .values(customer_tier=tier, priority=priority_of(tier))
    )


def tier_history(session: Session, customer_id: int) -> list[TierChange]:
    return list(
        session.scalars(
            select(TierChange).where(TierChange.customer_id == customer_id).order_by(TierChange.id)
        )
    )


def add_contact(session: Session, customer_id: int, fields: Any, *, by: str, now: datetime) -> ContactRecord:
    """Records a call, mail or visit; raises ``Invalid`` naming ``case_id`` when no such case exists."""
    data = _check(CONTACT_SCHEMA, fields)
    get_customer(session, customer_id)
    # the column has no foreign key, so nothing else would stop a record naming a case that never was
    if data.get("case_id") is not None and session.get(Case, data["case_id"]) is None:
        raise Invalid(
            "no such case", [{"field": "case_id", "message": f"case {data['case_id']} does not exist"}]
        )
    at = datetime.fromisoformat(data["at"]) if data.get("at") else now
    record = ContactRecord(
        customer_id=customer_id,
        at=at,
        channel=data["channel"],
        by=by,
        summary=data["summary"],
        case_id=data.get("case_id"),
    )
    session.add(record)
    session.flush()
    return record


def contacts_of(session: Session, customer_id: int) -> list[ContactRecord]:
    return list(
        session.scalars(
            select(ContactRecord)
            .where(ContactRecord.customer_id == customer_id)
            .order_by(ContactRecord.at.desc())
        )
    )


REVEAL_ID_NUMBER = MANAGE_USERS
"""Who may see a full identity number: the admin, and every time it is recorded."""


def reveal_id_number(
    session: Session, customer_id: int, actor: Actor, *, now: datetime, via: str
) -> str | None:
    """The customer's full identity number, for an admin; records who saw it, when and through what.

    Raises ``Forbidden`` for every other role and ``NotFound`` for an unknown customer. Does not commit.
    """
    actor.require(REVEAL_ID_NUMBER, "seeing a full identity number")
    customer = get_customer(session, customer_id)
    session.add(IdentityNumberView(customer_id=customer.id, at=now, user=actor.username, via=via))
    session.flush()
    return customer.id_number


def customer_card(
    session: Session, customer: Customer, today: date, *, reveal_id_number: bool = False
) -> dict[str, Any]:
    """The profile card of API.md; the identity number masked unless ``reveal_id_number``."""
    spend = spend_last_12_months(session, customer.id, today)
    return {
        "id": customer.id,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "id_number": customer.id_number if reveal_id_number else mask_id_number(customer.id_number),
        "address": customer.address,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "segment": customer.segment,
        "source_channel": customer.source_channel,
        "tier": customer.tier,
        "tier_history": [
            {"at": t.at.isoformat(), "by": t.by, "from": t.from_tier, "to": t.to_tier, "reason": t.reason}
            for t in tier_history(session, customer.id)
        ],
        "dedicated_advisor": customer.dedicated_advisor,
        "annual_spend": spend.annual_spend,
        "trips_12m": spend.trips_12m,
        "created_at": customer.created_at.isoformat(),
    }
