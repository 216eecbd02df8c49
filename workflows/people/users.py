"""Users, their roles and passwords: creating one, checking a password, the language they chose."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from workflows.errors import Conflict, Invalid
from workflows.models import User, UserRole
from workflows.permissions import ROLES, Actor
from workflows.unit import unit_of_work

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
PASSWORD_METHOD = "scrypt"  # werkzeug's scrypt (n=2**15, r=8, p=1): memory-hard, in the standard library


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, in a sentence that names the rule, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password may have at most {MAX_PASSWORD_LENGTH} characters"
    return None


def check_password_rule(password: str) -> None:
    """Raises ``Invalid`` (field ``password``) with the minimum length in its message."""
    problem = password_problem(password)
    if problem is not None:
        raise Invalid(problem, [{"field": "password", "message": problem}])


def check_roles(roles: list[str]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise Invalid(
            "unknown role", [{"field": "role", "message": f"unknown role(s): {', '.join(unknown)}"}]
        )


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


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
    check_roles(roles)
    if not username or len(username) > 64 or any(c == "/" or c.isspace() or ord(c) < 32 for c in username):
        message = "a user name has 1 to 64 characters, without spaces or '/'"
        raise Invalid(message, [{"field": "username", "message": message}])
    check_password_rule(password)
    if find_user(session, username) is not None:
        raise Conflict(f"user '{username}' exists already")
    user = User(
        username=username,
        display_name=display_name or username,
        created_at=now,
        locale=locale,
        password_hash=hash_password(password),
    )
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


_NOBODY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)
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


def set_locale(session: Session, username: str, locale: str) -> None:
    """Remember the language a user chose, for every later sign-in."""
    with unit_of_work(session):
        user = find_user(session, username)
        if user is not None:
            user.locale = locale
