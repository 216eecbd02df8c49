"""Roles are checked on every route: each route of ``app.url_map``, API and pages, is called by every
role and by nobody, and the answer is held against the table of who may do what (API.md).

A route that is missing from ``ROUTES`` fails the test: every new route must say who may call it.

Verdicts: a role that may → neither 401 nor 403, and no 5xx (409/404/400 are fine: the role
got past the guard). A role that may not → 403, nothing changed. Nobody → 401 on the API, a
redirect to the sign-in page for pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.models import Case
from workflows.permissions import (
    ATTACH_ANY,
    DELIVER_MESSAGES,
    DEPLOY,
    EDIT_CUSTOMERS,
    FIX_CASES,
    MANAGE_USERS,
    READ_METRICS,
    ROLES,
    START_ANY,
    START_ROLES,
    SUPERVISE,
)
from workflows.trip_page.links import TRIP_LINK_ROLES

from .benefit_routes_table import benefit_routes
from .conftest import NEEDS, PASSWORD
from .security_world import PNG, TEST_BPMN, World, deploy_test_model, fill

EVERYONE = frozenset(ROLES)
EDIT_PARTNERS = frozenset({"service_supervisor", "process_owner"})  # workflows/partners/operations.py
WALK_PARTNER = {"destination": "Walk", "kind": "hotel", "name": "Walk Inn", "contact": "1"}
PUBLIC = None  # no sign-in needed
START_PLANNING = START_ANY | START_ROLES["itinerary_planning"]
LANE = frozenset({"account_manager"})  # the lane of collect_needs, the open task of a planning case
PLANNING_LANES = frozenset({"account_manager", "travel_advisor", "project_manager"})  # itinerary_planning
HOLDER_OR_SUPERVISOR = LANE | SUPERVISE  # may unclaim a task claimed by account_manager


@dataclass
class Call:
    """How to call one route: who may, and how to build the request from a fresh world."""

    allowed: frozenset[str] | None
    values: Callable[[World, str], dict[str, Any]] = lambda w, role: {}
    json: Any = None
    data: Callable[[World, str], dict[str, Any]] | None = None
    check: Callable[[Any, str, bool], str | None] | None = None  # custom verdict
    headers: Callable[[World, str], dict[str, str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _case(w: World, role: str) -> dict[str, Any]:
    return {"case_id": w.planning_case()[0]}


def _task(w: World, role: str) -> dict[str, Any]:
    case_id, task_id = w.planning_case()
    return {"task_id": task_id}


def _claimed(w: World, role: str) -> dict[str, Any]:
    return {"task_id": w.claimed_task()[1]}


def _document(w: World, role: str) -> dict[str, Any]:
    case_id, document_id = w.document()
    return {"case_id": case_id, "document_id": document_id}


def _customer(w: World, role: str) -> dict[str, Any]:
    return {"customer_id": w.customer()}


def _partner(w: World, role: str) -> dict[str, Any]:
    """A fresh emergency partner per call (deleting it spoils no other call)."""
    from workflows.partners.operations import create_partner
    from workflows.permissions import Actor

    editor = Actor("service_supervisor", frozenset({"service_supervisor"}))
    fields = {"destination": "Walk", "kind": "clinic", "name": "Walk Clinic", "contact": "110"}
    partner = create_partner(w.session, fields, editor, w.rt.clock.now())
    w.session.commit()
    return {"partner_id": partner.id}


def _model_upload(w: World, role: str) -> dict[str, Any]:
    return {"file": (io.BytesIO((TEST_BPMN / "ratio_check.bpmn").read_bytes()), "ratio_check.bpmn")}


def _png(w: World, role: str) -> dict[str, Any]:
    return {"file": (io.BytesIO(PNG), "photo.png")}


def _bulk_verdict(response: Any, role: str, may: bool) -> str | None:
    if response.status_code != 200:
        return f"bulk answered {response.status_code}"
    [result] = response.get_json()["results"]
    if may and not result["ok"]:
        return f"bulk claim refused: {result}"
    if not may and (result["ok"] or result["error"] != "forbidden"):
        return f"bulk claim not refused as forbidden: {result}"
    return None


def _page_bulk_verdict(response: Any, role: str, may: bool) -> str | None:
    """The inbox's bulk form redirects either way, one message per task; what counts is the claim."""
    if response.status_code != 302:
        return f"bulk answered {response.status_code}"
    return None  # the claim itself is judged in the walk (see _claimed_by)


