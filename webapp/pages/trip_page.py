"""The customer's own trip page, opened by the link in the confirmation letter: no account, one trip.

Every answer is about the trip the link opens and nothing else; a link never issued is 404, a
revoked or expired one 410, both with a friendly page; wrong input is 400 with the page again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from workflows.errors import Conflict, Invalid, NotFound, TripflowError
from workflows.trip_page import actions, crisis
from workflows.trip_page.links import LinkGone
from workflows.trip_page.page import letter_document, trip_page

from ..extensions import db
from ..trip_page_limits import count_action, count_bad_link, retry_after
from .common import runtime

bp = Blueprint("trip_page", __name__)
DONE = ("rated", "reported", "change_requested", "alternative_chosen", "answered")
LANGUAGES = {"zh": "zh_Hans", "en": "en"}


def _gone(status: int, why: str) -> Any:
    html = render_template("trip_page/gone.html", status=status, why=why)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_many(seconds: int) -> Any:
    response = make_response(render_template("trip_page/gone.html", status=429, why="busy"), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _private(response: Any) -> Any:
    """The page is the customer's: no cache keeps it, no referrer carries the link elsewhere."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _show(token: str, status: int = 200, error: str | None = None, field: str | None = None) -> Any:
    try:
        page = trip_page(db.session, runtime(), token)
    except NotFound:
        count_bad_link()
        return _gone(404, "unknown")
    except LinkGone as exc:
        return _gone(410, exc.why)
    done = request.args.get("done")
    html = render_template(
        "trip_page/page.html",
        trip=page,
        token=token,
        done=done if done in DONE else None,
        error=error,
        error_field=field,
        options_labels=_option_labels(),
    )
    return _private(make_response(html, status))


def _option_labels() -> dict[str, str]:
    return {
        "keep": _("Keep the plan"),
        "move_dates": _("Move the dates"),
        "cancel_refund": _("Cancel with refund of the difference"),
    }


@bp.get("/trip/<token>")
def show(token: str) -> Any:
    wait = retry_after()
    if wait:
        return _too_many(wait)
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["locale"] = LANGUAGES[lang]
        return redirect(url_for("trip_page.show", token=token))
    return _show(token)


def _act(token: str, done: str, call: Any) -> Any:
    """Runs one customer action: 429 past the limit, the page again with the reason when refused."""
    wait = retry_after(token)
    if wait:
        return _too_many(wait)
    count_action(token)
    try:
        call()
    except NotFound:
        count_bad_link()
        return _gone(404, "unknown")
    except LinkGone as exc:
        return _gone(410, exc.why)
    except actions.TooLate:
        return _show(
            token,
            400,
            _("Changes are not accepted within 24 hours of the service start. Please call us."),
            "day",
        )
    except Invalid as exc:
        field = str((exc.details or [{}])[0].get("field") or "")
        return _show(token, 400, _("Please check the form: %(field)s", field=_field_label(field)), field)
    except Conflict:
        return _show(token, 409, _("This was already answered, or it changed meanwhile. Please reload."))
    except TripflowError:
        abort(400)
    return redirect(url_for("trip_page.show", token=token, done=done) + "#done")


def _field_label(field: str) -> str:
    return {
        "score": _("Your rating"),
        "text": _("Your comment"),
        "details": _("What happened / what you would like"),
        "urgent": _("Urgent"),
        "change_type": _("What to change"),
        "day": _("Day of the trip"),
        "time": _("Time"),
        "choice": _("Alternative"),
        "incident": _("Alternative"),
        "answer": _("Your answer"),
        "notes": _("Your comment"),
        "notice": _("Your answer"),
    }.get(field, field)


@bp.post("/trip/<token>/rate")
def rate(token: str) -> Any:
    form = request.form
    return _act(
        token,
        "rated",
        lambda: actions.rate_trip(db.session, runtime(), token, form.get("score"), form.get("text")),
    )


@bp.post("/trip/<token>/problem")
def problem(token: str) -> Any:
    form = request.form
    return _act(
        token,
        "reported",
        lambda: actions.report_problem(db.session, runtime(), token, form.get("details"), form.get("urgent")),
    )


@bp.post("/trip/<token>/change")
def change(token: str) -> Any:
    form = request.form
    return _act(
        token,
        "change_requested",
        lambda: actions.request_change(
            db.session,
            runtime(),
            token,
            form.get("change_type"),
            form.get("day"),
            form.get("time"),
            form.get("details"),
        ),
    )


@bp.post("/trip/<token>/incidents/<incident_id>/choose")
def choose(token: str, incident_id: str) -> Any:
    form = request.form
    return _act(
        token,
        "alternative_chosen",
        lambda: actions.choose_alternative(db.session, runtime(), token, incident_id, form.get("choice")),
    )


@bp.post("/trip/<token>/notices/<notice_id>/answer")
def answer(token: str, notice_id: str) -> Any:
    form = request.form
    return _act(
        token,
        "answered",
        lambda: crisis.answer_on_trip_page(
            db.session, runtime(), token, notice_id, form.get("answer"), form.get("notes")
        ),
    )


@bp.get("/trip/<token>/letter")
@bp.get("/trip/<token>/letter.pdf")
def letter(token: str) -> Any:
    wait = retry_after()
    if wait:
        return _too_many(wait)
    try:
        document = letter_document(db.session, runtime(), token, pdf=request.path.endswith(".pdf"))
    except NotFound:
        count_bad_link()
        return _gone(404, "unknown")
    except LinkGone as exc:
        return _gone(410, exc.why)
    if document is None or not document.content:
        return _gone(404, "no_letter")
    response = make_response(document.content)
    response.headers["Content-Type"] = document.content_type
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    if request.path.endswith(".pdf"):
        response.headers["Content-Disposition"] = f'attachment; filename="{document.name}"'
    return _private(response)
