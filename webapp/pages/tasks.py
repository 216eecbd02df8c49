"""The task page: what the case knows so far, the task's form, comments; completing the task."""

from __future__ import annotations

import json
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from workflows.cases import submission
from workflows.cases.comments import comment_on_task
from workflows.cases.documents import MAX_ATTACHMENT_BYTES
from workflows.cases.queries import case_documents
from workflows.customers.operations import CHANNELS, contacts_of, get_customer, list_customers
from workflows.customers.profiles import log_task_contact
from workflows.errors import Invalid, NotFound
from workflows.inbox.tasks import task_detail
from workflows.permissions import EDIT_CUSTOMERS, OPEN, may_complete

from ..extensions import db
from ..form_data import FILE_SUFFIX, coerce, file_fields, normalise, raw_from_data
from ..form_render import FormContext, Option, build_form
from .common import actor, page_blueprint, runtime
from .field_errors import error_text
from .flashes import flash_error, flash_info, flash_success
from .labels import role_label, task_label
from .values import field_index, show_many

bp = page_blueprint("tasks", __name__)

# Variables that tell the person why the work came back: shown above the form, not in the context list.
ATTENTION = ("review_comments", "requested_adjustments")
PICKER_LIMIT = 500
RECENT_CONTACTS = 3


def _customer_options(selected: str) -> list[Option]:
    customers = list_customers(db.session, limit=PICKER_LIMIT)
    if selected.isdigit() and all(str(c.id) != selected for c in customers):
        try:
            customers.append(get_customer(db.session, int(selected)))
        except NotFound:
            pass
    return [Option(str(c.id), " · ".join(p for p in (c.name, c.phone or "", c.tier) if p)) for c in customers]


def _may_complete(task: dict[str, Any]) -> bool:
    return (
        task["status"] in OPEN
        and task["case_status"] == "running"
        and may_complete(actor(), task["lane"], task["assignee"], task["claimed_by"])
    )


def _render(
    task_id: int,
    raw: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Any:
    rt = runtime()
    task = task_detail(db.session, rt, task_id)
    schema, ui = task["form"]["schema"], task["form"]["ui_schema"]
    data = task["data"]
    if raw is None:
        raw = raw_from_data(schema, data, rt.timezone)
    uses_picker = "customer_picker" in json.dumps(ui)
    ctx = FormContext(
        str(get_locale()),
        rt.timezone,
        _customer_options(raw.get("customer_id", "")) if uses_picker else [],
        {str(d.id): d.name for d in case_documents(db.session, task["case_id"])}
        if file_fields(schema, ui)
        else {},
    )
    fields, unplaced = build_form(schema, ui, raw, errors or [], ctx, error_text)
    index = field_index(db.session, rt, task["process"])
    context_keys = [k for k in ui.get("ui:readonly_context") or [] if k not in ATTENTION]
    context = show_many(context_keys, data, index)
    may_log = bool(task["customer_id"]) and actor().has_any(EDIT_CUSTOMERS)
    return render_template(
        "tasks/show.html",
        task=task,
        fields=fields,
        unplaced=unplaced,
        has_errors=bool(errors),
        attention=show_many(
            [k for k in ATTENTION if k in (ui.get("ui:readonly_context") or [])], data, index
        ),
        context=[c for c in context if c.kind in ("text", "list")],
        details=[c for c in context if c.kind not in ("text", "list")],
        may_complete=_may_complete(task),
        has_new_customer=any(f.key == "new_customer" for f in fields),
        form_title=task_label(task["task_id"], task["name"]),
        may_log_contact=may_log,
        channels=CHANNELS,
        recent_contacts=contacts_of(db.session, task["customer_id"])[:RECENT_CONTACTS] if may_log else [],
        customer_profile=task["customer_profile"],
    ), status


@bp.get("/tasks/<int:task_id>")
def show(task_id: int) -> Any:
    return _render(task_id)


def _uploads() -> dict[str, submission.Upload]:
    """The files chosen in the form, by the field whose hidden input will hold the document id."""
    return {
        key.removesuffix(FILE_SUFFIX): submission.Upload(
            upload.filename, upload.read(MAX_ATTACHMENT_BYTES + 1)
        )
        for key, upload in request.files.items()
        if key.endswith(FILE_SUFFIX) and upload.filename
    }


@bp.post("/tasks/<int:task_id>")
def submit(task_id: int) -> Any:
    """One call completes the task: files attached, form checked, step run, all in one transaction.

    When the form has errors it is shown again with them; the files that were accepted stay
    attached, so the form does not ask for them twice.
    """
    rt = runtime()
    raw: dict[str, str] = {}

    def read_form(form: submission.TaskForm, attached: dict[str, int]) -> dict[str, Any]:
        raw.update(normalise(form.schema, request.form))
        raw.update({name: str(document_id) for name, document_id in attached.items()})
        return coerce(form.schema, form.ui_schema, raw, rt.timezone)

    try:
        done = submission.submit_task(db.session, rt, task_id, read_form, _uploads(), actor())
    except Invalid as exc:
        return _render(
            task_id, raw=raw, errors=exc.details or [{"field": "", "message": exc.message}], status=400
        )
    flash_success(_("Task completed"))
    for item in done.next_tasks:
        flash_info(
            _(
                "Next step: %(task)s — %(lane)s",
                task=task_label(item["task_id"], item["name"]),
                lane=item["assignee"] or role_label(item["lane"]),
            )
        )
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/comments")
def comment(task_id: int) -> Any:
    try:
        comment_on_task(db.session, runtime(), task_id, request.form.get("text", ""), actor())
        flash_success(_("Comment added."))
    except Invalid:
        flash_error(_("Write a comment first."))
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"))


@bp.post("/tasks/<int:task_id>/contacts")
def log_contact(task_id: int) -> Any:
    """A call or message with the task's customer, logged on their profile and linked to this case."""
    fields = {"channel": request.form.get("channel", ""), "summary": request.form.get("summary", "").strip()}
    try:
        logged = log_task_contact(db.session, runtime(), task_id, fields, actor())
    except Invalid:
        flash_error(_("Choose a channel and say what was discussed."))
        return redirect(url_for("tasks.show", task_id=task_id, _anchor="contact"))
    if logged is None:
        flash_error(_("This task has no customer yet."))
        return redirect(url_for("tasks.show", task_id=task_id))
    flash_success(_("Contact logged."))
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="contact"))
