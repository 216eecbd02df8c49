"""The JSON API of API.md, one module per resource; this module is the URL prefix and the guard."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from workflows.errors import Invalid
from workflows.permissions import Actor
from workflows.runtime import Runtime

from ..auth import current_actor

api = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.issue_token", "api.openapi"}
PAGE_QUERY = {"limit": {"type": "integer", "minimum": 1, "maximum": 500}, "cursor": {"type": "string"}}


@api.before_request
def _require_actor() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if current_actor() is None:
        abort(401, description="sign in first: POST /api/v1/token, then send Authorization: Bearer <token>")


def actor() -> Actor:
    found = current_actor()
    assert found is not None  # guaranteed by _require_actor
    return found


def runtime() -> Runtime:
    return current_app.extensions["tripflow"]


def page_limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise Invalid("bad limit", [{"field": "limit", "message": "must be a whole number from 1 to 500"}])
    return int(raw)


def page(items: list[Any], next_cursor: str | None) -> Any:
    return jsonify({"items": items, "next_cursor": next_cursor})


def register_api_modules() -> None:
    """Import the resource modules, which add their routes to ``api``."""
    from . import (  # noqa: F401
        benefits,
        cases,
        customers,
        handbooks,
        manage,
        meta,
        metrics,
        notifications,
        partners,
        processes,
        tasks,
        trip_page,
        users,
    )
