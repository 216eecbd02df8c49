"""Failed sign-ins, counted in a store every worker and host shares (API.md conventions).

More than 10 failures for one account, or 30 from one address, within 15 minutes lock that
account or address until the oldest of those failures is 15 minutes old. Successes are never
counted. The database is the default store, so a new install needs nothing more; Redis serves
when ``RATELIMIT_STORAGE_URI`` names it.

An attempt is checked before the password and counted after it, so attempts already in flight
when the limit is reached still get their answer: at most one extra failure per busy worker
(a sync worker handles one request at a time), never a multiple of the limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows.models import LoginFailure
from workflows.unit import begin_write

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 30


class StoreUnavailable(Exception):
    """The shared store does not answer: sign-ins wait (503) rather than go uncounted."""


class FailureStore(Protocol):
    def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        """Up to ``limit`` failure instants of ``key`` after ``since``, newest first."""

    def add(self, keys: list[str], at: datetime) -> None:
        """Count one failure for each key."""


class DatabaseFailures:
    """Rows of ``login_failure``; each failure also clears its keys' rows older than the window."""

    def __init__(self, session: Callable[[], Session] | Session) -> None:
        self.session: Any = session

    def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        query = (
            select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def add(self, keys: list[str], at: datetime) -> None:
        session = self.session
        begin_write(session)
        try:
            stale = delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= at - WINDOW)
            session.execute(stale)
            session.add_all([LoginFailure(key=key, at=at) for key in keys])
            session.commit()
        except BaseException:
            session.rollback()
            raise


class RedisFailures:
    """A sorted set per key (score: the instant), expiring with the window."""

    PREFIX = "tripflow:login-failures:"

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.errors = redis.RedisError

    def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        try:
            found = self.redis.zrevrangebyscore(
                self.PREFIX + key, "+inf", f"({since.timestamp()}", start=0, num=limit, withscores=True
            )
        except self.errors as exc:
            raise StoreUnavailable(f"Redis does not answer: {exc}") from exc
        return [datetime.fromtimestamp(score, UTC) for _member, score in found]  # type: ignore[union-attr]

    def add(self, keys: list[str], at: datetime) -> None:
        stamp = at.timestamp()
        try:
            with self.redis.pipeline() as pipe:
                for key in keys:
                    name = self.PREFIX + key
                    pipe.zremrangebyscore(name, "-inf", stamp - WINDOW.total_seconds())
                    pipe.zadd(name, {f"{stamp}:{uuid.uuid4().hex}": stamp})
                    pipe.expire(name, int(WINDOW.total_seconds()) + 1)
                pipe.execute()
        except self.errors as exc:
            raise StoreUnavailable(f"Redis does not answer: {exc}") from exc


def login_keys(username: str, address: str) -> list[tuple[str, int]]:
    """The counters one attempt touches, with their limits: the account (any case) and the address."""
    return [("account:" + username[:64].lower(), ACCOUNT_LIMIT), ("address:" + address[:64], ADDRESS_LIMIT)]


def locked_until(store: FailureStore, keys: list[tuple[str, int]], *, now: datetime) -> datetime | None:
    """When the latest lock on these keys ends, or None when none is locked now."""
    until = None
    for key, limit in keys:
        failures = store.recent(key, now - WINDOW, limit)
        if len(failures) >= limit:
            ends = failures[limit - 1] + WINDOW
            until = ends if until is None or ends > until else until
    return until


def record_failure(store: FailureStore, keys: list[tuple[str, int]], *, now: datetime) -> None:
    store.add([key for key, _limit in keys], now)


def store_for(uri: str, session: Callable[[], Session] | Session) -> FailureStore:
    """The store ``RATELIMIT_STORAGE_URI`` names: ``database`` (default) or ``redis://...``."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisFailures(uri)
    if uri in ("", "database"):
        return DatabaseFailures(session)
    raise ValueError(f"RATELIMIT_STORAGE_URI must be 'database' or a redis:// URL, not {uri!r}")
