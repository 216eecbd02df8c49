"""Tokens, who I am, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from workflows.people.tokens import exchange_password, list_tokens, revoke_bearer_token, revoke_token

from ..auth import bearer_token, token_lifetime
from ..extensions import db
from ..login_limits import failed_login_limits
from . import actor, api, page, runtime
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
    "Exchange a user name and password for a bearer token (expires after TOKEN_LIFETIME_DAYS, default 30)",
    body=TOKEN_BODY,
    tag="auth",
    public=True,
    responses={401: "wrong user name or password", 429: "too many failed attempts (see Retry-After)"},
)
def issue_token_view(body: dict[str, Any]) -> Any:
    issued = exchange_password(
        db.session, body["username"], body["password"], now=runtime().clock.now(), lifetime=token_lifetime()
    )
    if issued is None:
        response = jsonify({"error": "unauthorized", "message": "wrong user name or password", "details": []})
        response.status_code = 401
        return response
    return jsonify(
        {
            "token": issued.token,
            "expires_at": issued.expires_at.isoformat(),
            "id": issued.id,
            "username": issued.username,
            "roles": list(issued.roles),
        }
    )


@api.delete("/token")
@documented("Revoke the bearer token of this request", tag="auth")
def revoke_token_view() -> Any:
    token = bearer_token()
    revoked = bool(token) and revoke_bearer_token(db.session, token or "", now=runtime().clock.now())
    return jsonify({"revoked": revoked})


@api.get("/me")
@documented("Who I am and my roles", tag="auth")
def me() -> Any:
    who = actor()
    return jsonify({"username": who.username, "roles": sorted(who.roles)})


@api.get("/me/tokens")
@documented("My API tokens (never the tokens themselves), newest first", tag="auth")
def my_tokens() -> Any:
    now = runtime().clock.now()
    return page([t.as_json(now) for t in list_tokens(db.session, actor())], None)


@api.delete("/me/tokens/<int:token_id>")
@documented("Revoke one of my API tokens", tag="auth", responses={404: "no such token of mine"})
def revoke_my_token(token_id: int) -> Any:
    now = runtime().clock.now()
    return jsonify(revoke_token(db.session, actor(), token_id, now=now).as_json(now))


@api.get("/openapi.json")
@documented("This document", tag="meta", public=True)
def openapi() -> Any:
    return jsonify(openapi_document(current_app))
