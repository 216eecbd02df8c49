"""The inbox: my tasks and my groups' tasks, tier A first then by due date; claim and give back,
one task or several at once (a supervisor may also hand several to one person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, select, tuple_

from workflows.cases import operations as case_service
from workflows.cursors import decode_sort_cursor
from workflows.errors import Conflict, Forbidden, Invalid, NotFound, TripflowError
from workflows.inbox import queries as inbox
from workflows.models import WorkItem
from workflows.people.out_of_office import get_out_of_office
from workflows.permissions import LANE_ROLES, SUPERVISE

from ..extensions import db
from .common import actor, page_blueprint, runtime, safe_next
from .flashes import flash_error, flash_success
from .labels import task_label
from .manage import active_users

bp = page_blueprint("inbox", __name__)
PAGE_SIZE = 25
MAX_BULK = 100
OPEN = ("ready", "claimed")


def _team_filter(lane: str | None) -> Any:
    query = WorkItem.status.in_(OPEN)
    return and_(query, WorkItem.lane == lane) if lane else query


def _team_tasks(lane: str | None, cursor: str | None) -> tuple[list[WorkItem], str | None]:
    """Every open task of every lane, held or not, in inbox order: what a supervisor hands around."""
    query = select(WorkItem).where(_team_filter(lane))
    after = _cursor_key(cursor)
    if after is not None:
        query = query.where(tuple_(WorkItem.priority, WorkItem.sort_due, WorkItem.id) > after)
    items = list(
        db.session.scalars(
            query.order_by(WorkItem.priority, WorkItem.sort_due, WorkItem.id).limit(PAGE_SIZE + 1)
        )
    )
    next_cursor = inbox.encode_cursor(items[PAGE_SIZE - 1]) if len(items) > PAGE_SIZE else None
    return items[:PAGE_SIZE], next_cursor


def _cursor_key(cursor: str | None) -> tuple[int, datetime, int] | None:
    """The sort key inside a cursor from ``inbox.encode_cursor``; one this server did not give is ignored."""
    try:
        return decode_sort_cursor(cursor)
    except Invalid:
        return None


@bp.get("/inbox")
def index() -> Any:
    who = actor()
    supervise = who.has_any(SUPERVISE)
    scopes = (*inbox.SCOPES, "team") if supervise else inbox.SCOPES
    scope = request.args.get("scope", "mine")
    scope = scope if scope in scopes else "mine"
    lanes = [r for r in LANE_ROLES if r in who.roles] if scope != "team" else list(LANE_ROLES)
    lane = request.args.get("lane") or None
    lane = lane if scope in ("group", "team") and lane in lanes else None
    if scope == "team":
        items, next_cursor = _team_tasks(lane, request.args.get("cursor"))
    else:
        items, next_cursor = inbox.list_tasks(
            db.session, who, scope, lane=lane, cursor=request.args.get("cursor"), limit=PAGE_SIZE
        )
    counts = {s: inbox.count_tasks(db.session, who, s, cap=badge_cap()) for s in inbox.SCOPES}
    if supervise:
        counts["team"] = int(
            db.session.scalar(select(func.count()).select_from(WorkItem).where(_team_filter(None))) or 0
        )
    away = get_out_of_office(db.session, who)
    if away is not None and datetime.fromisoformat(away["to"]) < runtime().clock.now():
        away = None  # a period that has ended is no news
    return render_template(
        "inbox/index.html",
        bulk_claim=scope == "group",
        bulk_assign=supervise,
        assignees=active_users() if supervise and items else [],
        away=away,
        items=items,
        next_cursor=next_cursor,
        scope=scope,
        lane=lane,
        lanes=lanes,
        counts=counts,
        paged=bool(request.args.get("cursor")),
        here=request.full_path.rstrip("?"),
    )


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Any:
    case_service.claim_task(db.session, runtime(), task_id, actor())
    flash_success(_("The task is yours now."))
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Any:
    case_service.unclaim_task(db.session, runtime(), task_id, actor())
    flash_success(_("The task is back in its group."))
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index", scope="group")))


BULK_ACTIONS = ("claim", "assign")


def _bulk_failure(task_id: int, exc: TripflowError) -> str:
    """One sentence per refused task, in the reader's language."""
    item = db.session.get(WorkItem, task_id)
    name = task_label(item.bpmn_id, item.name) if item is not None else f"#{task_id}"
    if isinstance(exc, NotFound):
        return _("Task #%(id)s does not exist.", id=task_id)
    if isinstance(exc, Forbidden):
        return _("%(task)s (#%(id)s): not in a lane of your roles.", task=name, id=task_id)
    if isinstance(exc, Conflict):
        holder = item.claimed_by if item is not None and item.status == "claimed" else None
        if holder:
            return _("%(task)s (#%(id)s): %(user)s holds it already.", task=name, id=task_id, user=holder)
        return _("%(task)s (#%(id)s): no longer open.", task=name, id=task_id)
    return _("%(task)s (#%(id)s): %(message)s", task=name, id=task_id, message=exc.message)


@bp.post("/inbox/bulk")
def bulk() -> Any:
    """Claim (or, for a supervisor, assign) every ticked task; one message per task says how it went."""
    who, rt = actor(), runtime()
    action = request.form.get("action", "")
    user = request.form.get("user", "")
    back = safe_next(request.form.get("next"), url_for("inbox.index"))
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) < 10][:MAX_BULK]
    if action not in BULK_ACTIONS:
        flash_error(_("Choose what to do with the selected tasks."))
        return redirect(back)
    if action == "assign":
        who.require(SUPERVISE, "assigning tasks")
        if not user:
            flash_error(_("Choose who should get the selected tasks."))
            return redirect(back)
    if not ids:
        flash_error(_("Tick the tasks first."))
        return redirect(back)
    for task_id in ids:
        try:
            if action == "claim":
                item = case_service.claim_task(db.session, rt, task_id, who)
                flash_success(
                    _("%(task)s (#%(id)s): yours now.", task=task_label(item.bpmn_id, item.name), id=task_id)
                )
            else:
                item = case_service.assign_task(db.session, rt, task_id, user, who)
                flash_success(
                    _(
                        "%(task)s (#%(id)s): now with %(user)s.",
                        task=task_label(item.bpmn_id, item.name),
                        id=task_id,
                        user=user,
                    )
                )
        except TripflowError as exc:
            flash_error(_bulk_failure(task_id, exc))
    return redirect(back)


def badge_cap() -> int:
    from . import BADGE_CAP

    return BADGE_CAP