NEEDS_FORM = {**NEEDS, "new_customer": {"name": "Walk Test"}}


def _walker(w: World, role: str) -> dict[str, Any]:
    """A user that only the accounts routes act on, so that disabling it spoils no other call."""
    from workflows.people.users import add_user, find_user

    if find_user(w.session, "walker") is None:
        add_user(w.session, "walker", PASSWORD, ["travel_advisor"], now=w.rt.clock.now())
        w.session.commit()
    return {"username": "walker"}


def _token_id(w: World, username: str) -> int:
    """The id of a fresh token of ``username`` (revoking it spoils no other call)."""
    from workflows.models import ApiToken

    w.token(username)
    return int(w.session.scalar(select(func.max(ApiToken.id))))


def _walker_token(w: World, role: str) -> dict[str, Any]:
    return {**_walker(w, role), "token_id": _token_id(w, "walker")}


TRIP_PAGE_ROUTES = [
    ("show", "GET"),
    ("letter", "GET"),
    ("rate", "POST"),
    ("problem", "POST"),
    ("change", "POST"),
    ("choose", "POST"),
    ("answer", "POST"),
]


def _trip_page(w: World, role: str) -> dict[str, Any]:
    return {"token": "x" * 32, "incident_id": 1, "notice_id": 1}


ROUTES: dict[tuple[str, str], Call] = {
    # --- API: public
    ("api.openapi", "GET"): Call(PUBLIC),
    ("api.issue_token", "POST"): Call(PUBLIC, json={"username": "account_manager", "password": PASSWORD}),
    ("api.revoke_token_view", "DELETE"): Call(
        EVERYONE, headers=lambda w, role: {"Authorization": f"Bearer {w.token(role)}"}
    ),
    ("api.me", "GET"): Call(EVERYONE),
    ("api.my_tokens", "GET"): Call(EVERYONE),
    ("api.revoke_my_token", "DELETE"): Call(
        EVERYONE, values=lambda w, role: {"token_id": _token_id(w, role)}
    ),
    ("api.users", "GET"): Call(MANAGE_USERS),
    ("api.user_tokens", "GET"): Call(MANAGE_USERS, values=_walker),
    ("api.revoke_user_token", "DELETE"): Call(MANAGE_USERS, values=_walker_token),
    # --- API: processes
    ("api.processes_index", "GET"): Call(EVERYONE),
    ("api.process_view", "GET"): Call(EVERYONE, values=lambda w, r: {"key": "trip"}),
    ("api.process_xml", "GET"): Call(EVERYONE, values=lambda w, r: {"key": "trip"}),
    ("api.process_heatmap", "GET"): Call(READ_METRICS, values=lambda w, r: {"key": "trip"}),
    ("api.process_file_download", "GET"): Call(
        EVERYONE, values=lambda w, r: {"key": "trip", "name": "trip.bpmn"}
    ),
    ("api.deploy_processes", "POST"): Call(DEPLOY, data=_model_upload),
    ("api.migrate_process_cases", "POST"): Call(
        DEPLOY, values=lambda w, r: {"key": "itinerary_planning"}, json={"cases": "all", "dry_run": True}
    ),
    ("api.validate_processes", "POST"): Call(
        DEPLOY, values=lambda w, r: {"key": "ratio_check"}, data=_model_upload
    ),
    ("api.run_process_scenarios", "POST"): Call(
        DEPLOY, values=lambda w, r: {"key": "ratio_check"}, data=_model_upload
    ),
    # --- API: cases
    ("api.start_case", "POST"): Call(START_PLANNING, json={"process": "itinerary_planning", "data": {}}),
    ("api.cases_index", "GET"): Call(EVERYONE),
    ("api.count_cases_view", "GET"): Call(EVERYONE),
    ("api.export_cases_csv", "GET"): Call(EVERYONE),
    ("api.export_cases_xlsx", "GET"): Call(EVERYONE),
    ("api.get_case", "GET"): Call(EVERYONE, values=_case),
    ("api.history", "GET"): Call(EVERYONE, values=_case),
    ("api.diagram", "GET"): Call(EVERYONE, values=_case),
    ("api.documents", "GET"): Call(EVERYONE, values=_case),
    ("api.document_file", "GET"): Call(EVERYONE, values=_document),
    ("api.attach_document", "POST"): Call(PLANNING_LANES | ATTACH_ANY, values=_case, data=_png),
    ("api.comment_case", "POST"): Call(EVERYONE, values=_case, json={"text": "walking"}),
    ("api.deliver_message", "POST"): Call(
        DELIVER_MESSAGES, values=lambda w, r: {**_case(w, r), "name": "itinerary_changed"}, json={"data": {}}
    ),
    ("api.cancel_case", "POST"): Call(SUPERVISE, values=_case, json={"reason": "walk"}),
    ("api.suspend_case", "POST"): Call(SUPERVISE, values=_case, json={"reason": "walk"}),
    ("api.resume_case", "POST"): Call(SUPERVISE, values=lambda w, r: {"case_id": w.suspended_case()}),
    ("api.update_case_data", "PATCH"): Call(
        FIX_CASES, values=_case, json={"set": {"note": 1}, "reason": "walk"}
    ),
    ("api.retry_case", "POST"): Call(FIX_CASES, values=lambda w, r: {"case_id": w.failed_case()}),
    ("api.incidents", "GET"): Call(EVERYONE),
    # --- API: tasks
    ("api.list_tasks", "GET"): Call(EVERYONE),
    ("api.count_tasks", "GET"): Call(EVERYONE),
    ("api.people", "GET"): Call(SUPERVISE),
    ("api.get_task", "GET"): Call(EVERYONE, values=_task),
    ("api.claim_task", "POST"): Call(LANE, values=_task),
    ("api.unclaim_task", "POST"): Call(HOLDER_OR_SUPERVISOR, values=_claimed),
    ("api.assign_task", "POST"): Call(SUPERVISE, values=_task, json={"user": "account_manager"}),
    ("api.complete_task", "POST"): Call(LANE, values=_task, json={"data": NEEDS_FORM}),
    ("api.comment_task", "POST"): Call(EVERYONE, values=_task, json={"text": "walking"}),
    ("api.bulk_tasks", "POST"): Call(LANE, check=_bulk_verdict),  # json built per call below
    # --- API: customers
    ("api.customers_index", "GET"): Call(EVERYONE),
    ("api.create_customer", "POST"): Call(EDIT_CUSTOMERS, json={"name": "Walk Customer"}),
    ("api.get_customer", "GET"): Call(EVERYONE, values=_customer),
    ("api.update_customer", "PATCH"): Call(EDIT_CUSTOMERS, values=_customer, json={"phone": "123"}),
    ("api.contacts", "GET"): Call(EVERYONE, values=_customer),
    ("api.add_contact", "POST"): Call(
        EDIT_CUSTOMERS, values=_customer, json={"channel": "phone", "summary": "hi"}
    ),
    # --- API: me
    ("api.out_of_office", "GET"): Call(EVERYONE),
    ("api.put_out_of_office", "PUT"): Call(EVERYONE, json=None, extra={"json_null": True}),
    ("api.my_notifications", "GET"): Call(EVERYONE),
    ("api.read_notification", "POST"): Call(EVERYONE, values=lambda w, r: {"notification_id": 1}),
    ("api.notification_channels", "GET"): Call(EVERYONE),
    ("api.put_notification_channels", "PUT"): Call(EVERYONE, json={"in_app": True, "email": False}),
    ("api.my_filters", "GET"): Call(EVERYONE),
    ("api.save_my_filter", "POST"): Call(EVERYONE, json={"name": "walk", "query": {"status": "running"}}),
    ("api.delete_my_filter", "DELETE"): Call(
        EVERYONE, values=lambda w, role: {"filter_id": w.saved_filter(role)}
    ),
    # --- API: metrics
    ("api.metrics_index", "GET"): Call(READ_METRICS),
    ("api.metrics_csv", "GET"): Call(READ_METRICS),
    # --- pages: signing in
    ("static", "GET"): Call(PUBLIC, values=lambda w, r: {"filename": "css/app.css"}),
    ("auth.home", "GET"): Call(PUBLIC),
    ("auth.login", "GET"): Call(PUBLIC),
    ("auth.login", "POST"): Call(PUBLIC, data=lambda w, r: {"username": "nobody", "password": "x"}),
    ("auth.logout", "POST"): Call(PUBLIC),
    ("auth.choose_locale", "POST"): Call(PUBLIC, data=lambda w, r: {"locale": "en"}),
    # --- pages: reading
    ("inbox.index", "GET"): Call(EVERYONE),
    ("cases.index", "GET"): Call(EVERYONE),
    ("cases.show", "GET"): Call(EVERYONE, values=_case),
    ("customers.index", "GET"): Call(EVERYONE),
    ("customers.show", "GET"): Call(EVERYONE, values=_customer),
    ("processes.index", "GET"): Call(EVERYONE),
    ("processes.show", "GET"): Call(EVERYONE, values=lambda w, r: {"key": "trip"}),
    ("tasks.show", "GET"): Call(EVERYONE, values=_task),
    ("reports.index", "GET"): Call(READ_METRICS),
    ("reports.cases_behind", "GET"): Call(READ_METRICS),
    ("reports.printable", "GET"): Call(READ_METRICS),
    ("reports.diagram", "GET"): Call(READ_METRICS, values=lambda w, r: {"key": "trip"}),
    # --- pages: actions, as in the API
    ("cases.start", "GET"): Call(EVERYONE),
    # The start form redirects either way; what counts is whether a case was started (see the walk).
    ("cases.start", "POST"): Call(START_PLANNING, data=lambda w, r: {"process": "itinerary_planning"}),
    ("cases.comment", "POST"): Call(EVERYONE, values=_case, data=lambda w, r: {"text": "walking"}),
    ("inbox.bulk", "POST"): Call(LANE, check=_page_bulk_verdict),  # form built per call below
    ("tasks.log_contact", "POST"): Call(
        EDIT_CUSTOMERS, values=_task, data=lambda w, r: {"channel": "phone", "summary": "hi"}
    ),
    ("manage.cancel", "POST"): Call(SUPERVISE, values=_case, data=lambda w, r: {"reason": "walk"}),
    ("manage.suspend", "POST"): Call(SUPERVISE, values=_case, data=lambda w, r: {"reason": "walk"}),
    ("manage.resume", "POST"): Call(SUPERVISE, values=lambda w, r: {"case_id": w.suspended_case()}),
    ("manage.fix_data", "POST"): Call(
        FIX_CASES, values=_case, data=lambda w, r: {"name": "note", "value": "1", "reason": "walk"}
    ),
    ("manage.retry", "POST"): Call(FIX_CASES, values=lambda w, r: {"case_id": w.failed_case()}),
    ("manage.assign", "POST"): Call(SUPERVISE, values=_task, data=lambda w, r: {"user": "account_manager"}),
    ("manage.incidents", "GET"): Call(SUPERVISE | FIX_CASES),
    ("manage.away", "GET"): Call(EVERYONE),
    ("manage.save_away", "POST"): Call(EVERYONE, data=lambda w, r: {}),
    ("manage.clear_away", "POST"): Call(EVERYONE),
    ("me.index", "GET"): Call(EVERYONE),
    ("me.save_channels", "POST"): Call(EVERYONE, data=lambda w, r: {"in_app": "on"}),
    ("me.bell", "GET"): Call(EVERYONE),
    ("me.read", "POST"): Call(EVERYONE, values=lambda w, r: {"notification_id": 1}),
    ("me.read_all", "POST"): Call(EVERYONE),
    ("models.index", "GET"): Call(EVERYONE),
    ("models.show", "GET"): Call(EVERYONE, values=lambda w, r: {"key": "trip"}),
    ("models.edit", "GET"): Call(DEPLOY, values=lambda w, r: {"key": "trip"}),
    ("models.new", "GET"): Call(DEPLOY),
    ("models.form_preview", "POST"): Call(EVERYONE, json={"schema": {"type": "object"}}),
    ("cases.save_filter", "POST"): Call(EVERYONE, data=lambda w, r: {"name": "walk", "status": "running"}),
    ("cases.delete_filter", "POST"): Call(
        EVERYONE, values=lambda w, role: {"filter_id": w.saved_filter(role)}
    ),
    ("inbox.save_inbox_filter", "POST"): Call(EVERYONE, data=lambda w, r: {"name": "walk", "q": "kyoto"}),
    ("inbox.delete_inbox_filter", "POST"): Call(
        EVERYONE, values=lambda w, role: {"filter_id": w.saved_filter(role)}
    ),
    ("tasks.comment", "POST"): Call(EVERYONE, values=_task, data=lambda w, r: {"text": "walking"}),
    ("tasks.submit", "POST"): Call(LANE, values=_task, data=lambda w, r: {"destination": "Kyoto"}),
    ("inbox.claim", "POST"): Call(LANE, values=_task),
    ("inbox.unclaim", "POST"): Call(HOLDER_OR_SUPERVISOR, values=_claimed),
    ("customers.new", "GET"): Call(EDIT_CUSTOMERS),
    ("customers.new", "POST"): Call(EDIT_CUSTOMERS, data=lambda w, r: {"name": "Walk Page"}),
    ("customers.edit", "GET"): Call(EDIT_CUSTOMERS, values=_customer),
    ("customers.edit", "POST"): Call(
        EDIT_CUSTOMERS, values=_customer, data=lambda w, r: {"name": "Walk Edit"}
    ),
    ("customers.add_contact", "POST"): Call(
        EDIT_CUSTOMERS, values=_customer, data=lambda w, r: {"channel": "phone", "summary": "hi"}
    ),
    # --- the emergency partner pool (issue 17): everyone at work reads it, two roles keep it
    ("api.partners_index", "GET"): Call(EVERYONE),
    ("api.get_partner", "GET"): Call(EVERYONE, values=_partner),
    ("api.create_partner", "POST"): Call(EDIT_PARTNERS, json=WALK_PARTNER),
    ("api.update_partner", "PATCH"): Call(EDIT_PARTNERS, values=_partner, json={"hours": "24h"}),
    ("api.delete_partner", "DELETE"): Call(EDIT_PARTNERS, values=_partner),
    ("partners.index", "GET"): Call(EVERYONE),
    ("partners.create", "POST"): Call(
        EDIT_PARTNERS,
        data=lambda w, r: {"destination": "Walk", "kind": "hotel", "name": "Inn", "contact": "1"},
    ),
    ("partners.update", "POST"): Call(EDIT_PARTNERS, values=_partner, data=lambda w, r: {"hours": "24h"}),
    ("partners.delete", "POST"): Call(EDIT_PARTNERS, values=_partner),
    # --- pages: accounts (admin)
    ("accounts.index", "GET"): Call(MANAGE_USERS),
    ("accounts.add", "POST"): Call(
        MANAGE_USERS,
        data=lambda w, r: {"username": f"walk-{r}", "password": PASSWORD, "role": ["data_analyst"]},
    ),
    ("accounts.show", "GET"): Call(MANAGE_USERS, values=_walker),
    ("accounts.password", "POST"): Call(
        MANAGE_USERS, values=_walker, data=lambda w, r: {"password": PASSWORD}
    ),
    ("accounts.roles", "POST"): Call(
        MANAGE_USERS, values=_walker, data=lambda w, r: {"role": ["travel_advisor"]}
    ),
    ("accounts.disable", "POST"): Call(MANAGE_USERS, values=_walker),
    ("accounts.enable", "POST"): Call(MANAGE_USERS, values=_walker),
    ("accounts.revoke_token", "POST"): Call(MANAGE_USERS, values=_walker_token),
    # --- the customer's trip page (no account: its link is the key) and its staff side
    **{(f"trip_page.{name}", method): Call(PUBLIC, values=_trip_page) for name, method in TRIP_PAGE_ROUTES},
    ("api.issue_trip_link", "POST"): Call(TRIP_LINK_ROLES, values=_case),
    ("api.revoke_trip_link", "DELETE"): Call(TRIP_LINK_ROLES, values=_case),
    ("trip_links.reissue", "POST"): Call(TRIP_LINK_ROLES, values=_case),
    ("trip_links.revoke", "POST"): Call(TRIP_LINK_ROLES, values=_case),
    ("api.send_crisis_notice", "POST"): Call(
        SUPERVISE,
        json={
            "title": "Walk",
            "text": "A walk notice",
            "destination": "Nowhere",
            "date_from": "2026-12-01",
            "date_to": "2026-12-02",
            "options": ["keep"],
        },
    ),
    ("trip_links.crisis_notices", "GET"): Call(SUPERVISE),
    ("trip_links.crisis_notices", "POST"): Call(SUPERVISE, data=lambda w, r: {"title": ""}),
    # customer value and the case handbook (issue 18)
    ("customers.value_view", "GET"): Call(EDIT_CUSTOMERS | READ_METRICS),
    ("api.handbooks_index", "GET"): Call(EVERYONE),
    ("api.handbook_candidates", "GET"): Call(SUPERVISE),
    ("api.publish_handbook", "POST"): Call(
        SUPERVISE, json={"month": "2026-11", "entries": [{"case_id": n, "lesson": "x"} for n in range(1, 11)]}
    ),
    ("api.handbook_show", "GET"): Call(EVERYONE, values=lambda w, r: {"month": "2026-11"}),
    ("api.handbook_pdf", "GET"): Call(EVERYONE, values=lambda w, r: {"month": "2026-11"}),
    ("handbooks.index", "GET"): Call(EVERYONE),
    ("handbooks.new", "GET"): Call(SUPERVISE),
    ("handbooks.publish", "POST"): Call(SUPERVISE, data=lambda w, r: {"month": "2026-11"}),
    ("handbooks.show", "GET"): Call(EVERYONE, values=lambda w, r: {"month": "2026-11"}),
    ("handbooks.pdf", "GET"): Call(EVERYONE, values=lambda w, r: {"month": "2026-11"}),
}
ROUTES.update(benefit_routes(Call))  # tier benefits: routes, campaigns, events


