"""Partners of the emergency resource pool (seed 003 §3(二)), changed only through these functions.

The supervisor and the process owner keep the list; anyone at work may read it (the guide needs
it on the road). Each change is one unit of work with its permission check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.cases.forms import FORMAT_CHECKER, field_details
from workflows.errors import Forbidden, Invalid, NotFound
from workflows.models import EmergencyPartner
from workflows.permissions import Actor
from workflows.unit import unit_of_work

KINDS = ("hotel", "vehicle", "clinic", "guide", "other")
EDIT_PARTNERS = frozenset({"service_supervisor", "process_owner"})

PARTNER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "destination": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": r"\S"},
        "kind": {"enum": list(KINDS)},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "contact": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "hours": {"type": "string", "maxLength": 120},
        "notes": {"type": "string", "maxLength": 4000},
    },
    "required": ["destination", "kind", "name", "contact"],
    "additionalProperties": False,
}
_VALIDATOR = Draft202012Validator(PARTNER_SCHEMA, format_checker=FORMAT_CHECKER)
_PARTIAL = Draft202012Validator({**PARTNER_SCHEMA, "required": []}, format_checker=FORMAT_CHECKER)


def partner_view(partner: EmergencyPartner) -> dict[str, Any]:
    return {
        "id": partner.id,
        "destination": partner.destination,
        "kind": partner.kind,
        "name": partner.name,
        "contact": partner.contact,
        "hours": partner.hours,
        "notes": partner.notes,
        "updated_at": partner.updated_at.isoformat() if partner.updated_at else None,
        "updated_by": partner.updated_by,
    }


def _require_employee(actor: Actor) -> None:
    if not actor.is_employee:
        raise Forbidden("the partner list is for the agency's staff")


def _require_editor(actor: Actor) -> None:
    actor.require(EDIT_PARTNERS, "changing the emergency partners")


def _checked(validator: Draft202012Validator, fields: Any) -> dict[str, Any]:
    if not isinstance(fields, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object"}])
    errors = field_details(validator.iter_errors(fields))
    if errors:
        raise Invalid("the partner has errors", errors)
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def list_partners(session: Session, actor: Actor, destination: str | None = None) -> list[EmergencyPartner]:
    """Every partner (of one destination when given, matched without regard to case), by kind and name."""
    _require_employee(actor)
    return partners_for(session, destination)


def partners_for(session: Session, destination: str | None) -> list[EmergencyPartner]:
    """The pool for one destination: what a guide's task and the supervisor's intervention show."""
    query = select(EmergencyPartner)
    if destination is not None:
        query = query.where(func.lower(EmergencyPartner.destination) == destination.strip().lower())
    return list(
        session.scalars(
            query.order_by(EmergencyPartner.destination, EmergencyPartner.kind, EmergencyPartner.name)
        )
    )


def get_partner(session: Session, partner_id: int, actor: Actor) -> EmergencyPartner:
    _require_employee(actor)
    partner = session.get(EmergencyPartner, partner_id) if 0 < partner_id < 2**31 else None
    if partner is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return partner


def create_partner(session: Session, fields: Any, actor: Actor, now: datetime) -> EmergencyPartner:
    _require_editor(actor)
    values = _checked(_VALIDATOR, fields)
    with unit_of_work(session):
        partner = EmergencyPartner(
            **{"hours": "", "notes": "", **values}, created_at=now, updated_at=now, updated_by=actor.username
        )
        session.add(partner)
        session.flush()
    return partner


def update_partner(
    session: Session, partner_id: int, fields: Any, actor: Actor, now: datetime
) -> EmergencyPartner:
    _require_editor(actor)
    values = _checked(_PARTIAL, fields)
    with unit_of_work(session):
        partner = get_partner(session, partner_id, actor)
        for key, value in values.items():
            setattr(partner, key, value)
        partner.updated_at = now
        partner.updated_by = actor.username
    return partner


def delete_partner(session: Session, partner_id: int, actor: Actor) -> None:
    _require_editor(actor)
    with unit_of_work(session):
        session.delete(get_partner(session, partner_id, actor))
