"""Login throttling: only failed attempts count, per account and per address (API.md conventions).

The counts live in a store every worker and host shares (``workflows.people.login_failures``):
the database, or Redis when ``RATELIMIT_STORAGE_URI`` says so. ``RATELIMIT_ENABLED`` turns it off
(the shared test settings do; the throttling tests turn it back on).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _

from workflows.people import login_failures

from .errors import api_error, is_api_request
from .extensions import db

STORE_KEY = "tripflow.login_failures"
log = logging.getLogger("tripflow")


def init_login_limits(app: Flask) -> None:
    """Choose the store once per app; a bad ``RATELIMIT_STORAGE_URI`` stops the start."""
    app.extensions[STORE_KEY] = login_failures.store_for(app.config["RATELIMIT_STORAGE_URI"], db.session)


def _username() -> str:
    data: Any = request.get_json(silent=True) if request.is_json else None
    name = data.get("username") if isinstance(data, dict) else request.form.get("username")
    return str(name) if name else ""


def _failed(response: Any) -> bool:
    return response.status_code == 401 or getattr(response, "login_failed", False)


def _too_many(retry_after: int) -> Any:
    if is_api_request():
        response = api_error(429, "too_many_requests", "too many failed sign-ins; try again later")
    else:
        response = current_app.make_response(
            (render_template("error.html", status=429, message=_("Too many attempts"), details=[]), 429)
        )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _store_unavailable(exc: Exception) -> Any:
    log.error("login limiter store unavailable: %s", exc)
    if is_api_request():
        return api_error(503, "unavailable", "sign-in is not possible right now; try again shortly")
    html = render_template(
        "error.html", status=503, message=_("The service is busy. Please try again."), details=[]
    )
    return current_app.make_response((html, 503))


def failed_login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Past 10 failures for one account or 30 from one address in 15 minutes: 429 until the window passes.

    While an account is locked even the right password answers 429; otherwise a 200 among the
    429s would confirm a guess. Only POST counts: the sign-in page itself always shows.
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST" or not current_app.config.get("RATELIMIT_ENABLED", True):
            return view(*args, **kwargs)
        store = current_app.extensions[STORE_KEY]
        clock = current_app.extensions["tripflow"].clock
        keys = login_failures.login_keys(_username(), request.remote_addr or "unknown")
        now = clock.now()
        try:
            until = login_failures.locked_until(store, keys, now=now)
            if until is not None:
                return _too_many(max(1, math.ceil((until - now).total_seconds())))
            response = current_app.make_response(view(*args, **kwargs))
            if _failed(response):
                login_failures.record_failure(store, keys, now=now)
        except login_failures.StoreUnavailable as exc:
            return _store_unavailable(exc)  # uncounted guesses are not allowed: nobody signs in
        return response

    return guarded
