"""What every page blueprint shares: the sign-in guard, the actor, the runtime, time formatting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from workflows.permissions import Actor
from workflows.runtime import Runtime

from ..auth import current_actor

DUE_SOON = timedelta(hours=24)


def runtime() -> Runtime:
    return current_app.extensions["tripflow"]


def actor() -> Actor:
    """The signed-in actor; the blueprint guard has made sure there is one."""
    found = current_actor()
    assert found is not None
    return found


def _require_sign_in() -> Response | None:
    if current_actor() is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint whose every page needs a signed-in user (else: the login page, then back)."""
    bp = Blueprint(name, import_name)
    bp.before_request(_require_sign_in)
    return bp


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: an open redirect would let a link send people elsewhere."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and urlsplit(target).netloc == ""
        and not any(ord(c) < 32 for c in target)
    ):
        return target
    return default


def local_zone() -> ZoneInfo:
    return ZoneInfo(runtime().timezone)


def local_datetime(value: datetime | str | None) -> str:
    """An instant in the agency's time zone, ``YYYY-MM-DD HH:MM``."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def local_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str) and len(value) > 10:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).date().isoformat() if value.tzinfo else value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def due_state(due_at: datetime | str | None) -> str:
    """``overdue``, ``soon`` (within a day) or ``''``, read from the one clock."""
    if not due_at:
        return ""
    if isinstance(due_at, str):
        due_at = datetime.fromisoformat(due_at)
    now = runtime().clock.now()
    if due_at < now:
        return "overdue"
    if due_at < now + DUE_SOON:
        return "soon"
    return ""


def money(value: Any) -> str:
    """``12,345`` or ``12,345.50``; anything that is not a number as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


TEMPLATE_FILTERS = {
    "local_datetime": local_datetime,
    "local_date": local_date,
    "due_state": due_state,
    "money": money,
}
