"""Security headers on every answer: each route of the URL map (pages and API, signed in or not),
error answers and static files carry a Content-Security-Policy without inline script and with
frame-ancestors 'none', X-Content-Type-Options nosniff and a Referrer-Policy.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD
from .security_world import World, deploy_test_model
from .test_security_roles import _request, _routes

REFERRER_POLICIES = {"strict-origin-when-cross-origin", "no-referrer", "same-origin", "strict-origin"}


def header_problems(response: Any) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    if not csp:
        problems.append("no Content-Security-Policy")
    elif scripts is None or "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
        problems.append(f"scripts not locked down: {csp}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is not 'none': {csp}")
    if "object-src" not in directives and directives.get("default-src") != ["'none'"]:
        problems.append(f"plugins allowed: {csp}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    return problems


@pytest.fixture
def world(app, session, rt) -> World:
    deploy_test_model(session, rt)
    return World(app, session, rt)


@pytest.mark.parametrize("who", ["nobody", "service_supervisor", "data_analyst"])
def test_every_route_answers_with_the_security_headers(app, world, who):
    client = app.test_client()
    token = None
    if who != "nobody":
        assert client.post("/login", data={"username": who, "password": PASSWORD}).status_code == 302
        token = world.token(who)
    failures = []
    for endpoint, method, rule in _routes(app, known_only=True):
        if endpoint == "auth.logout":
            continue  # would end the session the walk uses; checked below
        role = None if who == "nobody" else who
        response = _request(
            world, endpoint, method, rule, role, client, token if rule.startswith("/api/") else None
        )
        for problem in header_problems(response):
            failures.append(f"{method} {rule} ({response.status_code}): {problem}")
    assert not failures, "\n".join(failures)


def test_error_answers_carry_the_headers_too(app, api, client):
    api.as_("account_manager")
    answers = {
        "404 page": client.get("/no/such/page"),
        "404 API": api.get("/api/v1/no/such/thing"),
        "405": client.put("/api/v1/cases"),
        "400 malformed JSON": api.post("/api/v1/cases", data="{", content_type="application/json"),
        "401": client.get("/api/v1/cases"),
        "403": api.post("/api/v1/processes"),
        "413": api.post(
            "/api/v1/cases",
            data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
            content_type="application/json",
        ),
        "logout redirect": client.post("/logout"),
        "static file": client.get("/static/css/app.css"),
        "openapi": client.get("/api/v1/openapi.json"),
        "sign-in page": client.get("/login"),
    }
    failures = [f"{name}: {p}" for name, response in answers.items() for p in header_problems(response)]
    assert not failures, "\n".join(failures)


def test_case_documents_are_served_with_their_own_locked_down_policy(app, world, api):
    case_id, document_id = world.document()
    response = api.as_("travel_advisor").get(f"/api/v1/cases/{case_id}/documents/{document_id}")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp or "'none'" in csp
    assert header_problems(response) == []
