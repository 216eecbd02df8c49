"""Customers: the searchable list, profile cards, creating and editing them, logging contacts."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.cases.queries import list_cases
from workflows.cursors import decode_id_cursor
from workflows.customers import operations as customer_service
from workflows.customers import profiles
from workflows.customers.winback import win_backs_of
from workflows.errors import Invalid
from workflows.people.directory import active_users
from workflows.permissions import EDIT_CUSTOMERS

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .field_errors import error_text
from .flashes import flash_success
from .labels import VALUE_LABELS

bp = page_blueprint("customers", __name__)
PAGE_SIZE = 30
FIELDS = tuple(customer_service.CUSTOMER_SCHEMA["properties"])


def _errors(exc: Invalid) -> dict[str, str]:
    """Field name -> sentence, the first error of each field."""
    found: dict[str, str] = {}
    for detail in exc.details:
        found.setdefault(str(detail.get("field", "")), error_text(detail))
    return found


@bp.get("/customers")
def index() -> Any:
    args = request.args
    q, tier, segment = args.get("q", "").strip(), args.get("tier") or None, args.get("segment") or None
    tier = tier if tier in customer_service.TIERS else None
    segment = segment if segment in customer_service.SEGMENTS else None
    cursor = args.get("cursor", "")
    after = _id_cursor(cursor)
    rows = customer_service.list_customers(
        db.session, q=q or None, tier=tier, segment=segment, after_id=after, limit=PAGE_SIZE + 1
    )
    next_cursor = str(rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None
    return render_template(
        "customers/index.html",
        customers=rows[:PAGE_SIZE],
        q=q,
        tier=tier,
        segment=segment,
        next_cursor=next_cursor,
        paged=after is not None,
        may_edit=actor().has_any(EDIT_CUSTOMERS),
    )


@bp.get("/customers/value")
def value_view() -> Any:
    """The value view: four groups by value and loyalty, their share of revenue, the churn list."""
    from workflows.customers.value_view import value_view as read_value_view

    view = read_value_view(db.session, runtime(), actor())
    return render_template(
        "customers/value.html", view=view, group_labels=value_group_labels(), outcome_labels=outcome_labels()
    )


def outcome_labels() -> dict[str, str]:
    return {
        "won_back": _("Won back"),
        "not_interested": _("Not interested"),
        "unreachable": _("Unreachable"),
        "later": _("Later"),
    }


def value_group_labels() -> dict[str, str]:
    return {group: str(text) for group, text in VALUE_LABELS["group"].items()}


def _submitted(editing: bool) -> dict[str, Any]:
    """The form's fields; blank means none, except a blank identity number on edit keeps the old one."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        text = request.form.get(name, "").strip()
        if editing and name == "id_number" and not text:
            continue
        values[name] = text or ("" if name == "name" else None)  # a name is text, even when missing
    return values


def _form(customer: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "customers/form.html",
        customer=customer,
        values=values,
        errors=errors,
        advisors=active_users(db.session, "travel_advisor"),
        segments=customer_service.SEGMENTS,
    ), status


@bp.route("/customers/new", methods=["GET", "POST"])
def new() -> Any:
    actor().require(EDIT_CUSTOMERS, "creating customers")
    if request.method == "GET":
        return _form(None, {}, {})
    values = _submitted(editing=False)
    try:
        customer = profiles.create(db.session, runtime(), values, actor())
    except Invalid as exc:
        return _form(None, values, _errors(exc), 400)
    flash_success(_("Customer %(name)s created.", name=customer["name"]))
    return redirect(url_for("customers.show", customer_id=customer["id"]))


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def edit(customer_id: int) -> Any:
    actor().require(EDIT_CUSTOMERS, "editing customers")
    card = profiles.card(db.session, runtime(), customer_id)
    if request.method == "GET":
        return _form(card, {**card, "id_number": ""}, {})
    values = _submitted(editing=True)
    try:
        profiles.update(db.session, runtime(), customer_id, values, actor())
    except Invalid as exc:
        return _form(card, values, _errors(exc), 400)
    flash_success(_("Changes saved."))
    return redirect(url_for("customers.show", customer_id=customer_id))


def _profile(
    customer_id: int,
    contact: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    full_id_number: str | None = None,
) -> Any:
    rt = runtime()
    card = profiles.card(db.session, rt, customer_id)
    if full_id_number is not None:
        card["id_number"] = full_id_number
    cases, _cursor = list_cases(db.session, rt, customer_id=customer_id, limit=20)
    return render_template(
        "customers/show.html",
        card=card,
        contacts=customer_service.contacts_of(db.session, customer_id),
        cases=cases,
        channels=customer_service.CHANNELS,
        contact=contact or {},
        errors=errors or {},
        may_edit=actor().has_any(EDIT_CUSTOMERS),
        may_reveal=actor().has_any(customer_service.REVEAL_ID_NUMBER),
        revealed=full_id_number is not None,
        win_backs=win_backs_of(db.session, customer_id),
        outcome_labels=outcome_labels(),
    ), status


@bp.get("/customers/<int:customer_id>")
def show(customer_id: int) -> Any:
    """The profile card; ``?reveal=id_number`` shows an admin the full identity number, recorded."""
    if request.args.get("reveal") != "id_number":
        return _profile(customer_id)
    full = profiles.reveal_id_number(db.session, runtime(), customer_id, actor(), via="page")
    page, status = _profile(customer_id, full_id_number=full or "")
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/customers/<int:customer_id>/contacts")
def add_contact(customer_id: int) -> Any:
    typed = {"channel": request.form.get("channel", ""), "summary": request.form.get("summary", "").strip()}
    fields = {k: v for k, v in typed.items() if v}
    try:
        profiles.log_contact(db.session, runtime(), customer_id, fields, actor())
    except Invalid as exc:
        return _profile(customer_id, typed, _errors(exc), 400)
    flash_success(_("Contact logged."))
    return redirect(url_for("customers.show", customer_id=customer_id, _anchor="contacts"))


def _id_cursor(cursor: str) -> int | None:
    """The page's id cursor; one this server did not give shows the first page."""
    try:
        return decode_id_cursor(cursor)
    except Invalid:
        return None
