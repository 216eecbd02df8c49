"""Signing in and out, and choosing the language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from workflows.people.sessions import sign_in, sign_out
from workflows.people.users import set_locale

from ..auth import SessionUser, current_actor
from ..extensions import db
from ..login_limits import failed_login_limits
from .common import runtime, safe_next

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Back to where the person was going, if that is a page of this site (else the inbox)."""
    return safe_next(target, url_for("inbox.index"))


@bp.route("/login", methods=["GET", "POST"])
@failed_login_limits
def login() -> Any:
    error = None
    if request.method == "GET" and current_actor() is not None:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "POST":
        signed_in = sign_in(
            db.session,
            request.form.get("username", ""),
            request.form.get("password", ""),
            now=runtime().clock.now(),
        )
        if signed_in is not None:
            login_user(SessionUser(signed_in.key, signed_in.username))
            if signed_in.locale:
                session["locale"] = signed_in.locale
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong user name or password.")
        response = current_app.make_response(
            (render_template("auth/login.html", error=error, username=request.form.get("username", "")), 401)
        )
        response.login_failed = True  # type: ignore[attr-defined]
        return response
    return render_template("auth/login.html", error=error, username="")


@bp.post("/logout")
def logout() -> Any:
    """Ends the session server-side too: a copy of the cookie taken before no longer works."""
    if current_user.is_authenticated:
        sign_out(db.session, current_user.session_key, now=runtime().clock.now())
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/locale")
def choose_locale() -> Any:
    locale = request.form.get("locale")
    if locale in ("zh_Hans", "en"):
        session["locale"] = locale
        if current_user.is_authenticated:
            set_locale(db.session, current_user.username, locale)
    return redirect(
        _safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path)
    )


@bp.get("/")
def home() -> Any:
    return redirect(url_for("inbox.index"))
