"""Cases: the list with filters, saved filters and exports, starting one, and the case page
(where it stands on its diagram, data, tasks, history, related cases, and the managers' forms)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.cases import operations as case_service
from workflows.cases.comments import comment_on_case
from workflows.cases.export import current_steps
from workflows.cases.queries import (
    case_documents,
    case_history,
    cases_by_id,
    current_tiers,
    list_cases,
    status_counts,
)
from workflows.customers.operations import TIERS, get_customer, list_customers
from workflows.deploy.queries import process_list
from workflows.errors import Conflict, Invalid, NotFound
from workflows.inbox.saved_filters import delete_filter as delete_named_filter
from workflows.inbox.saved_filters import list_filters as list_saved_filters
from workflows.inbox.saved_filters import save_filter as save_named_filter
from workflows.permissions import FIX_CASES, SUPERVISE, may_complete, may_start
from workflows.views import case_view

from ..extensions import db
from .case_diagram import diagram_state, element_label, element_names
from .common import actor, page_blueprint, runtime
from .flashes import flash_error, flash_success
from .labels import CASE_STATUS_LABELS
from .manage import active_users
from .reports import chart_data, metric_rows
from .timeline import timeline
from .values import field_index, show_case_data

bp = page_blueprint("cases", __name__)
PAGE_SIZE = 30
HISTORY_PAGE = 200
HISTORY_MAX = 1000  # events shown on the page; the API pages through them all
SUMMARY = ("travellers", "budget", "purpose")
# Shown in the case header already, or only the input that created the customer record.
IN_HEADER = (
    "customer_id",
    "customer_name",
    "customer_tier",
    "destination",
    "start_date",
    "end_date",
    "new_customer",
)
VIEWER = "vendor/bpmn-navigated-viewer.production.min.js"
STATUSES = ("running", "suspended", "error", "completed", "lost", "cancelled")


def list_filters_of(args: Any) -> dict[str, str]:
    """The case-list filters of a query string, checked: what links, exports and saved filters carry."""
    found: dict[str, str] = {}
    if args.get("process"):
        found["process"] = str(args["process"])[:128]
    if args.get("status") in CASE_STATUS_LABELS:
        found["status"] = args["status"]
    customer_id = str(args.get("customer_id") or "")
    if customer_id.isdigit() and len(customer_id) < 10:
        found["customer_id"] = customer_id
    if args.get("tier") in TIERS:
        found["tier"] = args["tier"]
    if str(args.get("overdue", "")) == "true":
        found["overdue"] = "true"
    q = str(args.get("q") or "").strip()[:200]
    if q:
        found["q"] = q
    manager = str(args.get("trip_account_manager") or "").strip()[:64]
    if manager:
        found["trip_account_manager"] = manager
    return found


def _service_filters(filters: dict[str, str]) -> dict[str, Any]:
    return {
        "process": filters.get("process"),
        "status": filters.get("status"),
        "customer_id": int(filters["customer_id"]) if "customer_id" in filters else None,
        "tier": filters.get("tier"),
        "overdue": filters.get("overdue") == "true",
        "q": filters.get("q"),
        "trip_account_manager": (
            actor().username
            if filters.get("trip_account_manager") == "me"
            else filters.get("trip_account_manager")
        ),
    }


def _status_counts(rt: Any, filters: dict[str, str]) -> dict[str, int]:
    """Each status tab's count under every other active filter (the tab itself replaces ``status``)."""
    others = {k: v for k, v in _service_filters(filters).items() if k != "status"}
    return status_counts(db.session, rt, **others)


