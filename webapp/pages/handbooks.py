"""The monthly case handbook 《服务案例手册》: past handbooks, compiling and publishing one, its PDF."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflows.engine.today import local_today
from workflows.errors import Invalid
from workflows.handbook import operations as handbook_service
from workflows.permissions import SUPERVISE

from ..extensions import db
from .common import actor, page_blueprint, runtime
from .field_errors import error_text
from .flashes import flash_success

bp = page_blueprint("handbooks", __name__)


def _last_month() -> str:
    rt = runtime()
    today = local_today(rt.clock, rt.timezone)
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


@bp.get("/handbooks")
def index() -> Any:
    return render_template(
        "handbooks/index.html",
        handbooks=handbook_service.handbooks(db.session, actor()),
        may_publish=actor().has_any(SUPERVISE),
        last_month=_last_month(),
    )


def _compose(month: str, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    picked = {int(v) for v in request.form.getlist("pick") if v.isdigit()}
    return (
        render_template(
            "handbooks/new.html",
            month=month,
            candidates=handbook_service.candidates(db.session, runtime(), actor(), month),
            picked=picked,
            form=request.form,
            errors=errors or {},
            min_cases=handbook_service.MIN_CASES,
            max_cases=handbook_service.MAX_CASES,
        ),
        status,
    )


@bp.get("/handbooks/new")
def new() -> Any:
    return _compose(request.args.get("month") or _last_month())


@bp.post("/handbooks/new")
def publish() -> Any:
    month = request.form.get("month", "")
    entries = [
        {"case_id": int(v), "lesson": request.form.get(f"lesson_{v}", "")}
        for v in request.form.getlist("pick")
        if v.isdigit()
    ]
    body: dict[str, Any] = {"month": month, "entries": entries}
    if request.form.get("title", "").strip():
        body["title"] = request.form["title"].strip()
    try:
        handbook_service.publish(db.session, runtime(), actor(), body)
    except Invalid as exc:
        errors: dict[str, str] = {}
        for detail in exc.details:
            errors.setdefault(_form_field(str(detail.get("field", "")), entries), error_text(detail))
        return _compose(month, errors, 400)
    flash_success(_("The handbook of %(month)s is published.", month=month))
    return redirect(url_for("handbooks.show", month=month))


def _form_field(field: str, entries: list[dict[str, Any]]) -> str:
    """``entries.3.lesson`` → ``lesson_<case id>``, where the page shows the message."""
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "entries" and parts[1].isdigit() and int(parts[1]) < len(entries):
        return f"{parts[2]}_{entries[int(parts[1])]['case_id']}"
    return field


@bp.get("/handbooks/<month>")
def show(month: str) -> Any:
    return render_template(
        "handbooks/show.html", handbook=handbook_service.handbook_view(db.session, actor(), month)
    )


@bp.get("/handbooks/<month>/pdf")
def pdf(month: str) -> Any:
    content = handbook_service.handbook_pdf_bytes(db.session, actor(), month)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="handbook-{month}.pdf"'
    return response
