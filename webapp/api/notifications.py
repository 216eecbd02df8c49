"""My notices and the channels I am told through, over JSON (``/me/notifications``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from workflows.people import notifications as notices
from workflows.people.notifications import NotificationView

from ..extensions import db
from ..pages.notifications import notification_text
from . import PAGE_QUERY, actor, api, page_limit, runtime
from .doc import documented

CHANNELS_BODY = {
    "type": "object",
    "properties": {
        "in_app": {"type": "boolean"},
        "email": {"type": "boolean"},
        "address": {"type": ["string", "null"], "maxLength": 254},
    },
    "required": ["in_app", "email"],
}


def _view(view: NotificationView) -> dict[str, Any]:
    return {
        "id": view.id,
        "at": view.at.isoformat(),
        "kind": view.kind,
        "text": notification_text(view),
        "case_id": view.case_id,
        "task_id": view.task_id,
        "read": view.read,
    }


@api.get("/me/notifications")
@documented(
    "My notifications, newest first, with the unread count",
    query={**PAGE_QUERY, "unread": {"type": "string", "enum": ["true", "false"]}},
    tag="manage",
)
def my_notifications() -> Any:
    who = actor()
    items, next_cursor = notices.my_notifications(
        db.session,
        who,
        cursor=request.args.get("cursor"),
        limit=page_limit(),
        unread_only=request.args.get("unread") == "true",
    )
    return jsonify(
        {
            "items": [_view(v) for v in items],
            "next_cursor": next_cursor,
            "unread": notices.unread_count(db.session, who),
        }
    )


@api.post("/me/notifications/<int:notification_id>/read")
@documented("Mark one of my notifications read", tag="manage")
def read_notification(notification_id: int) -> Any:
    return jsonify(_view(notices.mark_read(db.session, actor(), notification_id, runtime().clock.now())))


@api.get("/me/notification-channels")
@documented("How I am told: in the app, by e-mail (and to which address)", tag="manage")
def notification_channels() -> Any:
    return jsonify(notices.get_channels(db.session, actor()))


@api.put("/me/notification-channels")
@documented("Choose how I am told", body=CHANNELS_BODY, tag="manage")
def put_notification_channels(body: Any) -> Any:
    return jsonify(
        notices.set_channels(
            db.session, actor(), in_app=body["in_app"], email=body["email"], address=body.get("address")
        )
    )
