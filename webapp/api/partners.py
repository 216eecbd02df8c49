"""The emergency resource pool over JSON: partners per destination (list, create, update, delete)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from workflows.partners import operations as partners

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

LIST_QUERY = {"destination": {"type": "string", "maxLength": 120}}
EDITORS = "service_supervisor, process_owner"


@api.get("/partners")
@documented("Emergency partners, of one destination when given", query=LIST_QUERY, tag="partners")
def partners_index() -> Any:
    rows = partners.list_partners(db.session, actor(), request.args.get("destination"))
    return jsonify({"items": [partners.partner_view(p) for p in rows]})


@api.post("/partners")
@documented(
    "Add an emergency partner",
    body=partners.PARTNER_SCHEMA,
    tag="partners",
    responses={201: "created"},
    who=EDITORS,
)
def create_partner(body: dict[str, Any]) -> Any:
    partner = partners.create_partner(db.session, body, actor(), runtime().clock.now())
    return jsonify(partners.partner_view(partner)), 201


@api.get("/partners/<int:partner_id>")
@documented("One emergency partner", tag="partners")
def get_partner(partner_id: int) -> Any:
    return jsonify(partners.partner_view(partners.get_partner(db.session, partner_id, actor())))


@api.patch("/partners/<int:partner_id>")
@documented(
    "Change fields of an emergency partner",
    body={**partners.PARTNER_SCHEMA, "required": []},
    tag="partners",
    who=EDITORS,
)
def update_partner(partner_id: int, body: dict[str, Any]) -> Any:
    partner = partners.update_partner(db.session, partner_id, body, actor(), runtime().clock.now())
    return jsonify(partners.partner_view(partner))


@api.delete("/partners/<int:partner_id>")
@documented("Remove an emergency partner", tag="partners", who=EDITORS)
def delete_partner(partner_id: int) -> Any:
    partners.delete_partner(db.session, partner_id, actor())
    return jsonify({"deleted": partner_id})
