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


def failed_login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Past 10 failures for one account or 30 from one address in 15 minutes: 429 until the window passes."""
    view = limiter.limit(ACCOUNT_LIMIT, key_func=_username, deduct_when=_failed)(view)
    return limiter.limit(ADDRESS_LIMIT, key_func=_address, deduct_when=_failed)(view)
