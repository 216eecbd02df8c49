"""Tier benefit pages [000 §4.1]: Routes (catalogue, booking, waitlist), Campaigns, Events, and the
customer card's benefits panel. Each form posts to one workflows operation; a refusal is shown in
the reader's language (400 naming the fields, 409 saying why not now)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflows.benefits import campaigns, departures, events
from workflows.benefits import card as benefit_card
from workflows.engine.today import local_today
from workflows.errors import Conflict, Invalid
from workflows.permissions import (
    BOOK_DEPARTURES,
    CANCEL_BOOKINGS,
    EDIT_CUSTOMERS,
    EDIT_DEPARTURES,
    MANAGE_EVENTS,
    WRITE_CAMPAIGNS,
)

from ..extensions import db
from .common import actor, local_zone, page_blueprint, runtime
from .field_errors import error_text
from .flashes import flash_error, flash_success

bp = page_blueprint("benefits", __name__)

STATUS_LABELS = {
    "booked": _l("Booked"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Cancelled"),
    "invited": _l("Invited"),
    "attending": _l("Attending"),
    "declined": _l("Declined"),
    "new": _l("New customer"),
    "email": _l("E-mail"),
    "record": _l("Recorded (no address)"),
    "pending": _l("Waiting to send"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "skipped": _l("Not sent (no mail server)"),
}
REFUSALS = {
    "not_open_yet": _l("Booking opens for this customer on %(date)s."),
    "departed": _l("This departure has already left."),
    "already_booked": _l("The customer is already booked or waiting on this departure."),
    "already_cancelled": _l("This booking is already cancelled."),
    "already_sent": _l("This campaign was already sent."),
    "event_started": _l("The event has started; record attendance instead."),
    "event_not_started": _l("Attendance is recorded once the event has started."),
}


def opt_out_footer(locale: str = "zh_Hans") -> str:
    """The last line of every campaign e-mail, in the agency's language (worker side)."""
    with force_locale(locale):
        return _("To stop receiving news and promotions, tell your account manager.")


def invitation_message(event: Any, customer: Any, locale: str = "zh_Hans") -> tuple[str, str]:
    """Subject and body of a member-event invitation e-mail, in the agency's language (worker side)."""
    with force_locale(locale):
        when = event.starts_at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
        lines = [
            _("Dear %(name)s,", name=customer.name),
            _("You are invited to %(title)s on %(when)s.", title=event.title, when=when),
        ]
        if event.location:
            lines.append(_("Where: %(place)s", place=event.location))
        if event.description:
            lines.append(event.description)
        lines.append(_("Places are limited; please tell your account manager whether you will come."))
        return _("Invitation: %(title)s", title=event.title), "\n\n".join(lines)


def benefit_label(value: str | None) -> str:
    return str(STATUS_LABELS.get(value or "", value or "—"))


def _refusal(exc: Conflict) -> str:
    detail = exc.details[0] if exc.details else {}
    text = REFUSALS.get(detail.get("code", ""))
    return str(text) % (detail.get("params") or {}) if text else exc.message


def _errors(exc: Invalid) -> dict[str, str]:
    found: dict[str, str] = {}
    for detail in exc.details:
        found.setdefault(str(detail.get("field", "")), error_text(detail))
    return found


