"""Who is asking: a browser session (Flask-Login, with CSRF) or a bearer token (API).

The actor and their roles are resolved once per request and kept with the request.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

from workflows.people.users import actor_of, user_for_token
from workflows.permissions import Actor

from .extensions import csrf, db, login_manager


@login_manager.user_loader
def _load_user(user_id: str):  # type: ignore[no-untyped-def]
    from workflows.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return _SessionUser(user) if user is not None and user.active else None


class _SessionUser:
    """Flask-Login's view of a user row."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user) -> None:  # type: ignore[no-untyped-def]
        self.row = user
        self.username = user.username
        self.display_name = user.display_name
        self.roles = user.roles
        self.locale = user.locale

    def get_id(self) -> str:
        return str(self.row.id)


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
        user = user_for_token(db.session, token)
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


def protect_browser_writes() -> None:
    """CSRF on every state-changing request that a browser session (not a token) makes."""
    if request.method in ("GET", "HEAD", "OPTIONS") or bearer_token() is not None:
        return
    if request.endpoint == "api.issue_token" or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return  # the token exchange carries credentials itself and sets no cookie
    csrf.protect()
