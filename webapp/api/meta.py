"""Tokens and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from workflows.people.users import authenticate, issue_token, revoke_token

from ..auth import bearer_token
from ..extensions import db, limiter
from ..login_limits import failed_login_limits
from . import actor, api, runtime
from .doc import documented, openapi_document

TOKEN_BODY = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 64},
        "password": {"type": "string", "minLength": 1, "maxLength": 256},
    },
    "required": ["username", "password"],
}


@api.post("/token", endpoint="issue_token")
@failed_login_limits
@documented(
    "Exchange a user name and password for a bearer token",
    body=TOKEN_BODY,
    tag="auth",
    public=True,
    responses={401: "wrong user name or password", 429: "too many failed attempts"},
)
def issue_token_view(body: dict[str, Any]) -> Any:
    user = authenticate(db.session, body["username"], body["password"])
    if user is None:
        response = jsonify({"error": "unauthorized", "message": "wrong user name or password", "details": []})
        response.status_code = 401
        return response
    token = issue_token(db.session, user, now=runtime().clock.now())
    db.session.commit()
    return jsonify({"token": token, "username": user.username, "roles": sorted(user.roles)})


@api.delete("/token")
@documented("Revoke the bearer token of this request", tag="auth")
def revoke_token_view() -> Any:
    token = bearer_token()
    if token:
        revoke_token(db.session, token, now=runtime().clock.now())
        db.session.commit()
    return jsonify({"revoked": bool(token)})


@api.get("/me")
@documented("Who I am and my roles", tag="auth")
def me() -> Any:
    who = actor()
    return jsonify({"username": who.username, "roles": sorted(who.roles)})


@api.get("/openapi.json")
@documented("This document", tag="meta", public=True)
def openapi() -> Any:
    return jsonify(openapi_document(current_app))


limiter.exempt(openapi)
