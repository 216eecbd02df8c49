"""Crisis follow-up [003 §3(二)]: the customer's answer lands on the trip; moving the dates opens a
change request on the trip for the account manager."""

from __future__ import annotations

from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry


def record_crisis_answer(ctx: HandlerContext) -> dict[str, Any]:
    """The answer from the customer's page (message ``crisis_answered``) or from customer service."""
    data = ctx.data
    reply = data.get("crisis_answer") if isinstance(data.get("crisis_answer"), dict) else None
    if reply is not None:
        answer, notes, by = reply.get("answer"), reply.get("answer_notes") or "", "customer"
    else:
        answer, notes, by = data.get("answer"), data.get("answer_notes") or "", ctx.actor.username
    ctx.record_crisis_answer(data.get("crisis_notice_trip_id"), str(answer), str(notes), by)
    return {"answer": answer, "answer_notes": notes, "answered_by": by}


def open_date_change(ctx: HandlerContext) -> dict[str, Any]:
    """A change request on the trip, its type ``dates``, for the account manager to complete."""
    data = ctx.data
    row_id = data.get("crisis_notice_trip_id")
    ctx.start_case(
        "change_request",
        {
            "trip_case_id": data["trip_case_id"],
            "change_type": "dates",
            "reason": f"危机通知 / crisis notice: {data.get('notice_title') or ''}",
            "details": data.get("answer_notes") or "客户选择改期 / the customer chose to move the dates",
            "change_source": "crisis_notice",
        },
        on_started=lambda case: ctx.note_crisis_change(row_id, case.id),
    )
    return {}


def register(registry: HandlerRegistry) -> None:
    registry.service("record_crisis_answer_handler")(record_crisis_answer)
    registry.service("open_date_change_handler")(open_date_change)
