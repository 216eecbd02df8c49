"""The admin page for accounts: the same actions as ``flask users ...`` (admin only).

Each view reads the form, calls one ``workflows.people`` operation (which checks the role and
commits) and redirects back with a message; a refusal is shown as a message too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.errors import TripflowError
from workflows.people import accounts, tokens
from workflows.permissions import MANAGE_USERS, ROLES

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .flashes import flash_error, flash_success

bp = page_blueprint("accounts", __name__)


@bp.before_request
def _admins_only() -> None:
    actor().require(MANAGE_USERS, "managing users")


def _back(username: str | None = None) -> Any:
    if username:
        return redirect(url_for("accounts.show", username=username))
    return redirect(url_for("accounts.index"))


def _run(action: Callable[[], Any], done: str) -> bool:
    try:
        action()
    except TripflowError as exc:
        flash_error(exc.message)
        return False
    flash_success(done)
    return True


@bp.get("/admin/users")
def index() -> Any:
    everyone = accounts.list_accounts(db.session, actor())
    return render_template("accounts/index.html", accounts=everyone, roles=ROLES)


@bp.post("/admin/users")
def add() -> Any:
    username = request.form.get("username", "").strip()
    created = _run(
        lambda: accounts.create_account(
            db.session,
            actor(),
            username,
            request.form.get("password", ""),
            request.form.getlist("role"),
            now=runtime().clock.now(),
            display_name=request.form.get("display_name", "").strip(),
        ),
        _("User %(user)s added.", user=username),
    )
    return _back(username if created else None)


@bp.get("/admin/users/<username>")
def show(username: str) -> Any:
    who = actor()
    account = accounts.get_account(db.session, who, username)
    return render_template(
        "accounts/show.html",
        account=account,
        tokens=tokens.list_tokens(db.session, who, username),
        now=runtime().clock.now(),
        roles=ROLES,
    )


@bp.post("/admin/users/<username>/password")
def password(username: str) -> Any:
    _run(
        lambda: accounts.change_password(
            db.session, actor(), username, request.form.get("password", ""), now=runtime().clock.now()
        ),
        _("New password set for %(user)s: sessions ended, API tokens revoked.", user=username),
    )
    return _back(username)


@bp.post("/admin/users/<username>/disable")
def disable(username: str) -> Any:
    _run(
        lambda: accounts.set_active(db.session, actor(), username, False, now=runtime().clock.now()),
        _("%(user)s is disabled: their sessions and tokens stopped working.", user=username),
    )
    return _back(username)


@bp.post("/admin/users/<username>/enable")
def enable(username: str) -> Any:
    _run(
        lambda: accounts.set_active(db.session, actor(), username, True, now=runtime().clock.now()),
        _("%(user)s is enabled again.", user=username),
    )
    return _back(username)


@bp.post("/admin/users/<username>/roles")
def roles(username: str) -> Any:
    _run(
        lambda: accounts.set_roles(
            db.session, actor(), username, request.form.getlist("role"), now=runtime().clock.now()
        ),
        _("Roles of %(user)s saved.", user=username),
    )
    return _back(username)


@bp.post("/admin/users/<username>/tokens/<int:token_id>/revoke")
def revoke_token(username: str, token_id: int) -> Any:
    now = runtime().clock.now()
    _run(
        lambda: tokens.revoke_token(db.session, actor(), token_id, now=now, username=username),
        _("Token %(id)s revoked.", id=token_id),
    )
    return _back(username)
