"""Incidents during a trip [003 §3(二)]: a closed sight, a cancelled flight, illness, a lost passport.

The guide proposes up to 3 alternatives within 10 minutes; the customer chooses (on the trip page,
message ``alternative_chosen``, or through the guide); the outcome joins the trip's ``incidents``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.cases.context import HandlerContext
from workflows.engine.handlers import HandlerRegistry
from workflows.errors import Conflict, Forbidden, Invalid

ANSWER_WITHIN = timedelta(minutes=10)  # [003 §3(二)] 3 alternatives within 10 minutes
KINDS = ("closed_sight", "cancelled_flight", "illness", "lost_passport", "other")
PAYERS = ("agency", "customer", "supplier")
CHOSEN_BY = ("customer", "guide")
MAX_ALTERNATIVES = 3
# what an incident takes over from its trip (who the customer is, where, the guide)
FROM_TRIP = (
    "customer_id",
    "customer_name",
    "customer_tier",
    "customer_phone",
    "dedicated_advisor",
    "destination",
    "start_date",
    "end_date",
    "travellers",
    "tour_guide",
)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [{"field": field, "message": message}])


def incident_start(ctx: HandlerContext, data: dict[str, Any]) -> dict[str, Any]:
    """Only for a trip on its way; a guide may open one only for their own trip."""
    trip = ctx.other_case(data.get("trip_case_id"))
    if trip is None or trip[0] != "trip":
        raise _invalid("trip_case_id", "must be the id of a trip case")
    _process, status, trip_data = trip
    if data.get("kind") not in KINDS:
        raise _invalid("kind", f"must be one of: {', '.join(KINDS)}")
    details = data.get("details")
    if not isinstance(details, str) or not details.strip() or len(details) > 4000:
        raise _invalid("details", "describe what happened (1 to 4000 characters)")
    if status != "running" or trip_data.get("trip_phase") != "on_trip":
        raise Conflict(
            f"trip case {data['trip_case_id']} is not on its way "
            "(incidents are opened between departure and return)"
        )
    guide = trip_data.get("tour_guide") or ""
    if not (ctx.actor.roles - {"tour_guide"}) and ctx.actor.username != guide:
        raise Forbidden("a guide opens incidents only for the trip they lead")
    return {
        **{key: trip_data[key] for key in FROM_TRIP if key in trip_data},
        "details": details.strip(),
        "alternatives_due_at": (ctx.now + ANSWER_WITHIN).isoformat(),
        "emergency_partners": ctx.partners_for(trip_data.get("destination")),
    }


def propose_alternatives_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """Each partner named must be one of the pool at the trip's destination."""
    known = {p["id"] for p in ctx.data.get("emergency_partners") or []} | {
        p["id"] for p in ctx.partners_for(ctx.data.get("destination"))
    }
    for index, alternative in enumerate(submitted.get("alternatives") or []):
        partner = alternative.get("partner_id")
        if partner is not None and partner not in known:
            raise _invalid(
                f"alternatives.{index}.partner_id",
                f"partner {partner} is not in the emergency pool of {ctx.data.get('destination')}",
            )
    return {"alternatives_proposed_at": ctx.now.isoformat()}


def tell_incident_late(ctx: HandlerContext) -> dict[str, Any]:
    """No alternatives after 10 minutes: the advisor and the supervisor hear of it at once."""
    ctx.tell_roles_task_late("propose_alternatives", ["travel_advisor", "service_supervisor"])
    ctx.add_comment("no alternatives within 10 minutes: travel advisor and service supervisor told")
    ctx.share(answered_late=True)
    return {"answered_late": True}


def record_choice_done(ctx: HandlerContext, submitted: dict[str, Any]) -> dict[str, Any]:
    """The guide records what the customer chose: the same shape as the trip page's message."""
    alternatives = ctx.data.get("alternatives") or []
    if submitted["choice"] >= len(alternatives):
        raise _invalid("choice", f"there are {len(alternatives)} alternatives")
    chosen = {"choice": submitted["choice"], "chosen_by": "guide", "payer": submitted["payer"]}
    return {"alternative_chosen": chosen}


def choice_problem(chosen: Any, alternatives: list[dict[str, Any]]) -> str | None:
    if not isinstance(chosen, dict):
        return "the choice is not an object"
    choice = chosen.get("choice")
    if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < len(alternatives):
        return f"choice must be the index of one of the {len(alternatives)} alternatives"
    if chosen.get("payer") not in PAYERS:
        return f"payer must be one of: {', '.join(PAYERS)}"
    if chosen.get("chosen_by") not in CHOSEN_BY:
        return f"chosen_by must be one of: {', '.join(CHOSEN_BY)}"
    return None


def check_choice(ctx: HandlerContext) -> dict[str, Any]:
    """A choice naming no alternative goes back to the guide with a note; a good one is taken over."""
    alternatives = ctx.data.get("alternatives") or []
    chosen = ctx.data.get("alternative_chosen")
    problem = choice_problem(chosen, alternatives)
    if problem:
        ctx.add_comment(f"choice not taken: {problem}")
        return {"choice_valid": False, "choice_problem": problem}
    alternative = alternatives[chosen["choice"]]
    return {
        "choice_valid": True,
        "choice_problem": "",
        "chosen_alternative": alternative["description"],
        "chosen_cost": alternative["cost"],
        "chosen_payer": chosen["payer"],
        "chosen_by": chosen["chosen_by"],
        "chosen_partner_id": alternative.get("partner_id"),
        "chosen_at": ctx.now.isoformat(),
    }


def report_incident_to_trip(ctx: HandlerContext) -> dict[str, Any]:
    """The outcome joins the trip case's ``incidents`` (message ``incident_recorded``)."""
    data = ctx.data
    outcome = {
        "incident_case_id": ctx.case_id,
        "kind": data.get("kind"),
        "details": data.get("details"),
        "description": data.get("chosen_alternative"),
        "cost": data.get("chosen_cost"),
        "payer": data.get("chosen_payer"),
        "chosen_by": data.get("chosen_by"),
        "partner_id": data.get("chosen_partner_id"),
        "chosen_at": data.get("chosen_at"),
        "cost_approved": data.get("cost_approved"),
    }
    ctx.send_message(data["trip_case_id"], "incident_recorded", outcome)
    return {"incident_outcome": outcome}


def register(registry: HandlerRegistry) -> None:
    registry.on_start("trip_incident")(incident_start)
    registry.on_complete("propose_alternatives")(propose_alternatives_done)
    registry.on_complete("record_choice")(record_choice_done)
    registry.service("tell_incident_late_handler")(tell_incident_late)
    registry.service("check_choice_handler")(check_choice)
    registry.service("report_to_trip_handler")(report_incident_to_trip)