def _local_instant(text: str) -> str:
    """A ``datetime-local`` field's value as an instant in the agency's time zone (else as typed)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=local_zone())).isoformat()


def _today() -> Any:
    rt = runtime()
    return local_today(rt.clock, rt.timezone)


# --- routes ---------------------------------------------------------------------------------------


def _itinerary(text: str) -> list[dict[str, Any]]:
    """One day per line: transport; accommodation; attractions; meals."""
    days = []
    for number, line in enumerate([x for x in text.splitlines() if x.strip()], start=1):
        parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
        day = {
            "day": number,
            "transport": parts[0],
            "accommodation": parts[1],
            "attractions": parts[2],
            "meals": parts[3],
        }
        days.append({k: v for k, v in day.items() if v != ""})
    return days


def _number(text: str) -> Any:
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return text or None


def _departure_form() -> dict[str, Any]:
    form = request.form
    values: dict[str, Any] = {
        k: form.get(k, "").strip()
        for k in ("route_name", "destination", "start_date", "end_date", "release_on")
    }
    values["seats"] = _number(form.get("seats", "").strip())
    values["price"] = _number(form.get("price", "").strip())
    values["peak_season"] = form.get("peak_season") == "on"
    values["itinerary"] = _itinerary(form.get("itinerary", ""))
    return {k: v for k, v in values.items() if v not in ("", None)}


def _routes_page(
    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    today = _today()
    rows = [
        departures.departure_view(db.session, d, today) for d in departures.catalogue(db.session, today=today)
    ]
    return render_template(
        "benefits/routes.html",
        departures=rows,
        values=values or {},
        errors=errors or {},
        itinerary_text=request.form.get("itinerary", ""),
        may_edit=actor().has_any(EDIT_DEPARTURES),
    ), status


@bp.get("/routes")
def routes() -> Any:
    return _routes_page()


@bp.post("/routes")
def add_route() -> Any:
    values = _departure_form()
    try:
        departure = departures.create_departure(db.session, runtime(), values, actor())
    except Invalid as exc:
        return _routes_page(values, _errors(exc), 400)
    flash_success(_("Departure added to the catalogue."))
    return redirect(url_for("benefits.route", departure_id=departure.id))


def _route_page(
    departure_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    departure = departures.get_departure(db.session, departure_id)
    bookings = departures.bookings_of(db.session, departure.id)
    names = departures.customer_names(db.session, [b.customer_id for b in bookings])
    return render_template(
        "benefits/route.html",
        d=departures.departure_view(db.session, departure, _today()),
        bookings=[departures.booking_view(b, names.get(b.customer_id)) for b in bookings],
        waitlist=[b.id for b in departures.waitlist(db.session, departure.id)],
        values=values or {},
        errors=errors or {},
        may_book=actor().has_any(BOOK_DEPARTURES),
        may_cancel=actor().has_any(CANCEL_BOOKINGS),
        may_edit=actor().has_any(EDIT_DEPARTURES),
    ), status


@bp.get("/routes/<int:departure_id>")
def route(departure_id: int) -> Any:
    return _route_page(departure_id)


@bp.post("/routes/<int:departure_id>/edit")
def edit_route(departure_id: int) -> Any:
    """Seats, price, release day and season of a departure (more seats go to the waitlist's head)."""
    form = request.form
    values: dict[str, Any] = {
        "seats": _number(form.get("seats", "").strip()),
        "price": _number(form.get("price", "").strip()),
        "release_on": form.get("release_on", "").strip(),
        "peak_season": form.get("peak_season") == "on",
    }
    values = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        departures.update_departure(db.session, runtime(), departure_id, values, actor())
    except Invalid as exc:
        return _route_page(departure_id, values, _errors(exc), 400)
    flash_success(_("Changes saved."))
    return redirect(url_for("benefits.route", departure_id=departure_id))


@bp.post("/routes/<int:departure_id>/book")
def book(departure_id: int) -> Any:
    values = {
        "customer_id": _number(request.form.get("customer_id", "").strip()),
        "travellers": _number(request.form.get("travellers", "1").strip()),
    }
    values = {k: v for k, v in values.items() if v is not None}
    try:
        booking = departures.book(db.session, runtime(), departure_id, values, actor())
    except Invalid as exc:
        return _route_page(departure_id, values, _errors(exc), 400)
    except Conflict as exc:
        flash_error(_refusal(exc))
        return _route_page(departure_id, values, {}, 409)
    flash_success(
        _("Booked; the trip case is started.")
        if booking.status == "booked"
        else _("The departure is full; the customer is on the waitlist.")
    )
    return redirect(url_for("benefits.route", departure_id=departure_id))


@bp.post("/routes/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int) -> Any:
    try:
        booking = departures.cancel(db.session, runtime(), booking_id, actor())
    except Conflict as exc:
        flash_error(_refusal(exc))
        return redirect(url_for("benefits.routes"))
    flash_success(_("Booking cancelled; a freed seat went to the head of the waitlist."))
    return redirect(url_for("benefits.route", departure_id=booking.departure_id))


# --- campaigns ------------------------------------------------------------------------------------


def _campaigns_page(
    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    return render_template(
        "benefits/campaigns.html",
        campaigns=campaigns.all_campaigns(db.session),
        values=values or {},
        errors=errors or {},
        may_write=actor().has_any(WRITE_CAMPAIGNS),
    ), status


@bp.get("/campaigns")
def campaign_list() -> Any:
    return _campaigns_page()


@bp.post("/campaigns")
def add_campaign() -> Any:
    values = {k: request.form.get(k, "").strip() for k in ("title", "body", "min_tier", "interest")}
    values = {k: v for k, v in values.items() if v or k in ("title", "body")}
    try:
        campaign = campaigns.create(db.session, runtime(), values, actor())
    except Invalid as exc:
        return _campaigns_page(values, _errors(exc), 400)
    flash_success(_("Campaign saved. Check the recipients, then send it."))
    return redirect(url_for("benefits.campaign", campaign_id=campaign.id))


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> Any:
    row = campaigns.get_campaign(db.session, campaign_id)
    return render_template(
        "benefits/campaign.html",
        c=campaigns.campaign_view(db.session, row),
        targets=[] if row.sent_at else campaigns.targets(db.session, row),
        may_write=actor().has_any(WRITE_CAMPAIGNS),
    )


@bp.post("/campaigns/<int:campaign_id>/send")
def send_campaign(campaign_id: int) -> Any:
    try:
        sent = campaigns.send(db.session, runtime(), campaign_id, actor())
    except Conflict as exc:
        flash_error(_refusal(exc))
    else:
        flash_success(_("Sent to %(n)s customers.", n=len(sent)))
    return redirect(url_for("benefits.campaign", campaign_id=campaign_id))


@bp.post("/customers/<int:customer_id>/opt-out")
def opt_out(customer_id: int) -> Any:
    campaigns.set_opt_out(
        db.session, runtime(), customer_id, {"opted_out": request.form.get("opted_out") == "1"}, actor()
    )
    flash_success(_("Changes saved."))
    return redirect(url_for("customers.show", customer_id=customer_id, _anchor="benefits"))


# --- events ---------------------------------------------------------------------------------------


def _events_page(
    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    return render_template(
        "benefits/events.html",
        events=[events.event_view(db.session, e) for e in events.all_events(db.session)],
        values=values or {},
        errors=errors or {},
        may_manage=actor().has_any(MANAGE_EVENTS),
    ), status


@bp.get("/events")
def event_list() -> Any:
    return _events_page()


@bp.post("/events")
def add_event() -> Any:
    form = request.form
    values: dict[str, Any] = {
        k: form.get(k, "").strip() for k in ("title", "description", "location", "invitations_from")
    }
    values["starts_at"] = _local_instant(form.get("starts_at", "").strip())
    values["capacity"] = _number(form.get("capacity", "").strip())
    values = {k: v for k, v in values.items() if v not in ("", None) or k == "title"}
    try:
        event = events.create(db.session, runtime(), values, actor())
    except Invalid as exc:
        return _events_page(values, _errors(exc), 400)
    flash_success(_("Event created."))
    return redirect(url_for("benefits.event", event_id=event.id))


@bp.get("/events/<int:event_id>")
def event(event_id: int, status: int = 200) -> Any:
    return render_template(
        "benefits/event.html",
        e=events.event_view(db.session, events.get_event(db.session, event_id)),
        may_manage=actor().has_any(MANAGE_EVENTS),
        may_answer=actor().has_any(EDIT_CUSTOMERS),
    ), status


@bp.post("/events/<int:event_id>/invite")
def invite(event_id: int) -> Any:
    count = events.send_invitations(db.session, runtime(), event_id, actor())
    flash_success(_("%(n)s customers invited.", n=count))
    return redirect(url_for("benefits.event", event_id=event_id))


def _answered(event_id: int, record: Any) -> Any:
    """Runs one invitation change; a refusal is shown on the event page."""
    try:
        record()
    except Conflict as exc:
        flash_error(_refusal(exc))
    except Invalid as exc:
        flash_error("; ".join(_errors(exc).values()))
        return event(event_id, 400)
    else:
        flash_success(_("Changes saved."))
    return redirect(url_for("benefits.event", event_id=event_id))


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/rsvp")
def rsvp(event_id: int, invitation_id: int) -> Any:
    answer = {"answer": request.form.get("value", "")}
    return _answered(
        event_id, lambda: events.record_rsvp(db.session, runtime(), invitation_id, answer, actor())
    )


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/attendance")
def attendance(event_id: int, invitation_id: int) -> Any:
    came = {"attended": request.form.get("value") == "yes"}
    return _answered(
        event_id, lambda: events.record_attendance(db.session, runtime(), invitation_id, came, actor())
    )


# --- the customer card ----------------------------------------------------------------------------


def customer_benefits(customer_id: int) -> dict[str, Any]:
    """The benefits panel of a customer card: opt-out, bookings, campaigns received, events."""
    return {
        **benefit_card.customer_benefits(db.session, customer_id),
        "may_edit": actor().has_any(EDIT_CUSTOMERS),
    }


TEMPLATE_GLOBALS = {
    "benefit_label": benefit_label,
    "customer_benefits": customer_benefits,
    "CAMPAIGN_READERS": WRITE_CAMPAIGNS | EDIT_CUSTOMERS,
    "EVENT_READERS": MANAGE_EVENTS | EDIT_CUSTOMERS,
}
