"""Cases over JSON: start, list, read, history, documents, messages, comments."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from workflows.cases import operations as case_service
from workflows.cases.export import count_cases, current_steps, export_rows, stamp, to_csv, to_xlsx
from workflows.cases.queries import case_documents, case_history, get_document, list_cases
from workflows.permissions import ATTACH_ANY, DELIVER_MESSAGES
from workflows.views import case_summary, case_view, document_view, event_view

from ..extensions import db, talisman
from . import PAGE_QUERY, actor, api, page, page_limit, runtime
from .doc import documented

START_BODY = {
    "type": "object",
    "properties": {
        "process": {"type": "string", "minLength": 1, "maxLength": 128},
        "data": {
            "type": "object",
            "description": "the case's first variables; with a customer_id, customer_name, customer_tier "
            "and dedicated_advisor are taken from the customer record, whatever the data says",
        },
    },
    "required": ["process"],
}
LIST_QUERY = {
    "process": {"type": "string"},
    "status": {"type": "string", "enum": ["running", "suspended", "completed", "cancelled", "error", "lost"]},
    "customer_id": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "tier": {"type": "string", "enum": ["A", "B", "C"]},
    "overdue": {"type": "string", "enum": ["true", "false"]},
    "q": {"type": "string", "maxLength": 200},
    "trip_account_manager": {"type": "string", "maxLength": 64, "description": "a user name, or me"},
} | PAGE_QUERY


@api.post("/cases")
@documented(
    "Start a case of a process with initial data", body=START_BODY, tag="cases", responses={201: "started"}
)
def start_case(body: dict[str, Any]) -> Any:
    view = case_service.start_case_view(db.session, runtime(), body["process"], body.get("data", {}), actor())
    return jsonify(view), 201


def _filters() -> dict[str, Any]:
    args = request.args
    return {
        "process": args.get("process"),
        "status": args.get("status"),
        "customer_id": int(args["customer_id"]) if args.get("customer_id") else None,
        "tier": args.get("tier"),
        "overdue": args.get("overdue") == "true",
        "q": args.get("q"),
        "trip_account_manager": _me(args.get("trip_account_manager")),
    }


def _me(name: str | None) -> str | None:
    """``me`` is the user asking: an account manager's "my trips"."""
    return actor().username if name == "me" else (name or None)


@api.get("/cases")
@documented(
    "Cases, newest first, with filters; each with its current steps and overdue flag",
    query=LIST_QUERY,
    tag="cases",
)
def cases_index() -> Any:
    rt = runtime()
    cases, next_cursor = list_cases(
        db.session, rt, cursor=request.args.get("cursor"), limit=page_limit(), **_filters()
    )
    steps = current_steps(db.session, rt, [c.id for c in cases])
    return page(
        [
            {
                **case_summary(c),
                "current_tasks": steps.get(c.id, {}).get("steps", []),
                "overdue": steps.get(c.id, {}).get("overdue", False),
            }
            for c in cases
        ],
        next_cursor,
    )


@api.get("/cases/export.csv", defaults={"fmt": "csv"}, endpoint="export_cases_csv")
@api.get("/cases/export.xlsx", defaults={"fmt": "xlsx"}, endpoint="export_cases_xlsx")
@documented("The filtered case list as CSV or XLSX", query=LIST_QUERY, tag="cases")
def export_cases(fmt: str) -> Any:
    rt = runtime()
    rows = export_rows(db.session, rt, _filters())
    body = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=cases-{stamp(rt.clock.now())}.{fmt}"
    return response


@api.get("/cases/count")
@documented(
    "How many cases have a status (for badges)",
    query={"status": LIST_QUERY["status"], "process": {"type": "string"}},
    tag="cases",
)
def count_cases_view() -> Any:
    return jsonify(
        {"count": count_cases(db.session, request.args.get("status"), request.args.get("process"))}
    )


@api.get("/cases/<int:case_id>")
@documented("One case: status, data, active tasks, parent and children, error", tag="cases")
def get_case(case_id: int) -> Any:
    return jsonify(case_view(db.session, case_service.get_case(db.session, case_id)))


@api.get("/cases/<int:case_id>/history")
@documented("Every event of a case, oldest first", query=PAGE_QUERY, tag="cases")
def history(case_id: int) -> Any:
    events, next_cursor = case_history(
        db.session, case_id, cursor=request.args.get("cursor"), limit=page_limit()
    )
    return page([event_view(e) for e in events], next_cursor)


@api.get("/cases/<int:case_id>/documents")
@documented("Files the case produced or received", tag="cases")
def documents(case_id: int) -> Any:
    docs = case_documents(db.session, case_id)
    return jsonify(
        {
            "items": [
                document_view(d, url_for("api.document_file", case_id=case_id, document_id=d.id))
                for d in docs
            ],
            "next_cursor": None,
        }
    )


# A case document is shown as it is (HTML letters, PDFs, images): no script, no frames, nothing
# loaded but inline styles and data: images. Set through Talisman, which would replace the header.
DOCUMENT_CSP = {
    "default-src": "'none'",
    "style-src": "'unsafe-inline'",
    "img-src": "data:",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'none'",
}


@api.get("/cases/<int:case_id>/documents/<int:document_id>")
@talisman(content_security_policy=DOCUMENT_CSP)
@documented("The file of one case document", tag="cases")
def document_file(case_id: int, document_id: int) -> Any:
    document = get_document(db.session, case_id, document_id)
    response = Response(document.content, mimetype=document.content_type)
    disposition = (
        "inline"
        if document.content_type.startswith(("text/html", "application/pdf", "image/"))
        else "attachment"
    )
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(document.name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@api.post("/cases/<int:case_id>/messages/<name>")
@documented(
    "Deliver a BPMN message (such as itinerary_changed) to a case",
    body={"type": "object", "properties": {"data": {"type": "object"}}},
    tag="cases",
    responses={409: "the case is not waiting for that message"},
    who=", ".join(sorted(DELIVER_MESSAGES)),
)
def deliver_message(case_id: int, name: str, body: dict[str, Any]) -> Any:
    case = case_service.deliver_message(db.session, runtime(), case_id, name, body.get("data", {}), actor())
    return jsonify(case_view(db.session, case))


@api.post("/cases/<int:case_id>/comments")
@documented(
    "Comment on a case at any time",
    body={
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}},
        "required": ["text"],
    },
    tag="cases",
)
def comment_case(case_id: int, body: dict[str, Any]) -> Any:
    from workflows.cases.comments import comment_on_case

    event = comment_on_case(db.session, runtime(), case_id, body["text"], actor())
    return jsonify(event_view(event)), 201


@api.post("/cases/<int:case_id>/documents")
@documented(
    "Attach a file (multipart 'file': PDF or image, up to 10 MB) to a case; returns its document id",
    tag="cases",
    responses={201: "attached", 413: "too large"},
    who="a role with a lane in the case's process, or " + ", ".join(sorted(ATTACH_ANY)),
)
def attach_document(case_id: int) -> Any:
    from workflows.cases.documents import MAX_ATTACHMENT_BYTES, attach_file
    from workflows.errors import Invalid

    upload = request.files.get("file")
    if upload is None:
        raise Invalid("no file", [{"field": "file", "message": "send the file as a multipart 'file' part"}])
    document = attach_file(
        db.session,
        runtime(),
        case_id,
        upload.filename or "attachment",
        upload.read(MAX_ATTACHMENT_BYTES + 1),
        actor(),
    )
    return jsonify(
        document_view(document, url_for("api.document_file", case_id=case_id, document_id=document.id))
    ), 201
