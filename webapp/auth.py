"""Who is asking: a browser session (Flask-Login, with CSRF) or a bearer token (API).

The actor and their roles are resolved once per request and kept with the request. A browser
session is a row in ``login_session`` (``workflows.people.sessions``): the cookie holds only its
random key, so ending the row server-side ends every copy of the cookie.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask_login import current_user

from workflows.people.sessions import SessionTimeouts, session_user
from workflows.people.tokens import user_for_token
from workflows.people.users import actor_of
from workflows.permissions import Actor

from .extensions import csrf, db, login_manager


def _now():  # type: ignore[no-untyped-def]
    return current_app.extensions["tripflow"].clock.now()


def session_timeouts() -> SessionTimeouts:
    """The idle and absolute timeouts of ``SESSION_IDLE_MINUTES`` and ``SESSION_MAX_DAYS``."""
    return SessionTimeouts(
        idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(days=current_app.config["SESSION_MAX_DAYS"]),
    )


def token_lifetime() -> timedelta:
    return timedelta(days=current_app.config["TOKEN_LIFETIME_DAYS"])


@login_manager.user_loader
def _load_user(session_key: str):  # type: ignore[no-untyped-def]
    user = session_user(db.session, session_key, now=_now(), timeouts=session_timeouts())
    if user is None:
        return None
    return SessionUser(session_key, user.username, user.display_name, user.roles, user.locale)


class SessionUser:
    """Flask-Login's view of a signed-in session; its id is the session key, not the user id."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(
        self,
        session_key: str,
        username: str,
        display_name: str = "",
        roles: frozenset[str] = frozenset(),
        locale: str | None = None,
    ) -> None:
        self.session_key = session_key
        self.username = username
        self.display_name = display_name
        self.roles = roles
        self.locale = locale

    def get_id(self) -> str:
        return self.session_key


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def current_actor() -> Actor | None:
    """The acting user for this request, or None when nobody is signed in."""
    if "tripflow.actor" in request.environ:
        return request.environ["tripflow.actor"]
    actor = None
    token = bearer_token()
    if token is not None:
        user = user_for_token(db.session, token, now=_now())
        actor = actor_of(user) if user is not None else None
    elif current_user.is_authenticated:
        actor = Actor(current_user.username, frozenset(current_user.roles))
    request.environ["tripflow.actor"] = actor
    return actor


def forget_earlier_requests() -> None:
    """A request starts with nobody loaded: Flask-Login keeps the signed-in user on ``g``.

    Only tests share ``g`` between requests (they keep one app context open, and Flask then
    reuses it), but there the user of one test client would otherwise act for the next.
    """
    g.pop("_login_user", None)


def check_signed_in_session() -> None:
    """Check the session row first thing, before a view starts its own transaction.

    Checking may write (the session's last use, or its end after a timeout) and commits; done
    here it can never commit a view's half-done work.
    """
    if request.endpoint != "static" and bearer_token() is None:
        current_actor()


def protect_browser_writes() -> None:
    """CSRF on every state-changing request that a browser session (not a token) makes."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
        return
    if request.endpoint == "api.issue_token" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return  # the token exchange carries credentials itself and sets no cookie
    csrf.protect()