def _routes(app: Any, *, known_only: bool = False) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route; ``known_only``: those ROUTES says how to call."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if not known_only or (rule.endpoint, method) in ROUTES:
                found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def test_every_route_is_in_the_table(app):
    missing = [
        f"{method} {rule} ({endpoint})"
        for endpoint, method, rule in _routes(app)
        if (endpoint, method) not in ROUTES
    ]
    assert not missing, "routes nobody said who may call; add them to ROUTES:\n" + "\n".join(missing)
    stale = sorted(set(ROUTES) - {(e, m) for e, m, _ in _routes(app)})
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"


@pytest.fixture
def world(app, session, rt) -> World:
    deploy_test_model(session, rt)
    return World(app, session, rt)


@pytest.fixture
def signed_in(app) -> dict[str | None, Any]:
    """One test client per role, signed in through the login page (a browser session); None: nobody."""
    clients: dict[str | None, Any] = {None: app.test_client()}
    for role in ROLES:
        client = app.test_client()
        assert client.post("/login", data={"username": role, "password": PASSWORD}).status_code == 302
        clients[role] = client
    return clients


def _claimed_by(world: World) -> str | None:
    from workflows.models import WorkItem

    world.session.rollback()
    return world.session.get(WorkItem, world.last_task).claimed_by


