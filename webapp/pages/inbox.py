"""The inbox: my tasks and my groups' tasks, urgent work first (or by tier, or by due date), searched
and filtered, with saved inbox filters; claim and give back, one task or several at once (a supervisor
may also hand several to one person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _

from workflows.cases import operations as case_service
from workflows.customers.queries import phones_of
from workflows.errors import Conflict, Forbidden, Invalid, NotFound, TripflowError
from workflows.inbox import queries as inbox
from workflows.inbox.saved_filters import delete_filter, list_filters, save_filter
from workflows.inbox.search import InboxSearch, search_from
from workflows.inbox.tasks import find_task
from workflows.people.names import display_names, people_of
from workflows.people.out_of_office import get_out_of_office
from workflows.permissions import LANE_ROLES, SUPERVISE

from ..config import escalation_window
from ..extensions import db
from .common import actor, page_blueprint, runtime, safe_next
from .flashes import flash_error, flash_success
from .labels import task_label
from .manage import active_users
from .people import person_name

bp = page_blueprint("inbox", __name__)
PAGE_SIZE = 50
MAX_BULK = 100


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
    rt = runtime()
    sort = request.args.get("sort") or "urgency"
    sort = sort if sort in inbox.SORTS else "urgency"
    try:
        search = search_from(request.args, rt.timezone)
    except Invalid as exc:
        flash_error(exc.details[0]["field"] + ": " + exc.details[0]["message"])
        search = InboxSearch(zone=rt.timezone)

    def one_page(cursor: str | None) -> tuple[list[Any], str | None]:
        if scope == "team":
            return inbox.team_tasks(db.session, who, lane=lane, cursor=cursor, limit=PAGE_SIZE)
        return inbox.list_tasks(
            db.session,
            who,
            scope,
            now=rt.clock.now(),
            sort=sort,
            search=search,
            lane=lane,
            cursor=cursor,
            limit=PAGE_SIZE,
            window=escalation_window(),
        )

    # a cursor this server did not give is refused (400), never silently read as the first page
    items, next_cursor = one_page(request.args.get("cursor"))
    keep = {"scope": scope, "lane": lane, "sort": sort if sort != "urgency" else None, **search.as_query()}
    counts = {s: inbox.count_tasks(db.session, who, s, cap=badge_cap()) for s in inbox.SCOPES}
    if supervise:
        counts["team"] = inbox.count_team_tasks(db.session, who, cap=badge_cap())
    away = get_out_of_office(db.session, who)
    if away is not None and datetime.fromisoformat(away["to"]) < runtime().clock.now():
        away = None  # a period that has ended is no news
    guide = "tour_guide" in who.roles  # the guide's inbox is made for a phone
    return render_template(
        "inbox/index.html",
        guide=guide,
        phones=phones_of(db.session, [i.customer_id for i in items if i.customer_id]) if guide else {},
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
        names=display_names(db.session, people_of(items)),
        left={i.id: time_left(i.due_at, rt.clock.now()) for i in items},
        sort=sort,
        search=search,
        keep={k: v for k, v in keep.items() if v},
        filtered=bool(search.as_query()),
        tasks=inbox.task_choices(db.session, rt, None if scope == "team" else who.roles),
        saved=list_filters(db.session, who, "inbox"),
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
    item = find_task(db.session, task_id)
    name = task_label(item["task_id"], item["name"]) if item is not None else f"#{task_id}"
    if isinstance(exc, NotFound):
        return _("Task #%(id)s does not exist.", id=task_id)
    if isinstance(exc, Forbidden):
        return _("%(task)s (#%(id)s): not in a lane of your roles.", task=name, id=task_id)
    if isinstance(exc, Conflict):
        holder = item["claimed_by"] if item is not None and item["status"] == "claimed" else None
        if holder:
            return _(
                "%(task)s (#%(id)s): %(user)s holds it already.",
                task=name,
                id=task_id,
                user=person_name(holder),
            )
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
                        user=person_name(user),
                    )
                )
        except TripflowError as exc:
            flash_error(_bulk_failure(task_id, exc))
    return redirect(back)


def time_left(due_at: datetime | None, now: datetime) -> str:
    """How long until a task is due ("3 hours left") or how long it is late ("2 days overdue"),
    in the reader's language."""
    if due_at is None:
        return ""
    if due_at <= now:
        return _("%(time)s overdue", time=format_timedelta(now - due_at, granularity="minute"))
    return _("%(time)s left", time=format_timedelta(due_at - now, granularity="minute"))


def badge_cap() -> int:
    return inbox.BADGE_CAP


@bp.post("/inbox/filters")
def save_inbox_filter() -> Any:
    """Keep the inbox's current scope, sort and filters under a name."""
    query = {k: v for k, v in request.form.items() if k in INBOX_KEYS and v}
    try:
        save_filter(db.session, runtime(), actor(), request.form.get("name", ""), query, "inbox")
    except (Invalid, Conflict) as exc:
        flash_error(exc.message)
    else:
        flash_success(_("Filter saved."))
    return redirect(url_for("inbox.index", **query))


@bp.post("/inbox/filters/<int:filter_id>/delete")
def delete_inbox_filter(filter_id: int) -> Any:
    delete_filter(db.session, actor(), filter_id)
    flash_success(_("Filter deleted."))
    return redirect(url_for("inbox.index"))


INBOX_KEYS = ("scope", "lane", "sort", "q", "process", "task", "tier", "due_from", "due_to", "overdue")
