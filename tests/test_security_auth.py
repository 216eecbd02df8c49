"""Guarded logins: throttled failures, session cookies, CSRF on forms, revocable and hashed tokens.

The shared test config turns rate limiting and CSRF off; the tests here build a fresh app with
them on, as production runs.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import LargeBinary, String, Text, select

from webapp import create_app
from webapp.extensions import db
from workflows.db import Base
from workflows.models import ApiToken
from workflows.people.users import add_user

from .conftest import PASSWORD, SHARED_SPECS, app_config

OTHER_ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}


def _secure_app(database_url: str, clock: Any, **config: Any) -> Iterator[Flask]:
    """An app on the test database (users per role exist) with production settings turned on."""
    app = create_app({**app_config(database_url), **config}, clock=clock)
    app.extensions["tripflow"].specs = SHARED_SPECS
    with app.app_context():
        for name in ("anna", "bert", "carl", "dora", "emil"):
            add_user(db.session, name, PASSWORD, ["account_manager"], now=clock.now())
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def limited(database_url: str, clock: Any) -> Iterator[Flask]:
    """Login throttling on, counting in this test's own database (a fresh one per test)."""
    yield from _secure_app(database_url, clock, RATELIMIT_ENABLED=True)


@pytest.fixture
def guarded(database_url: str, clock: Any) -> Iterator[Flask]:
    """CSRF on, as in production."""
    yield from _secure_app(database_url, clock, WTF_CSRF_ENABLED=True)


def api_login(client: Any, username: str, password: str, **environ: Any) -> int:
    response = client.post(
        "/api/v1/token", json={"username": username, "password": password}, environ_base=environ
    )
    return response.status_code


def page_login(client: Any, username: str, password: str) -> int:
    return client.post("/login", data={"username": username, "password": password}).status_code


# --------------------------------------------------------------------------- throttling


def test_eleventh_failed_attempt_for_one_account_is_refused(limited):
    client = limited.test_client()
    assert [api_login(client, "anna", "wrong") for _ in range(10)] == [401] * 10
    refused = client.post("/api/v1/token", json={"username": "anna", "password": "wrong"})
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests" and refused.get_json()["message"]
    # Locked until the window passes, even with the right password: a 200 would confirm a guess.
    assert api_login(client, "anna", PASSWORD) == 429
    # Other accounts from the same address are not locked (their own limit, and 11 < 30).
    assert api_login(client, "bert", PASSWORD) == 200


def test_the_account_limit_counts_the_name_case_insensitively(limited):
    client = limited.test_client()
    for name in ("anna", "ANNA", "Anna", "aNNa", "AnnA") * 2:
        assert api_login(client, name, "wrong") == 401
    assert api_login(client, "AnNa", "wrong") == 429


def test_thirty_one_failures_from_one_address_across_accounts(limited):
    client = limited.test_client()
    statuses = []
    for name in ("anna", "bert", "carl", "dora"):  # 8 failures each: no account reaches its limit
        statuses += [api_login(client, name, "wrong") for _ in range(8)][: 30 - len(statuses)]
    assert statuses == [401] * 30
    assert api_login(client, "emil", "wrong") == 429
    assert api_login(client, "emil", PASSWORD) == 429
    # Another address is not affected.
    assert api_login(client, "emil", PASSWORD, **OTHER_ADDRESS) == 200


def test_successful_logins_do_not_count_and_are_not_throttled(limited):
    client = limited.test_client()
    assert [api_login(client, "anna", "wrong") for _ in range(9)] == [401] * 9
    assert [api_login(client, "anna", PASSWORD) for _ in range(12)] == [200] * 12
    assert page_login(client, "anna", PASSWORD) == 302
    assert api_login(client, "anna", "wrong") == 401  # the 10th failure
    assert api_login(client, "anna", "wrong") == 429  # the 11th


def test_failures_on_the_login_page_and_the_api_share_one_limit(limited):
    client = limited.test_client()
    assert [page_login(client, "anna", "wrong") for _ in range(5)] == [401] * 5
    assert [api_login(client, "anna", "wrong") for _ in range(5)] == [401] * 5
    assert page_login(client, "anna", "wrong") == 429
    assert api_login(client, "anna", "wrong") == 429
    # The sign-in page itself still shows.
    assert client.get("/login").status_code == 200


def test_unknown_user_names_count_too(limited):
    client = limited.test_client()
    assert [api_login(client, "nobody", "wrong") for _ in range(10)] == [401] * 10
    assert api_login(client, "nobody", "wrong") == 429


