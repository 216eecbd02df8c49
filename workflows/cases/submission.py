"""Completing a task from its page: the files chosen in the form become case documents in the
same unit as the step, and the answer is the case's open tasks now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from workflows.cases.documents import MAX_ATTACHMENT_BYTES, require_attach, store_file
from workflows.cases.forms import validate_submission
from workflows.cases.locks import open_items_of
from workflows.cases.operations import check_attachments, deliver_outbox, form_of, task_step
from workflows.errors import Invalid, TooLarge
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work
from workflows.views import task_view


@dataclass(frozen=True)
class Upload:
    """A file chosen in a task's form: what its name says and the bytes (read up to one byte too many)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class TaskForm:
    schema: dict[str, Any]
    ui_schema: dict[str, Any]


@dataclass
class Completed:
    """What completing a task from its page answers: the case and its open tasks now."""

    case_id: int
    next_tasks: list[dict[str, Any]] = field(default_factory=list)


# Turns the posted form into submitted values; gets the form and the ids of the files just attached.
FormReader = Callable[[TaskForm, dict[str, int]], dict[str, Any]]


def submit_task(
    session: Session,
    rt: Runtime,
    work_item_id: int,
    read_form: FormReader,
    uploads: dict[str, Upload],
    actor: Actor,
) -> Completed:
    """Complete a task from its page, in one unit: lock, authorise, store the files, validate, run, save.

    The files chosen in the form (``uploads``: field name -> file) become case documents in the same
    transaction, and their fields hold the documents' ids. When the form has errors (a field, a file
    refused, or the task's hook refusing the values) ``Invalid`` is raised and only the files that
    were accepted stay attached, so the form shown again does not ask for them twice. Any other
    failure (not allowed, the task or case no longer open) keeps nothing, files included.
    """
    problem: Invalid | None = None
    with unit_of_work(session):
        step, item = task_step(session, rt, work_item_id, actor)
        form = form_of(step, item)
        info = step.bundle.user_tasks.get(item.bpmn_id)
        shown = TaskForm(
            form or {"type": "object", "properties": {}},
            step.bundle.form(info.ui_file if info else None) or {},
        )
        uploads = {name: upload for name, upload in uploads.items() if _is_file_field(shown, name)}
        if uploads:
            require_attach(actor, step.bundle)
        attached, refused = _store_uploads(session, rt, step.case.id, uploads, actor)
        submitted = read_form(shown, attached)
        try:
            if refused:
                raise Invalid("a file was refused", refused)
            values = validate_submission(form, submitted)
            check_attachments(session, step.case.id, form, values)
            with session.begin_nested():  # a hook that refuses the values undoes its writes, not the files
                step.complete(item, values)
        except Invalid as exc:
            problem = exc  # nothing but the accepted files is kept
        else:
            deliver_outbox(session, rt, step)
            done = Completed(step.case.id, [task_view(i) for i in open_items_of(session, step.case.id)])
    if problem is not None:
        raise problem
    return done


def _store_uploads(
    session: Session, rt: Runtime, case_id: int, uploads: dict[str, Upload], actor: Actor
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The form's files stored as documents of the case: field -> document id, and one error per refusal."""
    attached: dict[str, int] = {}
    refused: list[dict[str, Any]] = []
    for name, upload in uploads.items():
        if not upload.filename:
            continue
        try:
            attached[name] = store_file(session, rt, case_id, upload.filename, upload.content, actor).id
        except TooLarge:
            refused.append(
                {"field": name, "code": "file_size", "params": {"limit": MAX_ATTACHMENT_BYTES // 2**20}}
            )
        except Invalid as exc:
            message = exc.details[0].get("message", "") if exc.details else exc.message
            refused.append({"field": name, "code": "file_type", "message": message})
    return attached, refused


def _is_file_field(form: TaskForm, name: str) -> bool:
    """A top-level field that holds the id of a case document (``x-attachment`` or a file widget)."""
    prop = (form.schema.get("properties") or {}).get(name)
    ui = form.ui_schema.get(name) or {}
    widget = ui.get("ui:widget")
    if not isinstance(prop, dict) or widget in ("hidden", "customer_picker") or ui.get("ui:readonly"):
        return False  # shown as another widget (as the page renders it): no file input
    return widget == "file" or bool(prop.get("x-attachment"))
