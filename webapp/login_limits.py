"""Login throttling: only failed attempts count, per account and per address (API.md conventions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from .extensions import limiter

ACCOUNT_LIMIT = "10 per 15 minutes"
ADDRESS_LIMIT = "30 per 15 minutes"


def _username() -> str:
    data: Any = request.get_json(silent=True) if request.is_json else None
    name = data.get("username") if isinstance(data, dict) else request.form.get("username")
    return "account:" + (str(name)[:64].lower() if name else "")


def _address() -> str:
    return "address:" + (request.remote_addr or "unknown")


def _failed(response: Any) -> bool:
    return response.status_code == 401 or getattr(response, "login_failed", False)


# Shared limits: the sign-in page and the token exchange count failures together, so that neither
# doubles what a guesser gets. Only POST counts: the sign-in page itself always shows.
_per_account = limiter.shared_limit(
    ACCOUNT_LIMIT, scope="login-account", key_func=_username, deduct_when=_failed, methods=["POST"]
)
_per_address = limiter.shared_limit(
    ADDRESS_LIMIT, scope="login-address", key_func=_address, deduct_when=_failed, methods=["POST"]
)


def failed_login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Past 10 failures for one account or 30 from one address in 15 minutes: 429 until the window passes.

    While an account is locked even the right password answers 429; otherwise a 200 among the
    429s would confirm a guess.
    """
    return _per_address(_per_account(view))
