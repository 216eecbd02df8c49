"""The monthly case handbook over JSON, and its PDF."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from workflows.handbook import operations as handbook_service

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

MONTH_QUERY = {"month": {"type": "string", "pattern": handbook_service.MONTH, "description": "e.g. 2026-11"}}


@api.get("/handbooks")
@documented("Published case handbooks, newest month first", tag="handbooks")
def handbooks_index() -> Any:
    return jsonify({"items": handbook_service.handbooks(db.session, actor())})


@api.get("/handbooks/candidates")
@documented(
    "Complaints resolved and incidents repaired in a month: what a handbook may hold",
    query=MONTH_QUERY,
    tag="handbooks",
    who="service_supervisor",
)
def handbook_candidates() -> Any:
    items = handbook_service.candidates(db.session, runtime(), actor(), request.args.get("month"))
    return jsonify({"items": items})


@api.post("/handbooks")
@documented(
    "Publish a month's handbook: 10–15 finished complaints or incidents, each with its lesson",
    body=handbook_service.PUBLISH_SCHEMA,
    tag="handbooks",
    responses={201: "published", 409: "the month has a handbook already"},
    who="service_supervisor",
)
def publish_handbook(body: dict[str, Any]) -> Any:
    return jsonify(handbook_service.publish(db.session, runtime(), actor(), body)), 201


@api.get("/handbooks/<month>")
@documented("One handbook with its cases and lessons", tag="handbooks")
def handbook_show(month: str) -> Any:
    return jsonify(handbook_service.handbook_view(db.session, actor(), month))


@api.get("/handbooks/<month>/pdf")
@documented("The handbook as PDF", tag="handbooks")
def handbook_pdf(month: str) -> Any:
    pdf = handbook_service.handbook_pdf_bytes(db.session, actor(), month)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="handbook-{month}.pdf"'
    return response
