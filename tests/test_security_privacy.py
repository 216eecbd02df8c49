"""Identity numbers are masked in every output; only an admin can see a full number, on purpose
(``?reveal=id_number``), and every such view is recorded: who, when, through what.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from workflows.customers.operations import mask_id_number
from workflows.models import IdentityNumberView
from workflows.permissions import ROLES

from .conftest import PASSWORD
from .security_world import World, deploy_test_model
from .test_security_roles import _request, _routes

FULL = "110101199003074578"
MASKED = "110***********4578"


@pytest.fixture
def world(app, session, rt) -> World:
    deploy_test_model(session, rt)
    return World(app, session, rt)


def views(session: Any) -> list[tuple[int, str, str]]:
    session.rollback()
    return [(v.customer_id, v.user, v.via) for v in session.scalars(select(IdentityNumberView))]


def text_of(response: Any) -> str:
    """The answer as text; a spreadsheet (a zip of XML files) unpacked."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"".join(archive.read(name) for name in archive.namelist())
    return data.decode("utf-8", "replace")


def test_the_mask_keeps_only_the_ends():
    assert mask_id_number(FULL) == MASKED
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number(None) is None and mask_id_number("") == ""


def test_api_cards_and_lists_are_masked(api):
    created = api.as_("account_manager").post(
        "/api/v1/customers", json={"name": "Lin Wei", "id_number": FULL}
    )
    assert created.status_code == 201 and created.get_json()["id_number"] == MASKED
    customer_id = created.get_json()["id"]
    assert api.get(f"/api/v1/customers/{customer_id}").get_json()["id_number"] == MASKED
    assert api.get("/api/v1/customers").get_json()["items"][-1]["id_number"] == MASKED
    patched = api.patch(f"/api/v1/customers/{customer_id}", json={"phone": "138 0000 0000"})
    assert patched.get_json()["id_number"] == MASKED
    for response in (
        created,
        patched,
        api.get("/api/v1/customers"),
        api.get(f"/api/v1/customers/{customer_id}"),
    ):
        assert FULL not in response.get_data(as_text=True)


def test_pages_show_the_masked_number_only(app, world):
    customer_id = world.customer()
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    show = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert MASKED in show and FULL not in show
    for path in ("/customers", f"/customers/{customer_id}/edit", f"/cases/start?customer_id={customer_id}"):
        response = client.get(path)
        assert response.status_code == 200 and FULL not in response.get_data(as_text=True), path


@pytest.mark.parametrize("role", ["account_manager", "service_supervisor", "admin"])
def test_no_route_shows_a_full_identity_number(app, world, role):
    """Every GET route, each answered for a fresh customer with an identity number: none shows it."""
    client = app.test_client()
    client.post("/login", data={"username": role, "password": PASSWORD})
    token = world.token(role)
    leaks = []
    for endpoint, method, rule in _routes(app, known_only=True):
        if method != "GET":
            continue
        response = _request(
            world, endpoint, method, rule, role, client, token if rule.startswith("/api/") else None
        )
        if FULL in text_of(response):
            leaks.append(f"{rule} ({response.status_code})")
    assert not leaks, leaks


def test_an_admin_can_reveal_a_number_and_it_is_recorded(api, world, session):
    customer_id = world.customer()
    assert views(session) == []
    response = api.as_("admin").get(f"/api/v1/customers/{customer_id}?reveal=id_number")
    assert response.status_code == 200
    assert response.get_json()["id_number"] == FULL
    assert "no-store" in response.headers["Cache-Control"]
    assert views(session) == [(customer_id, "admin", "api")]
    # Without asking, even the admin sees the mask, and nothing is recorded.
    assert api.get(f"/api/v1/customers/{customer_id}").get_json()["id_number"] == MASKED
    assert len(views(session)) == 1


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_nobody_else_can_reveal_a_number(api, world, session, role):
    customer_id = world.customer()
    response = api.as_(role).get(f"/api/v1/customers/{customer_id}?reveal=id_number")
    assert response.status_code == 403
    assert FULL not in response.get_data(as_text=True)
    assert views(session) == []


def test_an_unknown_reveal_is_refused(api, world):
    customer_id = world.customer()
    response = api.as_("admin").get(f"/api/v1/customers/{customer_id}?reveal=everything")
    assert response.status_code == 400 and response.get_json()["details"][0]["field"] == "reveal"


def test_the_admins_profile_page_can_reveal_a_number_and_it_is_recorded(app, world, session):
    customer_id = world.customer()
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": PASSWORD})
    page = admin.get(f"/customers/{customer_id}?reveal=id_number")
    assert page.status_code == 200 and FULL in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    assert views(session) == [(customer_id, "admin", "page")]

    other = app.test_client()
    other.post("/login", data={"username": "service_supervisor", "password": PASSWORD})
    refused = other.get(f"/customers/{customer_id}?reveal=id_number")
    assert refused.status_code == 403 and FULL not in refused.get_data(as_text=True)
    assert len(views(session)) == 1


def test_reveal_of_an_unknown_customer_records_nothing(api, session):
    assert api.as_("admin").get("/api/v1/customers/999999?reveal=id_number").status_code == 404
    assert views(session) == []