def _age_days(case: Any, now: datetime) -> int:
    return max(0, int(((case.ended_at or now) - case.started_at).total_seconds() // 86400))


@bp.get("/cases")
def index() -> Any:
    rt = runtime()
    filters = list_filters_of(request.args)
    rows, next_cursor = list_cases(
        db.session, rt, cursor=request.args.get("cursor"), limit=PAGE_SIZE, **_service_filters(filters)
    )
    now = rt.clock.now()
    customer = None
    if "customer_id" in filters:
        try:
            customer = get_customer(db.session, int(filters["customer_id"]))
        except NotFound:
            customer = None
    processes = process_list(db.session)
    return render_template(
        "cases/index.html",
        cases=rows,
        steps=current_steps(db.session, rt, [c.id for c in rows]),
        ages={c.id: _age_days(c, now) for c in rows},
        next_cursor=next_cursor,
        processes=processes,
        filters=filters,
        without_status={k: v for k, v in filters.items() if k != "status"},
        without_customer={k: v for k, v in filters.items() if k != "customer_id"},
        without_manager={k: v for k, v in filters.items() if k != "trip_account_manager"},
        my_trips=(
            {**filters, "trip_account_manager": "me", "process": "trip"}
            if "account_manager" in actor().roles
            else None
        ),
        status_counts=_status_counts(rt, filters),
        tiers_now=current_tiers(db.session, [c.customer_id for c in rows]),
        statuses=STATUSES,
        tiers=TIERS,
        customer=customer,
        saved=list_saved_filters(db.session, actor()),
        startable=[p for p in processes if may_start(actor(), p["key"])],
        paged=bool(request.args.get("cursor")),
    )


@bp.post("/cases/filters")
def save_filter() -> Any:
    filters = list_filters_of(request.form)
    try:
        save_named_filter(db.session, runtime(), actor(), request.form.get("name", ""), filters)
        flash_success(_("Filter saved. It is listed above the cases."))
    except Invalid:
        flash_error(_("Name the filter to save it."))
    except Conflict:
        flash_error(_("You already have a filter with that name."))
    return redirect(url_for("cases.index", **filters))


@bp.post("/cases/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int) -> Any:
    delete_named_filter(db.session, actor(), filter_id)
    flash_success(_("Filter deleted."))
    return redirect(url_for("cases.index"))


def _startable() -> list[dict[str, Any]]:
    who = actor()
    return [p for p in process_list(db.session) if may_start(who, p["key"])]


@bp.route("/cases/start", methods=["GET", "POST"])
def start() -> Any:
    processes = _startable()
    if request.method == "POST":
        key = request.form.get("process", "")
        customer_id = request.form.get("customer_id", "")
        data: dict[str, Any] = {"customer_id": int(customer_id)} if customer_id.isdigit() else {}
        if key not in {p["key"] for p in processes}:
            flash_error(_("Choose a process you may start."))
            return redirect(url_for("cases.start"))
        case = case_service.start_case(db.session, runtime(), key, data, actor())
        flash_success(_("Case #%(id)s started.", id=case.id))
        for item in case_service.open_tasks_of_case(db.session, case.id):
            if may_complete(actor(), item.lane, item.assignee, item.claimed_by):
                return redirect(url_for("tasks.show", task_id=item.id))
        return redirect(url_for("cases.show", case_id=case.id))
    preselected = request.args.get("customer_id", "")
    customer = None
    if preselected.isdigit():
        try:
            customer = get_customer(db.session, int(preselected))
        except NotFound:
            customer = None
    customers = list_customers(db.session, limit=500)
    if customer is not None and all(c.id != customer.id for c in customers):
        customers.append(customer)
    chosen = request.args.get("process") or (
        "itinerary_planning"
        if any(p["key"] == "itinerary_planning" for p in processes)
        else (processes[0]["key"] if processes else "")
    )
    return render_template(
        "cases/start.html", processes=processes, customers=customers, chosen=chosen, customer=customer
    )


FROZEN_REPORT = ("metrics", "metrics_report", "report_period")


def _frozen_report(process_key: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """A quarterly review's frozen figures, laid out as /reports lays out live ones."""
    figures = data.get("metrics")
    if process_key != "quarterly_review" or not isinstance(figures, dict) or not figures:
        return None
    return {
        "rows": metric_rows(figures, {}),
        "chart": chart_data(figures),
        "figures": figures,
        "period": data.get("report_period") or {},
        "quarter": data.get("quarter"),
    }


def _related(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The parent case (a change request's trip) and the child cases: what they are, how they stand."""
    ids = ([view["parent"]] if view["parent"] else []) + list(view["children"])
    if not ids:
        return []
    rows = {c.id: c for c in cases_by_id(db.session, ids)}
    return [
        {
            "id": i,
            "role": "parent" if i == view["parent"] else "child",
            "process": rows[i].process_key,
            "status": rows[i].status,
            "started_at": rows[i].started_at,
        }
        for i in ids
        if i in rows
    ]


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> Any:
    rt = runtime()
    who = actor()
    case = case_service.get_case(db.session, case_id)
    view = case_view(db.session, case)
    events, next_cursor = case_history(db.session, case_id, limit=HISTORY_PAGE)
    while next_cursor is not None and len(events) < HISTORY_MAX:
        more, next_cursor = case_history(db.session, case_id, cursor=next_cursor, limit=HISTORY_PAGE)
        events += more
    index = field_index(db.session, rt, case.process_key)
    names = element_names(case)
    supervise = who.has_any(SUPERVISE)
    lanes = {t["lane"] for t in view["active_tasks"]} if supervise else set()
    suspended = next((e for e in reversed(events) if e.kind == "case_suspended"), None)
    report = _frozen_report(case.process_key, view["data"])
    hidden = IN_HEADER + (FROZEN_REPORT if report else ())
    return render_template(
        "cases/show.html",
        case=view,
        process_name=case.version.name,
        timeline=timeline(events, index, names),
        data=show_case_data({k: v for k, v in view["data"].items() if k not in hidden}, index, SUMMARY),
        report=report,
        variables=sorted(k for k in view["data"] if not k.startswith("_")),
        more_history=next_cursor is not None,
        documents=case_documents(db.session, case_id),
        viewer=Path(current_app.static_folder or "", VIEWER).is_file(),
        diagram=diagram_state(case),
        related=_related(view),
        age_days=_age_days(case, rt.clock.now()),
        may_supervise=supervise,
        may_fix=who.has_any(FIX_CASES),
        candidates={lane: active_users(lane) for lane in lanes},
        suspended_reason=suspended.text if suspended is not None and case.status == "suspended" else None,
        error_label=element_label(case, names) if case.error_element else "",
        tier_now=current_tiers(db.session, [case.customer_id]).get(case.customer_id),
    )


@bp.post("/cases/<int:case_id>/comments")
def comment(case_id: int) -> Any:
    try:
        comment_on_case(db.session, runtime(), case_id, request.form.get("text", ""), actor())
        flash_success(_("Comment added."))
    except Invalid:
        flash_error(_("Write a comment first."))
    return redirect(url_for("cases.show", case_id=case_id, _anchor="history"))
