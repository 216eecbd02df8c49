"""The customer's trip page link (issue, revoke) and crisis notices, for staff."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from workflows.trip_page import crisis
from workflows.trip_page.links import TRIP_LINK_ROLES, reissue_trip_link, revoke_trip_links

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

ROLES_TEXT = ", ".join(sorted(TRIP_LINK_ROLES))


@api.post("/cases/<int:case_id>/trip-link")
@documented(
    "Issue a new link to the customer's trip page (the old one stops working)",
    tag="trip page",
    responses={201: "issued: the link is shown only in this answer"},
    who=ROLES_TEXT,
)
def issue_trip_link(case_id: int) -> Any:
    token = reissue_trip_link(db.session, runtime(), case_id, actor())
    return jsonify({"case_id": case_id, "url": url_for("trip_page.show", token=token, _external=True)}), 201


@api.delete("/cases/<int:case_id>/trip-link")
@documented("Revoke every link to the customer's trip page", tag="trip page", who=ROLES_TEXT)
def revoke_trip_link(case_id: int) -> Any:
    revoked = revoke_trip_links(db.session, runtime(), case_id, actor())
    return jsonify({"case_id": case_id, "revoked": revoked})


NOTICE_BODY = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "text": {"type": "string", "minLength": 1, "maxLength": 2000},
        "destination": {"type": "string", "minLength": 1, "maxLength": 200},
        "date_from": {"type": "string", "format": "date"},
        "date_to": {"type": "string", "format": "date"},
        "options": {"type": "array", "items": {"enum": list(crisis.OPTIONS)}, "minItems": 1},
    },
    "required": ["title", "text", "destination", "date_from", "date_to", "options"],
}


@api.post("/crisis-notices")
@documented(
    "Send a crisis notice to every trip to a destination within a date range",
    body=NOTICE_BODY,
    tag="trip page",
    responses={201: "sent: one crisis_follow_up case per affected trip"},
    who="service_supervisor",
)
def send_crisis_notice(body: dict[str, Any]) -> Any:
    sent = crisis.send_crisis_notice(db.session, runtime(), body, actor())
    return jsonify(
        {
            "id": sent.notice.id,
            "trip_case_ids": sent.trip_case_ids,
            "follow_up_case_ids": sent.follow_up_case_ids,
        }
    ), 201
