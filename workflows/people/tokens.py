"""API bearer tokens: issued for a password, valid until they expire or are revoked.

Only a token's SHA-256 is stored, so a database leak reveals no token. A token of a disabled
user stops working at once, because every request reads the user with the token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from workflows.errors import NotFound
from workflows.models import ApiToken, User
from workflows.people.users import authenticate, find_user
from workflows.permissions import MANAGE_USERS, Actor
from workflows.unit import unit_of_work

DEFAULT_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    id: int
    username: str
    roles: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class TokenView:
    """A token as its owner and the admins see it: never the token itself."""

    id: int
    username: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None or self.expires_at <= now:
            return "expired"
        return "active"

    def as_json(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "status": self.status(now),
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(row: ApiToken) -> TokenView:
    return TokenView(row.id, row.user.username, row.created_at, row.expires_at, row.revoked_at)


def _new_token(session: Session, user: User, now: datetime, lifetime: timedelta) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return token, row


def issue_token(
    session: Session, user: User, *, now: datetime, lifetime: timedelta = DEFAULT_LIFETIME
) -> str:
    """A new bearer token for ``user`` (for tests and tools that hold the user). Does not commit."""
    return _new_token(session, user, now, lifetime)[0]


def exchange_password(
    session: Session, username: str, password: str, *, now: datetime, lifetime: timedelta = DEFAULT_LIFETIME
) -> IssuedToken | None:
    """A new token for a right user name and password, else None. Commits."""
    user = authenticate(session, username, password)
    if user is None:
        session.rollback()
        return None
    with unit_of_work(session):
        user = find_user(session, username)
        assert user is not None
        token, row = _new_token(session, user, now, lifetime)
        issued = IssuedToken(token, row.id, user.username, tuple(sorted(user.roles)), row.expires_at)  # type: ignore[arg-type]
    return issued


_TOKEN_USER = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))
    .options(joinedload(ApiToken.user).joinedload(User.role_rows))
)  # built once: every API request runs it


def user_for_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The token's user with their roles, in one statement (every API request asks).

    None for an unknown, revoked or expired token and for a disabled user.
    """
    row = session.scalars(_TOKEN_USER, {"digest": _digest(token)}).unique().first()
    if row is None or not row.user.active or row.expires_at is None or row.expires_at <= now:
        return None
    return row.user


def revoke_bearer_token(session: Session, token: str, *, now: datetime) -> bool:
    """Revoke the token a request was made with. Commits."""
    with unit_of_work(session):
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
        if row is None:
            return False
        if row.revoked_at is None:
            row.revoked_at = now
    return True


def list_tokens(session: Session, actor: Actor, username: str | None = None) -> list[TokenView]:
    """The tokens of ``username`` (default: the actor's own), newest first; others' need ``admin``."""
    username = username or actor.username
    if username != actor.username:
        actor.require(MANAGE_USERS, "seeing another user's tokens")
    rows = session.scalars(
        select(ApiToken).join(ApiToken.user).where(User.username == username).order_by(ApiToken.id.desc())
    )
    return [_view(row) for row in rows]


def revoke_token(
    session: Session, actor: Actor, token_id: int, *, now: datetime, username: str | None = None
) -> TokenView:
    """Revoke one token by id: one's own, or (``admin``) anyone's. Commits.

    Another user's token id is "not found" to a non-admin, so ids reveal nothing.
    """
    username = username or actor.username
    if username != actor.username:
        actor.require(MANAGE_USERS, "revoking another user's token")
    with unit_of_work(session):
        row = session.scalars(
            select(ApiToken).join(ApiToken.user).where(ApiToken.id == token_id, User.username == username)
        ).first()
        if row is None:
            raise NotFound(f"no token {token_id} of user '{username}'")
        if row.revoked_at is None:
            row.revoked_at = now
        view = _view(row)
    return view


def revoke_all_tokens(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every live token of ``user`` (a new password). Does not commit."""
    live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    rows = list(session.scalars(live))
    for row in rows:
        row.revoked_at = now
    return len(rows)
