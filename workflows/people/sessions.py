"""Browser sign-ins kept server-side, so that ending one refuses every copy of its cookie.

The cookie carries a random key; the database keeps its SHA-256, when it started, when it was
last used and when it ended. Every request checks the row: ended (logout, a new password, a lost
role, a disabled user), idle too long, or too old since sign-in all mean "signed out".
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from workflows.models import LoginSession, User
from workflows.people.users import authenticate, find_user
from workflows.unit import begin_write

TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often per session: idle time is measured to the minute."""

KEEP_ENDED = timedelta(days=30)
"""Ended sessions are kept this long (who was signed in when), then deleted at the user's next sign-in."""


@dataclass(frozen=True)
class SessionTimeouts:
    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class SignedIn:
    key: str
    username: str
    locale: str | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign_in(session: Session, username: str, password: str, *, now: datetime) -> SignedIn | None:
    """Check the password and start a session; None when wrong. Commits."""
    user = authenticate(session, username, password)
    if user is None:
        session.rollback()
        return None
    begin_write(session)
    user = find_user(session, username)
    assert user is not None
    key = secrets.token_urlsafe(32)
    session.execute(  # the user's sessions that ended a while ago are of no further use
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_not(None),
            LoginSession.ended_at < now - KEEP_ENDED,
        )
    )
    session.add(LoginSession(user_id=user.id, key_hash=_digest(key), created_at=now, last_seen_at=now))
    signed_in = SignedIn(key, user.username, user.locale)
    session.commit()
    return signed_in


def session_user(session: Session, key: str, *, now: datetime, timeouts: SessionTimeouts) -> User | None:
    """The user of a live session, else None; a session past a timeout is ended on the way.

    Commits when it records the session's use (at most once a minute per session).
    """
    row = (
        session.scalars(
            select(LoginSession)
            .where(LoginSession.key_hash == _digest(key))
            .options(joinedload(LoginSession.user).joinedload(User.role_rows))
        )
        .unique()
        .first()
    )
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    why = None
    if now >= row.created_at + timeouts.absolute:
        why = "expired"
    elif now >= row.last_seen_at + timeouts.idle:
        why = "idle"
    user = row.user
    if why is not None or now - row.last_seen_at >= TOUCH_EVERY:
        session_id = row.id
        begin_write(session)
        values = {"ended_at": now, "ended_why": why} if why else {"last_seen_at": now}
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
            .values(**values)
        )
        session.commit()
    return None if why else user


def sign_out(session: Session, key: str, *, now: datetime) -> None:
    """End the session with this key (every copy of the cookie). Commits."""
    begin_write(session)
    session.execute(
        update(LoginSession)
        .where(LoginSession.key_hash == _digest(key), LoginSession.ended_at.is_(None))
        .values(ended_at=now, ended_why="logout")
    )
    session.commit()


def end_sessions_of(session: Session, user: User, *, now: datetime, why: str) -> int:
    """End every live session of ``user`` (a new password, a lost role, disabled). Does not commit."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
