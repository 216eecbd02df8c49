"""What managers do from the pages: cancel, suspend, resume, fix data, retry, reassign; incidents; away.

Each form posts here and goes back to the page it came from with a message. The services check the
roles (a refusal is the 403 page); this module only turns form fields into their arguments.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.cases import interventions
from workflows.cases import operations as case_service
from workflows.errors import Conflict, Invalid
from workflows.people import directory
from workflows.people.out_of_office import get_out_of_office, set_out_of_office
from workflows.permissions import FIX_CASES, SUPERVISE

from ..extensions import db
from .case_diagram import element_label
from .common import actor, local_zone, page_blueprint, runtime, safe_next
from .flashes import flash_error, flash_success
from .labels import case_status_label, task_label
from .people import person_name

bp = page_blueprint("manage", __name__)
MANAGE_CASES = SUPERVISE | FIX_CASES
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def active_users(role: str | None = None) -> list[tuple[str, str]]:
    """Active users (user name, display name), only those holding ``role`` when one is given."""
    return directory.active_users(db.session, role)


def _back_to_case(case_id: int, anchor: str | None = None) -> Any:
    default = url_for("cases.show", case_id=case_id, _anchor=anchor)
    return redirect(safe_next(request.form.get("next"), default))


def _refused(case_id: int) -> None:
    """The case is not in a state that allows the action: say which state it is in."""
    case = case_service.get_case(db.session, case_id)
    flash_error(_("Not possible now: the case is %(status)s.", status=case_status_label(case.status)))


# --- interventions on a case ----------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/cancel")
def cancel(case_id: int) -> Any:
    try:
        interventions.cancel_case(db.session, runtime(), case_id, request.form.get("reason", ""), actor())
    except Invalid:
        flash_error(_("Give a reason for cancelling the case."))
        return _back_to_case(case_id, "manage")
    except Conflict:
        _refused(case_id)
        return _back_to_case(case_id)
    flash_success(_("Case #%(id)s cancelled. Its tasks have left every inbox.", id=case_id))
    return _back_to_case(case_id)


@bp.post("/cases/<int:case_id>/suspend")
def suspend(case_id: int) -> Any:
    try:
        interventions.suspend_case(db.session, runtime(), case_id, request.form.get("reason", ""), actor())
    except Conflict:
        _refused(case_id)
        return _back_to_case(case_id)
    flash_success(_("Case #%(id)s suspended: its tasks and timers wait until it is resumed.", id=case_id))
    return _back_to_case(case_id)


@bp.post("/cases/<int:case_id>/resume")
def resume(case_id: int) -> Any:
    try:
        interventions.resume_case(db.session, runtime(), case_id, actor())
    except Conflict:
        _refused(case_id)
        return _back_to_case(case_id)
    flash_success(_("Case #%(id)s resumed.", id=case_id))
    return _back_to_case(case_id)


def parse_value(text: str) -> Any:
    """JSON when it reads as JSON (``5``, ``true``, ``["a"]``, ``"x"``), otherwise the text itself."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


@bp.post("/cases/<int:case_id>/data")
def fix_data(case_id: int) -> Any:
    name = request.form.get("name", "").strip()
    if not name:
        flash_error(_("Name the variable to change."))
        return _back_to_case(case_id, "fix-data")
    changes = {name: parse_value(request.form.get("value", ""))}
    try:
        interventions.update_case_data(
            db.session, runtime(), case_id, changes, request.form.get("reason"), actor()
        )
    except Invalid as exc:
        fields = {str(d.get("field", "")) for d in exc.details}
        if "reason" in fields:
            flash_error(_("Give a reason for the change; it is kept in the history."))
        else:
            flash_error(_("“%(name)s” is not a valid variable name.", name=name))
        return _back_to_case(case_id, "fix-data")
    except Conflict:
        _refused(case_id)
        return _back_to_case(case_id)
    flash_success(_("%(name)s changed. The change and its reason are in the history.", name=name))
    return _back_to_case(case_id, "fix-data")


