"""Managers' actions over JSON: cancel, suspend, resume, fix data, retry, diagram, incidents, away."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, request

from workflows.cases import interventions
from workflows.cases.diagram import case_diagram
from workflows.cases.operations import get_case
from workflows.errors import Invalid
from workflows.people.out_of_office import get_out_of_office, set_out_of_office
from workflows.views import case_summary, case_view

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

REASON_BODY = {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 2000}}}
DATA_BODY = {
    "type": "object",
    "properties": {"set": {"type": "object"}, "reason": {"type": "string", "maxLength": 2000}},
    "required": ["set", "reason"],
}
OOO_BODY = {
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "properties": {
                "from": {"type": "string", "format": "date-time"},
                "to": {"type": "string", "format": "date-time"},
                "stand_in": {"type": "string", "minLength": 1, "maxLength": 64},
            },
            "required": ["from", "to", "stand_in"],
        },
    ]
}


@api.post("/cases/<int:case_id>/cancel")
@documented(
    "Cancel a case with a reason (service_supervisor)",
    body=REASON_BODY,
    tag="manage",
    responses={409: "the case has ended already"},
)
def cancel_case(case_id: int, body: dict[str, Any]) -> Any:
    case = interventions.cancel_case(db.session, runtime(), case_id, body.get("reason"), actor())
    return jsonify(case_view(db.session, case))


@api.post("/cases/<int:case_id>/suspend")
@documented("Suspend a case: its timers hold (service_supervisor)", body=REASON_BODY, tag="manage")
def suspend_case(case_id: int, body: dict[str, Any]) -> Any:
    case = interventions.suspend_case(db.session, runtime(), case_id, body.get("reason"), actor())
    return jsonify(case_view(db.session, case))


@api.post("/cases/<int:case_id>/resume")
@documented("Resume a suspended case (service_supervisor)", tag="manage")
def resume_case(case_id: int) -> Any:
    return jsonify(case_view(db.session, interventions.resume_case(db.session, runtime(), case_id, actor())))


@api.patch("/cases/<int:case_id>/data")
@documented(
    "Change case variables with a reason (service_supervisor, process_owner)", body=DATA_BODY, tag="manage"
)
def update_case_data(case_id: int, body: dict[str, Any]) -> Any:
    case = interventions.update_case_data(
        db.session, runtime(), case_id, body["set"], body["reason"], actor()
    )
    return jsonify(case_view(db.session, case))


@api.post("/cases/<int:case_id>/retry")
@documented(
    "Re-run the failed step of a case in error",
    tag="manage",
    responses={409: "not in error, or the step failed again (the new error is in details)"},
)
def retry_case(case_id: int) -> Any:
    return jsonify(case_view(db.session, interventions.retry_case(db.session, runtime(), case_id, actor())))


@api.get("/cases/<int:case_id>/diagram")
@documented("The case's BPMN with completed, active and failed elements and run counts", tag="cases")
def diagram(case_id: int) -> Any:
    return jsonify(case_diagram(db.session, get_case(db.session, case_id)))


@api.get("/incidents")
@documented("Cases in error, newest first", tag="manage")
def incidents() -> Any:
    rows = interventions.incidents(db.session)
    return jsonify(
        {
            "items": [
                {
                    **case_summary(c),
                    "error": {
                        "element_id": c.error_element,
                        "message": c.error_message,
                        "at": c.error_at.isoformat() if c.error_at else None,
                    },
                }
                for c in rows
            ],
            "next_cursor": None,
        }
    )


@api.get("/me/out-of-office")
@documented("My out-of-office period and stand-in, or null", tag="manage")
def out_of_office() -> Any:
    return jsonify(get_out_of_office(db.session, actor()))


@api.put("/me/out-of-office")
@documented("Set (or clear with null) my out-of-office period and stand-in", body=OOO_BODY, tag="manage")
def put_out_of_office(body: Any) -> Any:
    window = None
    if body is not None:
        window = (datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"]), body["stand_in"])
    return jsonify(set_out_of_office(db.session, runtime(), actor(), window))


FILTER_BODY = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "query": {"type": "object"},
        "kind": {"type": "string", "enum": ["cases", "inbox"]},
    },
    "required": ["name", "query"],
}


def _filter_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "query": row.query}


@api.get("/me/filters")
@documented("My saved case filters (kind=inbox: my saved inbox filters)", tag="manage")
def my_filters() -> Any:
    from workflows.inbox.saved_filters import KINDS, list_filters

    kind = request.args.get("kind", "cases")
    if kind not in KINDS:
        raise Invalid("unknown kind", [{"field": "kind", "message": "must be cases or inbox"}])
    return jsonify(
        {"items": [_filter_view(f) for f in list_filters(db.session, actor(), kind)], "next_cursor": None}
    )


@api.post("/me/filters")
@documented("Save a case filter under a name", body=FILTER_BODY, tag="manage", responses={201: "saved"})
def save_my_filter(body: dict[str, Any]) -> Any:
    from workflows.inbox.saved_filters import save_filter

    return jsonify(
        _filter_view(
            save_filter(
                db.session, runtime(), actor(), body["name"], body["query"], body.get("kind", "cases")
            )
        )
    ), 201


@api.delete("/me/filters/<int:filter_id>")
@documented("Delete one of my saved filters", tag="manage")
def delete_my_filter(filter_id: int) -> Any:
    from workflows.inbox.saved_filters import delete_filter

    delete_filter(db.session, actor(), filter_id)
    return jsonify({"deleted": filter_id})