def _cases(session: Any) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Case))


def _request(
    world: World, endpoint: str, method: str, rule: str, role: str | None, client: Any, token: str | None
) -> Any:
    call = ROUTES[(endpoint, method)]
    values = call.values(world, role or "account_manager")
    path = fill(rule, values)
    kwargs: dict[str, Any] = {}
    if call.data is not None:
        kwargs["data"] = call.data(world, role or "account_manager")
        if any(isinstance(v, tuple) for v in kwargs["data"].values()):
            kwargs["content_type"] = "multipart/form-data"
    elif endpoint == "api.bulk_tasks":
        kwargs["json"] = {"action": "claim", "ids": [world.planning_case()[1]]}
    elif endpoint == "inbox.bulk":
        world.last_task = world.planning_case()[1]
        kwargs["data"] = {"action": "claim", "ids": [str(world.last_task)]}
    elif call.json is not None or call.extra.get("json_null"):
        kwargs["json"] = call.json
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if call.headers is not None and role is not None:
        headers.update(call.headers(world, role))
    return client.open(path, method=method, headers=headers, **kwargs)


def _verdict(endpoint: str, method: str, rule: str, role: str | None, response: Any, may: bool) -> str | None:
    status = response.status_code
    call = ROUTES[(endpoint, method)]
    if status >= 500:
        return f"answered {status}"
    if call.allowed is PUBLIC:
        return None  # anyone may call it; what it answers (a 401 for a wrong password) is its business
    if role is None and call.allowed is not PUBLIC:
        if rule.startswith("/api/"):
            return None if status == 401 else f"nobody got {status}, not 401"
        location = response.headers.get("Location", "")
        return (
            None
            if status == 302 and location.startswith("/login")
            else f"nobody got {status} {location}, not a redirect to /login"
        )
    if call.check is not None:
        return call.check(response, role or "", may)
    if may:
        if status in (401, 403):
            return f"may, but got {status}"
        if (
            not rule.startswith("/api/")
            and status == 302
            and response.headers.get("Location", "").startswith("/login")
        ):
            return "may, but was sent to sign in"
        return None
    if endpoint == "cases.start" and method == "POST":
        return None  # judged by the case count
    return None if status == 403 else f"may not, but got {status}"


