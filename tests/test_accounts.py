"""Accounts (issue 13, items 2 and 4): no demo users unless asked, administering users from the
command line and the admin page, and sessions and tokens that end when they should.

Sessions are rows checked on every request and read the one clock, so the timeouts are proved by
moving the test's ``FixedClock``; the token lifetime likewise.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select

from webapp import create_app
from webapp.extensions import db
from workflows.models import User

from .conftest import PASSWORD, ROOT, SHARED_SPECS, TEST_DATABASE, app_config

FLASK = str(Path(sys.executable).parent / "flask")


def sign_in(app: Flask, username: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str) -> Any:
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def signed_in(client: Any) -> bool:
    """Whether the client's session is good: the API answers who it is, else 401."""
    return client.get("/api/v1/me").status_code == 200


def token_of(client: Any, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- no demo users


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    if TEST_DATABASE == "postgresql":
        from .postgres import fresh_database

        with fresh_database() as url:
            yield url
        return
    yield f"sqlite:///{tmp_path / 'fresh.db'}"


def flask_command(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``flask --app webapp ...`` as an operator runs it: settings from the environment only."""
    import os

    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRIPFLOW_")}
    environ.update(DATABASE_URL=url, SECRET_KEY="test-secret", PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [FLASK, "--app", "webapp", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )


def user_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(User.username)))
    finally:
        engine.dispose()


def test_init_db_creates_no_users_and_make_run_says_when_it_creates_demo_users(empty_database):
    plain = flask_command(empty_database, "init-db")
    assert plain.returncode == 0, plain.stderr
    assert user_names(empty_database) == set()  # no admin / admin-demo on a production start
    assert "demo" not in plain.stdout.lower()

    # What make run does (TRIPFLOW_DEMO_USERS=1): demo users, and it says so.
    demo = flask_command(empty_database, "init-db", TRIPFLOW_DEMO_USERS="1")
    assert demo.returncode == 0, demo.stderr
    assert "Created demo users" in demo.stdout and "admin-demo" in demo.stdout
    assert {"admin", "account_manager"} <= user_names(empty_database)


def test_flask_demo_adds_no_demo_users_beside_real_ones_and_says_why(app):
    # The test database has users already: flask demo adds none, and says why.
    result = app.test_cli_runner().invoke(args=["demo", "--users-only"])
    assert result.exit_code == 0, result.output
    assert "no demo users were added" in result.output


# --------------------------------------------------------------------------- the users command line


def test_users_list_passwd_disable_enable_and_roles(app, client, clock):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0, listed.output
    assert any(
        line.split()[:3] == ["travel_advisor", "active", "travel_advisor"]
        for line in listed.output.splitlines()
    )

    advisor = sign_in(app, "travel_advisor")
    token = token_of(client, "travel_advisor")["token"]

    changed = runner.invoke(args=["users", "passwd", "travel_advisor", "--password", "a-new-password"])
    assert changed.exit_code == 0, changed.output
    assert not signed_in(advisor)  # the session ended
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # the token was revoked
    assert (
        client.post("/api/v1/token", json={"username": "travel_advisor", "password": PASSWORD}).status_code
        == 401
    )
    token = token_of(client, "travel_advisor", "a-new-password")["token"]

    disabled = runner.invoke(args=["users", "disable", "travel_advisor"])
    assert disabled.exit_code == 0, disabled.output
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert (
        client.post(
            "/api/v1/token", json={"username": "travel_advisor", "password": "a-new-password"}
        ).status_code
        == 401
    )

    assert runner.invoke(args=["users", "enable", "travel_advisor"]).exit_code == 0
    roles = runner.invoke(
        args=["users", "roles", "travel_advisor", "--role", "project_manager", "--role", "travel_advisor"]
    )
    assert roles.exit_code == 0, roles.output
    assert token_of(client, "travel_advisor", "a-new-password")["roles"] == [
        "project_manager",
        "travel_advisor",
    ]

    unknown = runner.invoke(args=["users", "disable", "nobody"])
    assert unknown.exit_code != 0 and "no user 'nobody'" in unknown.output


def test_the_password_rule_names_the_minimum_length(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "add", "mei", "--role", "travel_advisor", "--password", "short"])
    assert short.exit_code != 0
    assert "a password needs at least 8 characters" in short.output
    passwd = runner.invoke(args=["users", "passwd", "travel_advisor", "--password", "1234567"])
    assert passwd.exit_code != 0 and "a password needs at least 8 characters" in passwd.output
    admin = sign_in(app, "admin")
    page = admin.post(
        "/admin/users/travel_advisor/password", data={"password": "short"}, follow_redirects=True
    )
    assert "a password needs at least 8 characters" in page.get_data(as_text=True)


def test_a_user_name_that_no_page_could_address_is_refused(app):
    runner = app.test_cli_runner()
    for name in ("a/b", "two words", "x" * 65):
        result = runner.invoke(
            args=["users", "add", name, "--role", "travel_advisor", "--password", PASSWORD]
        )
        assert result.exit_code != 0 and "a user name has 1 to 64 characters" in result.output, name


def test_passwords_are_hashed_with_scrypt(app, session):
    hashes = session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("scrypt:") for h in hashes)


def test_the_last_active_admin_cannot_be_disabled_or_lose_the_role(app):
    runner = app.test_cli_runner()
    assert "last active admin" in runner.invoke(args=["users", "disable", "admin"]).output
    assert (
        "last active admin"
        in runner.invoke(args=["users", "roles", "admin", "--role", "data_analyst"]).output
    )
    assert (
        runner.invoke(
            args=["users", "add", "root", "--role", "admin", "--password", "another-admin"]
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["users", "disable", "admin"]).exit_code == 0


# --------------------------------------------------------------------------- the admin page


def test_only_admins_see_the_accounts_page(app):
    assert sign_in(app, "service_supervisor").get("/admin/users").status_code == 403
    assert sign_in(app, "service_supervisor").post("/admin/users/travel_advisor/disable").status_code == 403
    page = sign_in(app, "admin").get("/admin/users")
    assert page.status_code == 200
    assert 'data-user="travel_advisor"' in page.get_data(as_text=True)


def test_admin_page_adds_a_user_sets_password_roles_disables_and_enables(app, client):
    admin = sign_in(app, "admin")
    added = admin.post(
        "/admin/users",
        data={
            "username": "mei",
            "display_name": "Mei",
            "password": "first-password",
            "role": ["travel_advisor"],
        },
    )
    assert added.status_code == 302 and added.headers["Location"].endswith("/admin/users/mei")
    mei = sign_in(app, "mei", "first-password")
    assert signed_in(mei)

    admin.post("/admin/users/mei/roles", data={"role": ["travel_advisor", "customer_service"]})
    assert signed_in(mei)  # gaining a role keeps the session (the new role applies at once)
    assert mei.get("/api/v1/me").get_json()["roles"] == ["customer_service", "travel_advisor"]
    admin.post("/admin/users/mei/roles", data={"role": ["customer_service"]})
    assert not signed_in(mei)  # losing one ends it
    mei = sign_in(app, "mei", "first-password")

    admin.post("/admin/users/mei/password", data={"password": "second-password"})
    assert not signed_in(mei)
    mei = sign_in(app, "mei", "second-password")
    token = token_of(client, "mei", "second-password")["token"]

    admin.post("/admin/users/mei/disable")
    assert not signed_in(mei)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert 'data-active="false"' in admin.get("/admin/users/mei").get_data(as_text=True)
    admin.post("/admin/users/mei/enable")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert signed_in(sign_in(app, "mei", "second-password"))


def test_admin_page_revokes_a_users_token(app, client):
    token = token_of(client, "travel_advisor")
    admin = sign_in(app, "admin")
    page = admin.get("/admin/users/travel_advisor").get_data(as_text=True)
    assert f'data-token="{token["id"]}"' in page and token["token"] not in page
    admin.post(f"/admin/users/travel_advisor/tokens/{token['id']}/revoke")
    assert client.get("/api/v1/me", headers=bearer(token["token"])).status_code == 401


# --------------------------------------------------------------------------- sessions


def test_a_cookie_copied_before_logout_is_refused_after_it(app):
    client = sign_in(app, "account_manager")
    copied = session_cookie(client)
    assert signed_in(with_cookie(app, copied))
    assert client.post("/logout").status_code == 302
    assert with_cookie(app, copied).get("/api/v1/me").status_code == 401
    page = with_cookie(app, copied).get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_disabled_users_session_and_token_get_401_at_once(app, client):
    browser = sign_in(app, "travel_advisor")
    token = token_of(client, "travel_advisor")["token"]
    assert signed_in(browser) and client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    sign_in(app, "admin").post("/admin/users/travel_advisor/disable")
    assert browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_session_ends_after_eight_idle_hours(app, clock):
    client = sign_in(app, "account_manager")
    for _ in range(3):  # used every 7 h 59 min: still signed in after almost a day
        clock.advance(hours=7, minutes=59)
        assert signed_in(client)
    clock.advance(hours=8)
    assert not signed_in(client)
    clock.advance(minutes=-1)  # it stays ended
    assert not signed_in(client)


def test_a_session_ends_seven_days_after_sign_in_however_busy(app, clock):
    client = sign_in(app, "account_manager")
    for _ in range(23):  # 23 x 7 h = 6 days 17 hours
        clock.advance(hours=7)
        assert signed_in(client)
    clock.advance(hours=7)  # 7 days 0 hours
    assert not signed_in(client)


def test_session_timeouts_are_configurable(database_url, clock):
    app = create_app(
        {**app_config(database_url), "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_DAYS": 1}, clock=clock
    )
    app.extensions["tripflow"].specs = SHARED_SPECS
    with app.app_context():
        client = sign_in(app, "account_manager")
        clock.advance(minutes=29)
        assert signed_in(client)
        clock.advance(minutes=30)
        assert not signed_in(client)
        client = sign_in(app, "account_manager")
        for _ in range(49):  # 23 h 41 min, never idle for 30 minutes
            clock.advance(minutes=29)
            assert signed_in(client)
        clock.advance(minutes=29)  # 24 h 10 min after sign-in
        assert not signed_in(client)
        db.session.remove()
        db.engine.dispose()


def test_timeouts_are_declared_with_their_environment_variables(monkeypatch, tmp_path):
    from webapp.config import SETTINGS, load_config

    assert SETTINGS["SESSION_IDLE_MINUTES"][:2] == ("SESSION_IDLE_MINUTES", 480)
    assert SETTINGS["SESSION_MAX_DAYS"][:2] == ("SESSION_MAX_DAYS", 7)
    assert SETTINGS["TOKEN_LIFETIME_DAYS"][:2] == ("TOKEN_LIFETIME_DAYS", 30)
    assert SETTINGS["DEMO_USERS"][1] is False
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("TOKEN_LIFETIME_DAYS", "2")
    config = load_config(tmp_path)
    assert config["SESSION_IDLE_MINUTES"] == 15 and config["TOKEN_LIFETIME_DAYS"] == 2


# --------------------------------------------------------------------------- tokens


def test_a_token_expires_after_thirty_days(app, client, clock):
    issued = token_of(client, "account_manager")
    assert set(issued) >= {"token", "expires_at"}
    from datetime import datetime

    assert datetime.fromisoformat(issued["expires_at"]) == clock.now() + timedelta(days=30)
    clock.advance(days=29, hours=23)
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 200
    clock.advance(hours=1)
    expired = client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert expired.status_code == 401 and expired.get_json()["error"] == "unauthorized"


def test_the_token_lifetime_is_configurable(database_url, clock):
    app = create_app({**app_config(database_url), "TOKEN_LIFETIME_DAYS": 1}, clock=clock)
    with app.app_context():
        client = app.test_client()
        token = token_of(client, "account_manager")["token"]
        clock.advance(hours=23)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        clock.advance(hours=1)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        db.session.remove()
        db.engine.dispose()


def test_i_list_and_revoke_my_tokens_but_not_anyone_elses(app, client):
    first, second = token_of(client, "account_manager"), token_of(client, "account_manager")
    other = token_of(client, "travel_advisor")
    mine = client.get("/api/v1/me/tokens", headers=bearer(first["token"]))
    assert mine.status_code == 200
    listed = mine.get_json()["items"]
    assert [t["id"] for t in listed] == [second["id"], first["id"]]
    assert all(t["status"] == "active" and "token" not in t for t in listed)

    assert (
        client.delete(f"/api/v1/me/tokens/{other['id']}", headers=bearer(first["token"])).status_code == 404
    )
    assert client.get("/api/v1/me", headers=bearer(other["token"])).status_code == 200

    revoked = client.delete(f"/api/v1/me/tokens/{second['id']}", headers=bearer(first["token"]))
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert client.get("/api/v1/me", headers=bearer(second["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(first["token"])).status_code == 200
    statuses = [
        t["status"]
        for t in client.get("/api/v1/me/tokens", headers=bearer(first["token"])).get_json()["items"]
    ]
    assert statuses == ["revoked", "active"]


def test_an_admin_revokes_anyones_token_through_the_api(app, client):
    victim = token_of(client, "travel_advisor")
    admin = token_of(client, "admin")["token"]
    supervisor = token_of(client, "service_supervisor")["token"]
    path = f"/api/v1/users/travel_advisor/tokens/{victim['id']}"
    assert client.delete(path, headers=bearer(supervisor)).status_code == 403
    assert client.get("/api/v1/users", headers=bearer(supervisor)).status_code == 403
    listed = client.get("/api/v1/users/travel_advisor/tokens", headers=bearer(admin)).get_json()["items"]
    assert [t["id"] for t in listed] == [victim["id"]]
    assert client.delete(path, headers=bearer(admin)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(victim["token"])).status_code == 401
    users = client.get("/api/v1/users", headers=bearer(admin)).get_json()["items"]
    assert {"username": "travel_advisor", "roles": ["travel_advisor"], "active": True}.items() <= next(
        u for u in users if u["username"] == "travel_advisor"
    ).items()
