"""Customers over JSON: profile cards and contact records."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from workflows.cursors import decode_id_cursor
from workflows.customers import operations as customer_service
from workflows.customers import profiles

from ..extensions import db
from . import PAGE_QUERY, actor, api, page, page_limit, runtime
from .doc import documented

CUSTOMER_BODY = customer_service.CUSTOMER_SCHEMA
LIST_QUERY = {
    "q": {"type": "string", "maxLength": 200},
    "tier": {"type": "string", "enum": ["A", "B", "C"]},
    "segment": {"type": "string", "enum": list(customer_service.SEGMENTS)},
} | PAGE_QUERY


def _card(customer: Any) -> dict[str, Any]:
    return profiles.card(db.session, runtime(), customer.id)


@api.get("/customers")
@documented("Customers, searchable by name, phone or email", query=LIST_QUERY, tag="customers")
def customers_index() -> Any:
    cursor = request.args.get("cursor")
    after = decode_id_cursor(cursor)
    limit = page_limit()
    rows = customer_service.list_customers(
        db.session,
        q=request.args.get("q"),
        tier=request.args.get("tier"),
        segment=request.args.get("segment"),
        after_id=after,
        limit=limit + 1,
    )
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    from workflows.customers.queries import last_trips

    last = last_trips(db.session, [c.id for c in rows[:limit]])
    return page(
        [{**_card(c), "last_trip": last[c.id].isoformat() if last.get(c.id) else None} for c in rows[:limit]],
        next_cursor,
    )


@api.post("/customers")
@documented("Create a customer (tier C)", body=CUSTOMER_BODY, tag="customers", responses={201: "created"})
def create_customer(body: dict[str, Any]) -> Any:
    return jsonify(profiles.create(db.session, runtime(), body, actor())), 201


REVEAL_QUERY = {
    "reveal": {
        "type": "string",
        "enum": ["id_number"],
        "description": "admin only: the full identity number; each view is recorded",
    }
}


@api.get("/customers/<int:customer_id>")
@documented("One customer's profile card, with trips and cases", query=REVEAL_QUERY, tag="customers")
def get_customer(customer_id: int) -> Any:
    from workflows.customers.queries import cases_of, trips_of
    from workflows.views import case_summary

    card = profiles.card(db.session, runtime(), customer_id)
    if request.args.get("reveal") == "id_number":
        card["id_number"] = profiles.reveal_id_number(db.session, runtime(), customer_id, actor(), via="api")
    card["trips"] = [
        {
            "id": t.id,
            "case_id": t.case_id,
            "destination": t.destination,
            "start_date": t.start_date.isoformat() if t.start_date else None,
            "end_date": t.end_date.isoformat() if t.end_date else None,
            "total_price": float(t.total_price) if t.total_price is not None else None,
            "contract_number": t.contract_number,
            "signed_on": t.signed_on.isoformat() if t.signed_on else None,
        }
        for t in trips_of(db.session, customer_id)
    ]
    card["cases"] = [case_summary(c) for c in cases_of(db.session, customer_id)]
    response = jsonify(card)
    if request.args.get("reveal"):
        response.headers["Cache-Control"] = "no-store"  # a full identity number stays out of every cache
    return response


@api.patch("/customers/<int:customer_id>")
@documented("Change fields of a profile card", body=CUSTOMER_BODY, tag="customers")
def update_customer(customer_id: int, body: dict[str, Any]) -> Any:
    return jsonify(profiles.update(db.session, runtime(), customer_id, body, actor()))


@api.get("/customers/<int:customer_id>/contacts")
@documented("A customer's contact records, newest first", tag="customers")
def contacts(customer_id: int) -> Any:
    customer_service.get_customer(db.session, customer_id)
    return jsonify(
        {
            "items": [
                profiles.contact_view(c) for c in customer_service.contacts_of(db.session, customer_id)
            ],
            "next_cursor": None,
        }
    )


@api.post("/customers/<int:customer_id>/contacts")
@documented(
    "Log a contact with a customer",
    body=customer_service.CONTACT_SCHEMA,
    tag="customers",
    responses={201: "logged"},
)
def add_contact(customer_id: int, body: dict[str, Any]) -> Any:
    return jsonify(profiles.log_contact(db.session, runtime(), customer_id, body, actor())), 201
