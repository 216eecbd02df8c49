"""Users, their roles, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from workflows.errors import Conflict, Invalid
from workflows.models import ApiToken, User, UserRole
from workflows.permissions import ROLES, Actor


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def add_user(
    session: Session,
    username: str,
    password: str,
    roles: list[str],
    *,
    now: datetime,
    display_name: str = "",
    locale: str | None = None,
) -> User:
    """Create a user (scrypt-hashed password). Does not commit."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise Invalid(
            "unknown role", [{"field": "role", "message": f"unknown role(s): {', '.join(unknown)}"}]
        )
    if not username or len(password) < 8:
        raise Invalid("bad user", [{"field": "password", "message": "at least 8 characters"}])
    if find_user(session, username) is not None:
        raise Conflict(f"user '{username}' exists already")
    user = User(
        username=username,
        display_name=display_name or username,
        created_at=now,
        locale=locale,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


_NOBODY_HASH = generate_password_hash(secrets.token_hex(16), method="scrypt")
"""Checked against when the user name is unknown, so that the answer takes as long as for a known one."""


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (in about the same time either way)."""
    user = find_user(session, username)
    if user is None:
        check_password_hash(_NOBODY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def actor_of(user: User) -> Actor:
    return Actor(user.username, user.roles)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, now: datetime) -> str:
    """A new bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The token's user with their roles, in one statement (every API request asks)."""
    row = (
        session.scalars(
            select(ApiToken)
            .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
            .options(joinedload(ApiToken.user).joinedload(User.role_rows))
        )
        .unique()
        .first()
    )
    if row is None or not row.user.active:
        return None
    return row.user


def revoke_token(session: Session, token: str, *, now: datetime) -> bool:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None:
        return False
    row.revoked_at = now
    return True


def set_locale(session: Session, username: str, locale: str) -> None:
    """Remember the language a user chose, for every later sign-in."""
    user = find_user(session, username)
    if user is not None:
        user.locale = locale
        session.commit()