@pytest.mark.parametrize("channel", ["token", "session"])
def test_every_route_checks_the_roles(app, world, signed_in, api, channel):
    tokens = {role: world.token(role) for role in ROLES}
    failures = []
    for endpoint, method, rule in _routes(app, known_only=True):  # the others fail the test above
        call = ROUTES[(endpoint, method)]
        api_route = rule.startswith("/api/")
        if (channel == "token") != api_route:
            continue  # the API with tokens, pages with a browser session (same role checks behind)
        for role in (None, *ROLES):
            if channel == "token":
                client, token = signed_in[None], (tokens[role] if role else None)
            else:
                client, token = signed_in[role], None
            if endpoint in ("auth.logout", "api.revoke_token_view") and role is not None:
                client = app.test_client()  # signing out must not spoil the shared client
                if channel == "session":
                    client.post("/login", data={"username": role, "password": PASSWORD})
            may = call.allowed is PUBLIC or (role is not None and role in call.allowed)
            before = _cases(world.session) if (endpoint, method) == ("cases.start", "POST") else None
            response = _request(world, endpoint, method, rule, role, client, token)
            problem = _verdict(endpoint, method, rule, role, response, may)
            if before is not None and role is not None:
                started = _cases(world.session) - before
                if started != (1 if may else 0):
                    problem = f"started {started} cases"
            if endpoint == "inbox.bulk" and role is not None and not problem:
                holder = _claimed_by(world)
                if holder != (role if may else None):
                    problem = f"the task is held by {holder}"
            if problem:
                failures.append(f"{role or 'nobody':18} {method:6} {rule}: {problem}")
    assert not failures, f"{len(failures)} role checks failed:\n" + "\n".join(failures)


def test_nobody_deletes_another_users_saved_filter(app, world, api):
    theirs = world.saved_filter("data_analyst")
    assert (
        api.as_("service_supervisor")
        .client.delete(f"/api/v1/me/filters/{theirs}", headers=api._headers())
        .status_code
        == 404
    )
    client = app.test_client()
    client.post("/login", data={"username": "service_supervisor", "password": PASSWORD})
    assert client.post(f"/cases/filters/{theirs}/delete").status_code == 404
    listed = api.as_("data_analyst").get("/api/v1/me/filters").get_json()["items"]
    assert theirs in [f["id"] for f in listed]


def test_a_browser_session_on_the_api_has_the_same_roles(app):
    client = app.test_client()
    client.post("/login", data={"username": "data_analyst", "password": PASSWORD})
    assert client.get("/api/v1/me").get_json()["username"] == "data_analyst"
    assert client.post("/api/v1/customers", json={"name": "Not Mine"}).status_code == 403
    assert client.get("/api/v1/metrics").status_code == 200
    client.post("/logout")
    assert client.get("/api/v1/me").status_code == 401