def test_an_unknown_user_name_takes_as_long_as_a_wrong_password(client):
    """Else the answer's timing tells which user names exist."""

    def slowest(username: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert api_login(client, username, "wrong") == 401
            times.append(time.perf_counter() - started)
        return sorted(times)[1]

    known, unknown = slowest("account_manager"), slowest("no_such_user")
    assert unknown > known / 3, (known, unknown)


# --------------------------------------------------------------------------- session cookies


def _session_cookie(response: Any) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_session_cookie_is_httponly_and_samesite(app):
    response = app.test_client().post("/login", data={"username": "account_manager", "password": PASSWORD})
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development unless configured


def test_session_cookie_secure_when_configured(database_url, clock):
    for app in _secure_app(database_url, clock, SESSION_COOKIE_SECURE=True):
        response = app.test_client().post(
            "/login", data={"username": "account_manager", "password": PASSWORD}, base_url="https://localhost"
        )
        cookie = _session_cookie(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_secure_is_set_from_the_environment(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_logout_ends_the_session(app):
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    assert client.get("/inbox").status_code == 200
    assert client.post("/logout").status_code == 302
    after = client.get("/inbox")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- CSRF


def _csrf_token(client: Any, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert found, f"no csrf_token field on {path}"
    return found.group(1)


def _page_posts(app: Flask) -> list[str]:
    """Every page (not API) route that accepts POST, with ids filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/"):
            paths.append(re.sub(r"<[^>]+>", "1", rule.rule))
    return sorted(paths)


def test_every_form_post_without_a_csrf_token_is_refused(guarded):
    client = guarded.test_client()
    # Sign in properly first (with the token), so that refusals below are CSRF, not sign-in.
    signed_in = client.post(
        "/login",
        data={"username": "service_supervisor", "password": PASSWORD, "csrf_token": _csrf_token(client)},
    )
    assert signed_in.status_code == 302
    posts = _page_posts(guarded)
    assert "/login" in posts and "/cases/start" in posts and "/tasks/1" in posts
    for path in posts:
        response = client.post(path, data={"text": "hello", "process": "trip"})
        assert response.status_code == 400, path
        response = client.post(path, data={"csrf_token": "forged"})
        assert response.status_code == 400, path
    # Still signed in: none of the refused posts (logout among them) did anything.
    assert client.get("/inbox").status_code == 200


def test_login_form_without_a_csrf_token_is_refused(guarded):
    client = guarded.test_client()
    response = client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/inbox").status_code == 302  # not signed in


def test_api_writes_from_a_browser_session_need_the_csrf_token(guarded):
    client = guarded.test_client()
    token = _csrf_token(client)
    client.post("/login", data={"username": "account_manager", "password": PASSWORD, "csrf_token": token})
    refused = client.post("/api/v1/customers", json={"name": "Forged Li"})
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    allowed = client.post("/api/v1/customers", json={"name": "Real Li"}, headers={"X-CSRFToken": token})
    assert allowed.status_code == 201
    # A bearer token is not sent by browsers on their own: no CSRF token needed.
    bearer = client.post("/api/v1/token", json={"username": "account_manager", "password": PASSWORD})
    assert bearer.status_code == 200
    with_token = guarded.test_client().post(
        "/api/v1/customers",
        json={"name": "Script Li"},
        headers={"Authorization": f"Bearer {bearer.get_json()['token']}"},
    )
    assert with_token.status_code == 201


# --------------------------------------------------------------------------- tokens


def test_token_can_be_revoked(api):
    api.as_("account_manager")
    assert api.get("/api/v1/me").status_code == 200
    revoked = api.client.delete("/api/v1/token", headers=api._headers())
    assert revoked.status_code == 200 and revoked.get_json() == {"revoked": True}
    after = api.get("/api/v1/me")
    assert after.status_code == 401 and after.get_json()["error"] == "unauthorized"
    assert api.client.delete("/api/v1/token", headers=api._headers()).status_code == 401


def test_revoking_one_token_keeps_the_others(client):
    tokens = [
        client.post("/api/v1/token", json={"username": "account_manager", "password": PASSWORD}).get_json()[
            "token"
        ]
        for _ in range(2)
    ]
    client.delete("/api/v1/token", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[0]}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[1]}"}).status_code == 200


def test_bad_tokens_are_refused(client):
    for header in (
        "Bearer ",
        "Bearer nonsense",
        "Bearer " + "x" * 5000,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer \u00e9",
    ):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_deactivated_users_tokens_stop_working(api, session):
    from workflows.people.users import find_user

    api.as_("travel_advisor")
    find_user(session, "travel_advisor").active = False
    session.commit()
    assert api.get("/api/v1/me").status_code == 401


def _all_stored_text(session: Any) -> str:
    """Every string and binary value of every table, as one text to search."""
    parts = []
    for table in Base.metadata.sorted_tables:
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, String | Text | LargeBinary)
            or getattr(c.type, "impl", None) is not None
            and isinstance(c.type.impl, String | Text)
        ]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                if isinstance(value, bytes):
                    parts.append(value.decode("utf-8", "replace"))
                elif value is not None:
                    parts.append(str(value))
    return "\n".join(parts)


def test_tokens_and_passwords_are_stored_hashed(api, session):
    token = api.as_("account_manager").tokens["account_manager"]
    stored = _all_stored_text(session)
    assert token not in stored
    assert PASSWORD not in stored
    [row] = session.scalars(select(ApiToken)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert session.scalar(select(ApiToken.token_hash)) != token


def test_token_exchange_needs_no_session_and_sets_no_cookie(client):
    response = client.post("/api/v1/token", json={"username": "account_manager", "password": PASSWORD})
    assert response.status_code == 200
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
