"""Trip feedback [001 §3.4, 003 §6]: spend for routing, the feedback record, the improvement backlog."""

from __future__ import annotations

from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry

from .documents import render


def customer_spend(ctx: HandlerContext, data: dict[str, Any]) -> dict[str, Any]:
    """Spend over the last 12 months, which the DMN table feedback_routing reads."""
    customer_id = data.get("customer_id")
    if not customer_id:
        return {"annual_spend": 0}
    spend = ctx.customer_spend(int(customer_id))
    return {"annual_spend": spend.annual_spend, "trips_12m": spend.trips_12m}


def before_feedback(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """After the pre-trip call, the trip's feedback stage will need the customer's spend."""
    return customer_spend(ctx, {**ctx.data, **submitted})


def close_stale_pre_trip_call(ctx: HandlerContext) -> dict[str, Any]:
    """The departure passed with the pre-trip call unanswered: note it, and prepare the feedback
    stage as the call would have."""
    note = f"pre-trip call closed unanswered: departure on {ctx.data.get('start_date')} has passed"
    ctx.add_comment(note)
    return {"pre_trip_call_note": note, **customer_spend(ctx, ctx.data)}


def file_feedback_record(channel: str) -> Any:
    def done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
        data = {**ctx.data, **submitted}
        recorded = complaint_raised(ctx, data)
        ctx.add_document(
            f"feedback-{ctx.case_id}.html",
            "feedback_record",
            "text/html; charset=utf-8",
            render(
                "feedback_record.html",
                data=data,
                channel=channel,
                generated_at=ctx.now.isoformat(timespec="minutes"),
            ),
        )
        return recorded

    return done


def complaint_raised(ctx: HandlerContext, data: dict[str, Any]) -> dict[str, Any]:
    """The complaint's clock starts when the customer raised it: when this answer is recorded.

    A declared complaint goes to complaint handling at once with the urgency the caller judged
    (PROCESSES.md §6); the analyst's classification runs beside it and cannot delay it.
    """
    recorded = {"feedback_recorded_at": ctx.now.isoformat()}
    if data.get("has_complaint") is True:
        recorded["raised_at"] = recorded["feedback_recorded_at"]
        recorded["urgency"] = "urgent" if data.get("complaint_urgency") == "urgent" else "normal"
    return recorded


def after_classification(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """A complaint the analyst found counts from when the feedback was recorded; praise waits for
    every open complaint of the customer to close before a repurchase invitation goes out."""
    data = {**ctx.data, **submitted}
    found: dict[str, Any] = {}
    customer_id = data.get("customer_id")
    found["open_complaint"] = bool(
        isinstance(customer_id, int) and ctx.customer_has_open_complaint(customer_id)
    )
    if submitted.get("category") == "complaint" and data.get("has_complaint") is not True:
        found["raised_at"] = data.get("feedback_recorded_at") or ctx.now.isoformat()
    return found


def log_improvement(ctx: HandlerContext) -> dict[str, Any]:
    """Files the suggestion on the improvement backlog for the next quarterly review [003 §6.1]."""
    data = ctx.data
    text = data.get("suggestion") or data.get("comments") or data.get("classification_notes") or ""
    item = ctx.add_improvement(
        text=str(text) or "(no text)", topic=data.get("topic"), customer_id=data.get("customer_id")
    )
    return {"improvement_id": item.id}


def complaint_resolved(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """A complaint the customer is still unhappy with goes back to whoever resolved it."""
    return {"complaint_resolver": ctx.actor.username}


def register(registry: HandlerRegistry) -> None:
    registry.on_complete("pre_trip_call")(before_feedback)
    registry.on_start("trip_feedback")(customer_spend)
    registry.service("close_stale_pre_trip_call_handler")(close_stale_pre_trip_call)
    registry.on_complete("revisit_call")(file_feedback_record("revisit call / 电话回访"))
    registry.on_complete("collect_survey")(file_feedback_record("survey / 问卷"))
    registry.on_complete("classify_feedback")(after_classification)
    registry.on_complete("resolve_complaint")(complaint_resolved)
    registry.service("log_improvement_handler")(log_improvement)
