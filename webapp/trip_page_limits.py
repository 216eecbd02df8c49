"""Throttling of the customer's trip page, in the store the login limits use (database or Redis).

Two counters: unknown or dead links per address (guessing links), and actions per link (a copied
link used to flood the desk with complaints). Past the limit the page answers 429 until the
window of 15 minutes has passed.
"""

from __future__ import annotations

import math

from flask import current_app, request

from workflows.people import login_failures

from .login_limits import STORE_KEY

BAD_LINKS_PER_ADDRESS = 20
ACTIONS_PER_LINK = 30


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _address_key() -> tuple[str, int]:
    return ("trip-page-address:" + (request.remote_addr or "unknown")[:64], BAD_LINKS_PER_ADDRESS)


def _link_key(token: str) -> tuple[str, int]:
    from workflows.trip_page.links import token_hash

    return ("trip-page-link:" + token_hash(token)[:32], ACTIONS_PER_LINK)


def retry_after(token: str | None = None) -> int | None:
    """Seconds to wait when this address (or, for an action, this link) is over its limit."""
    if not _enabled():
        return None
    keys = [_address_key()] + ([_link_key(token)] if token else [])
    now = current_app.extensions["tripflow"].clock.now()
    until = login_failures.locked_until(current_app.extensions[STORE_KEY], keys, now=now)
    return None if until is None else max(1, math.ceil((until - now).total_seconds()))


def count_bad_link() -> None:
    if _enabled():
        now = current_app.extensions["tripflow"].clock.now()
        login_failures.record_failure(current_app.extensions[STORE_KEY], [_address_key()], now=now)


def count_action(token: str) -> None:
    if _enabled():
        now = current_app.extensions["tripflow"].clock.now()
        login_failures.record_failure(current_app.extensions[STORE_KEY], [_link_key(token)], now=now)
