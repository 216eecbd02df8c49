"""Login limits hold across workers and hosts (issue 13, item 3).

The failures are counted in a store every worker shares: the database by default, Redis when
``RATELIMIT_STORAGE_URI`` names it. The proof runs real gunicorn with two workers, sending the
failures two at a time so that both workers take some: with counters in each worker's memory the
11th failure would still be a 401.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bench.harness import Http, prepare, start_gunicorn
from webapp import create_app
from webapp.extensions import db

from .conftest import PASSWORD, SHARED_SPECS, TEST_DATABASE, app_config
from .postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: Any, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        if TEST_DATABASE == "postgresql":
            pytest.skip("runs in the SQLite pass of the suite")
        yield f"sqlite:///{tmp_path / 'limits.db'}"
    else:
        with fresh_database() as database_url:
            yield database_url


def test_the_eleventh_failure_is_429_across_two_gunicorn_workers(url: str, tmp_path: Path) -> None:
    prepare(url)
    web = start_gunicorn(url, tmp_path, workers=2, name="limits", extra_env={"TRIPFLOW_LOGIN_LIMITS": "1"})
    try:
        client = Http(web.base, timeout=30)
        statuses: list[int] = []

        def fail() -> None:
            answer = client.request(
                "POST", "/api/v1/token", {"username": "travel_advisor", "password": "wrong"}
            )
            statuses.append(answer.status)

        for _ in range(5):  # two at a time: each sync worker takes one of a pair
            pair = [threading.Thread(target=fail) for _ in range(2)]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join()
        assert statuses == [401] * 10
        refused = client.request("POST", "/api/v1/token", {"username": "travel_advisor", "password": "wrong"})
        assert refused.status == 429, refused.body
        assert refused.body["error"] == "too_many_requests"
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
        # Locked for the right password too, on every worker; another account is not.
        for _ in range(4):
            right = client.request(
                "POST", "/api/v1/token", {"username": "travel_advisor", "password": "bench-password-1"}
            )
            assert right.status == 429
        assert (
            client.request(
                "POST", "/api/v1/token", {"username": "account_manager", "password": "bench-password-1"}
            ).status
            == 200
        )
    finally:
        web.stop()


# --------------------------------------------------------------------------- in one process


def _limited_app(database_url: str, clock: Any, **config: Any) -> Iterator[Flask]:
    app = create_app({**app_config(database_url), "RATELIMIT_ENABLED": True, **config}, clock=clock)
    app.extensions["tripflow"].specs = SHARED_SPECS
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited(database_url: str, clock: Any) -> Iterator[Flask]:
    yield from _limited_app(database_url, clock)


def _token(client: Any, username: str, password: str, address: str = "192.0.2.1") -> Any:
    return client.post(
        "/api/v1/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_429_says_when_to_retry_and_the_lock_ends_when_the_window_passes(limited, clock):
    client = limited.test_client()
    for _ in range(10):  # one failure a minute
        assert _token(client, "travel_advisor", "wrong").status_code == 401
        clock.advance(minutes=1)
    refused = _token(client, "travel_advisor", PASSWORD)
    assert refused.status_code == 429
    # The first failure was 10 minutes ago: it leaves the window in 5 minutes.
    assert refused.headers["Retry-After"] == str(5 * 60)
    page = client.post("/login", data={"username": "travel_advisor", "password": "wrong"})
    assert page.status_code == 429 and page.headers["Retry-After"] == str(5 * 60)
    clock.advance(minutes=5)
    assert _token(client, "travel_advisor", PASSWORD).status_code == 200  # one failure left the window
    assert _token(client, "travel_advisor", "wrong").status_code == 401
    assert _token(client, "travel_advisor", "wrong").status_code == 429


def test_a_bad_limiter_store_stops_the_start(database_url, clock):
    with pytest.raises(ValueError, match="RATELIMIT_STORAGE_URI"):
        create_app({**app_config(database_url), "RATELIMIT_STORAGE_URI": "memory://"}, clock=clock)


def test_an_unreachable_redis_refuses_sign_ins_with_503_not_500(database_url, clock):
    for app in _limited_app(database_url, clock, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"):
        client = app.test_client()
        api = _token(client, "travel_advisor", PASSWORD)
        assert api.status_code == 503 and api.get_json()["error"] == "unavailable"
        assert (
            client.post("/login", data={"username": "travel_advisor", "password": PASSWORD}).status_code
            == 503
        )
        assert client.get("/login").status_code == 200


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False


def test_failures_are_counted_in_redis_when_configured(database_url, clock):
    import os

    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Redis server answers on 127.0.0.1:6379")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    import redis

    # Unknown user names count too; a fresh name and address keep this run apart from any other.
    name, address = f"nobody-{uuid.uuid4().hex[:8]}", f"203.0.113.{uuid.uuid4().int % 250}"
    for app in _limited_app(database_url, clock, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"):
        client = app.test_client()
        assert [_token(client, name, "wrong", address).status_code for _ in range(10)] == [401] * 10
    # A second app (another worker or host) on the same Redis sees the count.
    for app in _limited_app(database_url, clock, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"):
        refused = _token(app.test_client(), name, "wrong", address)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 15 * 60
    from workflows.models import LoginFailure

    for _app in _limited_app(database_url, clock):
        assert db.session.query(LoginFailure).count() == 0  # nothing went to the database
    server = redis.Redis(host="127.0.0.1", port=6379)
    server.delete(f"tripflow:login-failures:account:{name}", f"tripflow:login-failures:address:{address}")
