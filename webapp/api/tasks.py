"""The inbox over JSON: list, count, read with form, claim, unclaim, assign, complete, bulk."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from workflows.cases import operations as case_service
from workflows.errors import Invalid, TripflowError
from workflows.inbox import queries as inbox
from workflows.inbox.search import search_from
from workflows.inbox.tasks import task_detail
from workflows.people.names import display_names, people_of, search_people
from workflows.views import task_view

from ..config import escalation_window
from ..extensions import db
from . import PAGE_QUERY, actor, api, page, page_limit, runtime
from .doc import documented

SCOPE_QUERY = {
    "scope": {"type": "string", "enum": ["mine", "group"]},
    "lane": {"type": "string"},
    "sort": {"type": "string", "enum": list(inbox.SORTS)},
    "q": {"type": "string", "maxLength": 200},
    "process": {"type": "string"},
    "task": {"type": "string"},
    "tier": {"type": "string", "enum": ["A", "B", "C"]},
    "due_from": {"type": "string", "format": "date"},
    "due_to": {"type": "string", "format": "date"},
    "overdue": {"type": "boolean"},
}
COMPLETE_BODY = {"type": "object", "properties": {"data": {"type": "object"}}}
ASSIGN_BODY = {
    "type": "object",
    "properties": {"user": {"type": "string", "minLength": 1, "maxLength": 64}},
    "required": ["user"],
}
BULK_BODY = {
    "type": "object",
    "properties": {
        "action": {"enum": ["claim", "unclaim", "assign"]},
        "ids": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "maxItems": 500,
        },
        "user": {"type": "string", "maxLength": 64},
    },
    "required": ["action", "ids"],
}


@api.get("/tasks")
@documented(
    "My tasks (scope=mine) or my groups' unclaimed tasks (scope=group); sort=urgency (default: overdue, "
    "then due within the escalation window, by due; then tier A first), tier or due; q= searches customer "
    "name, destination and case number; process, task, tier, due_from, due_to, overdue narrow",
    query=SCOPE_QUERY | PAGE_QUERY,
    tag="tasks",
)
def list_tasks() -> Any:
    rt = runtime()
    items, next_cursor = inbox.list_tasks(
        db.session,
        actor(),
        request.args.get("scope", "mine"),
        now=rt.clock.now(),
        sort=request.args.get("sort", "urgency"),
        search=search_from(request.args, rt.timezone),
        lane=request.args.get("lane"),
        cursor=request.args.get("cursor"),
        limit=page_limit(),
        window=escalation_window(),
    )
    names = display_names(db.session, people_of(items))
    return page([task_view(i, names) for i in items], next_cursor)


@api.get("/tasks/count")
@documented("How many tasks are in a scope, for badges", query=SCOPE_QUERY, tag="tasks")
def count_tasks() -> Any:
    return jsonify(
        {
            "count": inbox.count_tasks(
                db.session, actor(), request.args.get("scope", "mine"), request.args.get("lane")
            )
        }
    )


@api.get("/tasks/<int:task_id>")
@documented("A task with its form (JSON Schema and UI schema) and the case data it shows", tag="tasks")
def get_task(task_id: int) -> Any:
    return jsonify(task_detail(db.session, runtime(), task_id))


@api.post("/tasks/<int:task_id>/claim")
@documented("Claim a task from the group", tag="tasks", responses={409: "someone else holds it"})
def claim_task(task_id: int) -> Any:
    return jsonify(task_view(case_service.claim_task(db.session, runtime(), task_id, actor())))


@api.post("/tasks/<int:task_id>/unclaim")
@documented("Give a task back to its group", tag="tasks")
def unclaim_task(task_id: int) -> Any:
    return jsonify(task_view(case_service.unclaim_task(db.session, runtime(), task_id, actor())))


@api.post("/tasks/<int:task_id>/assign")
@documented("Assign a task to a named user (service_supervisor)", body=ASSIGN_BODY, tag="tasks")
def assign_task(task_id: int, body: dict[str, Any]) -> Any:
    return jsonify(task_view(case_service.assign_task(db.session, runtime(), task_id, body["user"], actor())))


@api.post("/tasks/<int:task_id>/complete")
@documented(
    "Complete a task with its form data; 400 names each bad field and changes nothing",
    body=COMPLETE_BODY,
    tag="tasks",
    responses={409: "already completed or held by someone else"},
)
def complete_task(task_id: int, body: dict[str, Any]) -> Any:
    who = actor()
    view = case_service.complete_task_view(db.session, runtime(), task_id, body.get("data", {}), who)
    mine = [t for t in view["active_tasks"]]
    return jsonify({"case": view, "next_tasks": mine})


@api.post("/tasks/bulk")
@documented("Claim, unclaim or assign several tasks; one result per id", body=BULK_BODY, tag="tasks")
def bulk_tasks(body: dict[str, Any]) -> Any:
    who, rt, results = actor(), runtime(), []
    if body["action"] == "assign" and not body.get("user"):
        raise Invalid("name the user", [{"field": "user", "message": "is required to assign"}])
    for task_id in body["ids"]:
        try:
            if body["action"] == "claim":
                item = case_service.claim_task(db.session, rt, task_id, who)
            elif body["action"] == "unclaim":
                item = case_service.unclaim_task(db.session, rt, task_id, who)
            else:
                item = case_service.assign_task(db.session, rt, task_id, body["user"], who)
            results.append({"id": task_id, "ok": True, "task": task_view(item)})
        except TripflowError as exc:
            results.append({"id": task_id, "ok": False, "error": exc.code, "message": exc.message})
    return jsonify({"results": results})


@api.post("/tasks/<int:task_id>/comments")
@documented(
    "Comment on a task (shown on the task and in the case history)",
    body={
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}},
        "required": ["text"],
    },
    tag="tasks",
)
def comment_task(task_id: int, body: dict[str, Any]) -> Any:
    from workflows.cases.comments import comment_on_task

    event = comment_on_task(db.session, runtime(), task_id, body["text"], actor())
    return jsonify({"id": event.id, "at": event.at.isoformat(), "text": event.text, "user": event.user}), 201


@api.get("/people")
@documented(
    "Assignment picker: active users whose name contains q (and who hold role, when given); supervisors",
    query={"q": {"type": "string", "maxLength": 120}, "role": {"type": "string"}},
    tag="tasks",
)
def people() -> Any:
    text = request.args.get("q", "")
    if len(text) > 120:
        raise Invalid("bad q", [{"field": "q", "message": "must be at most 120 characters"}])
    found = search_people(db.session, actor(), text, request.args.get("role") or None)
    return page([{"username": u, "name": n} for u, n in found], None)
