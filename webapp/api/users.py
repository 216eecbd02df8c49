"""Accounts for admins: the users, and revoking anyone's API token (API.md "manage users")."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from workflows.people.accounts import list_accounts
from workflows.people.tokens import list_tokens, revoke_token

from ..extensions import db
from . import actor, api, page, runtime
from .doc import documented


@api.get("/users")
@documented("Every user with their roles and whether they are active (admin)", tag="users")
def users() -> Any:
    return page([a.as_json() for a in list_accounts(db.session, actor())], None)


@api.get("/users/<username>/tokens")
@documented("A user's API tokens, newest first (admin)", tag="users")
def user_tokens(username: str) -> Any:
    now = runtime().clock.now()
    return page([t.as_json(now) for t in list_tokens(db.session, actor(), username)], None)


@api.delete("/users/<username>/tokens/<int:token_id>")
@documented("Revoke a user's API token (admin)", tag="users", responses={404: "no such token of that user"})
def revoke_user_token(username: str, token_id: int) -> Any:
    now = runtime().clock.now()
    return jsonify(revoke_token(db.session, actor(), token_id, now=now, username=username).as_json(now))
