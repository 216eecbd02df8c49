"""The inbox: my tasks and my groups' tasks, tier A first then by due date; claim and give back."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows import cases as case_service
from workflows import inbox
from workflows.permissions import LANE_ROLES

from ..extensions import db
from .common import actor, page_blueprint, runtime, safe_next
from .flashes import flash_success

bp = page_blueprint("inbox", __name__)
PAGE_SIZE = 25


@bp.get("/inbox")
def index() -> Any:
    who = actor()
    scope = request.args.get("scope", "mine")
    scope = scope if scope in inbox.SCOPES else "mine"
    lanes = [r for r in LANE_ROLES if r in who.roles]
    lane = request.args.get("lane") or None
    lane = lane if scope == "group" and lane in lanes else None
    items, next_cursor = inbox.list_tasks(
        db.session, who, scope, lane=lane, cursor=request.args.get("cursor"), limit=PAGE_SIZE
    )
    counts = {s: inbox.count_tasks(db.session, who, s) for s in inbox.SCOPES}
    return render_template(
        "inbox/index.html",
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
