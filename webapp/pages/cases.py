"""Cases: the list with filters, starting one, and the case page (data, tasks, history, diagram)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows import cases as case_service
from workflows.case_queries import case_documents, case_history, list_cases
from workflows.comments import comment_on_case
from workflows.customers import get_customer, list_customers
from workflows.errors import Invalid, NotFound
from workflows.permissions import may_start, may_work_on
from workflows.process_queries import process_list
from workflows.views import case_view

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .flashes import flash_error, flash_success
from .labels import CASE_STATUS_LABELS
from .values import field_index, show_case_data

bp = page_blueprint("cases", __name__)
PAGE_SIZE = 30
HISTORY_PAGE = 200
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


@bp.get("/cases")
def index() -> Any:
    args = request.args
    process, status, q = args.get("process") or None, args.get("status") or None, args.get("q", "").strip()
    status = status if status in CASE_STATUS_LABELS else None
    rows, next_cursor = list_cases(
        db.session,
        runtime(),
        process=process,
        status=status,
        q=q or None,
        cursor=args.get("cursor"),
        limit=PAGE_SIZE,
    )
    processes = process_list(db.session)
    startable = [p for p in processes if may_start(actor(), p["key"])]
    return render_template(
        "cases/index.html",
        cases=rows,
        next_cursor=next_cursor,
        processes=processes,
        process=process,
        status=status,
        q=q,
        startable=startable,
        paged=bool(args.get("cursor")),
    )


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
            if may_work_on(actor(), item.lane, item.assignee) and item.claimed_by in (None, actor().username):
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


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> Any:
    rt = runtime()
    case = case_service.get_case(db.session, case_id)
    view = case_view(db.session, case)
    events, next_cursor = case_history(db.session, case_id, limit=HISTORY_PAGE)
    index = field_index(db.session, rt, case.process_key)
    viewer = Path(current_app.static_folder or "", VIEWER).is_file()
    active = {t["task_id"] for t in view["active_tasks"]}
    completed = sorted({e.bpmn_id for e in events if e.kind == "task_completed" and e.bpmn_id} - active)
    return render_template(
        "cases/show.html",
        case=view,
        events=events,
        data=show_case_data({k: v for k, v in view["data"].items() if k not in IN_HEADER}, index, SUMMARY),
        more_history=next_cursor is not None,
        documents=case_documents(db.session, case_id),
        viewer=viewer,
        active_ids=" ".join(sorted(active)),
        completed_ids=" ".join(completed),
        error_ids=case.error_element or "",
    )


@bp.post("/cases/<int:case_id>/comments")
def comment(case_id: int) -> Any:
    try:
        comment_on_case(db.session, runtime(), case_id, request.form.get("text", ""), actor())
        flash_success(_("Comment added."))
    except Invalid:
        flash_error(_("Write a comment first."))
    return redirect(url_for("cases.show", case_id=case_id, _anchor="history"))
