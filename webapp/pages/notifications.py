"""The bell and /me: my notices, read and unread, and the channels I am told through.

The bell in the page header polls ``/me/notifications.json`` (a small indexed query) every 20
seconds, which suits gunicorn's sync workers better than a held-open event stream. Every page
here works without script: the bell is a link to the list, and "read" is a form.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from workflows.errors import Invalid
from workflows.people import notifications as notices
from workflows.people.notifications import NotificationView

from ..extensions import db
from .common import actor, page_blueprint, runtime, safe_next
from .flashes import flash_success

bp = page_blueprint("me", __name__)
BELL_ITEMS = 8


def notification_text(n: Any) -> str:
    """One sentence in the current language: what happened, to which task, of which customer."""
    task = n.task_name or ""
    who = " · ".join(x for x in (n.customer_name, n.destination) if x)
    kind = n.kind
    if kind == "task_assigned":
        text = _("“%(task)s” was assigned to you", task=task)
    elif kind == "task_in_group":
        text = _("New task in your group inbox: “%(task)s”", task=task)
    elif kind == "copy_filed":
        text = _("A copy for you was filed on case %(case)s: “%(task)s”", case=n.case_id, task=task)
    elif kind == "due_soon":
        text = _("“%(task)s” is due within the hour", task=task)
    else:
        text = _("“%(task)s” is overdue", task=task)
    return _("%(text)s (%(who)s)", text=text, who=who) if who else text


def compose_message(n: Any, locale: str) -> tuple[str, str]:
    """Subject and body of a notice e-mail or robot post, in the recipient's language (worker side)."""
    with force_locale(locale):
        subject = notification_text(n)
        lines = [subject, _("Case %(case)s", case=n.case_id)]
        if n.due_at is not None:
            local = n.due_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
            lines.append(_("Due %(at)s", at=local.strftime("%Y-%m-%d %H:%M")))
        return f"Tripflow: {subject}", "\n".join(lines)


def _item(view: NotificationView) -> dict[str, Any]:
    return {
        "id": view.id,
        "at": view.at.isoformat(),
        "kind": view.kind,
        "text": notification_text(view),
        "case_id": view.case_id,
        "task_id": view.task_id,
        "read": view.read,
        "url": url_for("tasks.show", task_id=view.task_id)
        if view.task_id
        else (url_for("cases.show", case_id=view.case_id) if view.case_id else None),
    }


@bp.get("/me/notifications.json")
def bell() -> Any:
    """What the bell shows: the unread count and the newest few (polled by notifications.js)."""
    who = actor()
    items, _cursor = notices.my_notifications(db.session, who, limit=BELL_ITEMS)
    return jsonify(
        {
            "unread": notices.unread_count(db.session, who),
            "items": [_item(v) for v in items],
            "read_url": url_for("me.read_all"),
        }
    )


@bp.get("/me")
def index() -> Any:
    who = actor()
    items, next_cursor = notices.my_notifications(db.session, who, cursor=request.args.get("cursor"))
    return render_template(
        "me/index.html",
        channels=notices.get_channels(db.session, who),
        items=[_item(v) for v in items],
        next_cursor=next_cursor,
        errors={},
    )


@bp.post("/me")
def save_channels() -> Any:
    who = actor()
    form = request.form
    wanted = {
        "in_app": form.get("in_app") == "on",
        "email": form.get("email") == "on",
        "address": form.get("address", ""),
    }
    try:
        notices.set_channels(db.session, who, **wanted)
    except Invalid as exc:
        db.session.rollback()
        messages = {
            "address": _("Give a valid e-mail address to be told by e-mail."),
            "in_app": _("Choose yes or no."),
            "email": _("Choose yes or no."),
        }
        errors = {str(d.get("field")): messages.get(str(d.get("field")), "") for d in exc.details}
        items, next_cursor = notices.my_notifications(db.session, who)
        channels = {"in_app": wanted["in_app"], "email": wanted["email"], "address": wanted["address"]}
        page = render_template(
            "me/index.html",
            channels=channels,
            items=[_item(v) for v in items],
            next_cursor=next_cursor,
            errors=errors,
        )
        return page, 400
    flash_success(_("Your notification settings are saved."))
    return redirect(url_for("me.index"))


@bp.post("/me/notifications/<int:notification_id>/read")
def read(notification_id: int) -> Any:
    """Mark one read, then open its task (or go back where the form says)."""
    view = notices.mark_read(db.session, actor(), notification_id, runtime().clock.now())
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_item(view))
    default = url_for("tasks.show", task_id=view.task_id) if view.task_id else url_for("me.index")
    return redirect(safe_next(request.form.get("next"), default))


@bp.post("/me/notifications/read")
def read_all() -> Any:
    notices.mark_all_read(db.session, actor(), runtime().clock.now())
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"unread": 0})
    return redirect(safe_next(request.form.get("next"), url_for("me.index")))