@bp.post("/cases/<int:case_id>/retry")
def retry(case_id: int) -> Any:
    try:
        interventions.retry_case(db.session, runtime(), case_id, actor())
    except Conflict:
        case = case_service.get_case(db.session, case_id)
        if case.status == "error":
            flash_error(_("The step failed again: %(message)s", message=case.error_message or ""))
        else:
            _refused(case_id)
        return _back_to_case(case_id)
    flash_success(_("Case #%(id)s runs on.", id=case_id))
    return _back_to_case(case_id)


@bp.post("/tasks/<int:task_id>/assign")
def assign(task_id: int) -> Any:
    user = request.form.get("user", "")
    try:
        item = case_service.assign_task(db.session, runtime(), task_id, user, actor())
    except Invalid:
        flash_error(_("Choose who should do the task."))
    except Conflict:
        flash_error(_("The task is no longer open."))
    else:
        flash_success(
            _(
                "%(task)s is now with %(user)s.",
                task=task_label(item.bpmn_id, item.name),
                user=person_name(user),
            )
        )
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


# --- incidents ----------------------------------------------------------------------------------


@bp.get("/incidents")
def incidents() -> Any:
    actor().require(MANAGE_CASES, "reading incidents")
    rows = interventions.incidents(db.session)
    return render_template("manage/incidents.html", cases=rows, steps={c.id: element_label(c) for c in rows})


# --- out of office -----------------------------------------------------------------------------------


def _stand_ins() -> list[tuple[str, str]]:
    me = actor().username
    return [(u, n) for u, n in active_users() if u != me]


def _as_input(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(local_zone()).strftime(LOCAL_INPUT)


def _phase(current: dict[str, Any] | None) -> str:
    """``ended``, ``now`` or ``planned``: where the saved period stands against the clock."""
    if current is None:
        return ""
    now = runtime().clock.now()
    if datetime.fromisoformat(current["to"]) < now:
        return "ended"
    return "now" if datetime.fromisoformat(current["from"]) <= now else "planned"


def _away_page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    current = get_out_of_office(db.session, actor())
    return render_template(
        "manage/away.html",
        current=current,
        phase=_phase(current),
        values=values,
        errors=errors,
        users=_stand_ins(),
    ), status


def _local(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, LOCAL_INPUT).replace(tzinfo=local_zone())
    except ValueError:
        return None


@bp.get("/me/away")
def away() -> Any:
    current = get_out_of_office(db.session, actor())
    if current:
        values = {
            "from": _as_input(current["from"]),
            "to": _as_input(current["to"]),
            "stand_in": current["stand_in"],
        }
    else:
        start = (
            runtime().clock.now().astimezone(local_zone()).replace(hour=9, minute=0, second=0, microsecond=0)
        )
        start += timedelta(days=1)
        values = {
            "from": start.strftime(LOCAL_INPUT),
            "to": (start + timedelta(days=7)).strftime(LOCAL_INPUT),
            "stand_in": "",
        }
    return _away_page(values, {})


@bp.post("/me/away")
def save_away() -> Any:
    values = {k: request.form.get(k, "").strip() for k in ("from", "to", "stand_in")}
    errors: dict[str, str] = {}
    start, end = _local(values["from"]), _local(values["to"])
    for key, parsed in (("from", start), ("to", end)):
        if parsed is None:
            errors[key] = _("Enter a date and time.")
    if not values["stand_in"]:
        errors["stand_in"] = _("Choose who takes your tasks.")
    if not errors:
        assert start is not None and end is not None
        try:
            set_out_of_office(db.session, runtime(), actor(), (start, end, values["stand_in"]))
        except Invalid as exc:
            for detail in exc.details:
                field = str(detail.get("field", ""))
                errors[field] = (
                    _("Must be after the start.") if field == "to" else _("Choose another active user.")
                )
    if errors:
        return _away_page(values, errors, 400)
    flash_success(
        _("Out of office saved. Tasks for you go to %(user)s during that time.", user=values["stand_in"])
    )
    return redirect(url_for("manage.away"))


@bp.post("/me/away/clear")
def clear_away() -> Any:
    set_out_of_office(db.session, runtime(), actor(), None)
    flash_success(_("You are no longer marked as away."))
    return redirect(url_for("manage.away"))
