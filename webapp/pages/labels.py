"""Words for the ids the engine uses: roles, processes, tasks, statuses, history events, tiers.

Ids (``collect_needs``, ``travel_advisor``) are a contract and stay English in the data; people
read these labels, translated through the message catalogues. Unknown ids fall back to the
name the model gives, so a newly deployed task still shows something sensible.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "account_manager": _l("Account manager"),
    "travel_advisor": _l("Travel advisor"),
    "project_manager": _l("Project manager"),
    "customer_service": _l("Customer service"),
    "service_supervisor": _l("Service supervisor"),
    "data_analyst": _l("Data analyst"),
    "tour_guide": _l("Tour guide"),
    "finance": _l("Finance"),
    "process_owner": _l("Process owner"),
    "admin": _l("Administrator"),
}

PROCESS_LABELS = {
    "trip": _l("Customer trip"),
    "itinerary_planning": _l("Itinerary planning"),
    "itinerary_confirmation": _l("Itinerary confirmation"),
    "change_request": _l("Change request"),
    "trip_feedback": _l("Trip feedback"),
    "complaint_handling": _l("Complaint handling"),
    "customer_tiering": _l("Customer tiering"),
    "quarterly_review": _l("Quarterly service review"),
    "birthday_reminder": _l("Birthday reminder"),
    "crisis_follow_up": _l("Crisis notice follow-up"),
    "win_back_campaign": _l("Win-back campaign"),
}

# Keyed by BPMN element id (PROCESSES.md); the English is the model's task name.
TASK_LABELS = {
    # trip_feedback: a praise classification of a declared complaint needs the supervisor's reason
    "confirm_reclassification": _l("Confirm a declared complaint is not one"),
    # itinerary_planning
    "collect_needs": _l("Collect travel needs"),
    "design_itinerary": _l("Design itinerary"),
    "review_itinerary": _l("Review itinerary"),
    "present_to_customer": _l("Present plan to customer"),
    "sign_contract": _l("Sign contract"),
    # itinerary_confirmation
    "record_itinerary": _l("Record itinerary and contract"),
    "arrange_bookings": _l("Arrange bookings"),
    "prepare_confirmation_letter": _l("Prepare confirmation letter"),
    "send_confirmation_letter": _l("Send confirmation letter"),
    # trip
    "pre_trip_call": _l("Pre-trip call"),
    "call_itinerary_planning": _l("Itinerary planning"),
    "call_itinerary_confirmation": _l("Itinerary confirmation"),
    "call_trip_feedback": _l("Trip feedback"),
    "wait_for_departure": _l("Wait for departure"),
    "wait_for_return": _l("Wait for return"),
    "departure_in_7_days": _l("7 days before departure"),
    "day_after_return": _l("Day after return"),
    "changed_before_departure": _l("Itinerary changed"),
    "changed_during_trip": _l("Itinerary changed"),
    # change_request
    "submit_change_request": _l("Submit change request"),
    "check_change_window": _l("Check change window"),
    "review_change": _l("Review change"),
    "explain_fee_change": _l("Explain fee change"),
    "apply_change": _l("Apply change"),
    "notify_customer": _l("Notify customer"),
    # trip_feedback
    "route_feedback": _l("Route feedback"),
    "revisit_call": _l("Revisit call"),
    "collect_survey": _l("Collect survey"),
    "supervisor_intervention": _l("Supervisor intervention"),
    "classify_feedback": _l("Classify feedback"),
    "log_improvement": _l("Log improvement"),
    "invite_review": _l("Invite review and repurchase"),
    # complaint_handling
    "resolve_complaint": _l("Resolve complaint"),
    "escalate_complaint": _l("Escalated complaint"),
    "follow_up_call": _l("Follow-up call"),
    "escalate_follow_up": _l("Escalated follow-up"),
    "resolution_overdue": _l("Resolution overdue"),
    "follow_up_overdue": _l("Follow-up overdue"),
    # customer_tiering
    "compute_customer_values": _l("Compute customer values"),
    "propose_tiers": _l("Propose tiers"),
    "review_tier_changes": _l("Review tier changes"),
    "apply_tiers": _l("Apply tiers"),
    "notify_tier_changes": _l("Notify tier changes"),
    # quarterly_review
    "compile_metrics": _l("Compile metrics"),
    "review_metrics": _l("Review metrics"),
    "triage_improvements": _l("Triage improvements"),
    # birthday_reminder
    "send_birthday_greeting": _l("Send birthday greeting"),
    # crisis_follow_up
    "follow_up_crisis_notice": _l("Follow up the crisis notice"),
    "record_crisis_answer": _l("Record the answer on the trip"),
    "open_date_change": _l("Open a date change request"),
    # win_back_campaign and the quarterly review's thresholds (issue 18)
    "read_value_rules": _l("Read value and churn thresholds"),
    "list_churned_customers": _l("List churned customers"),
    "win_back": _l("Win back a customer"),
    "read_service_figure_rules": _l("Read service figure thresholds"),
}

# BPMN messages a case may receive (their names are a contract, like task ids).
MESSAGE_LABELS = {
    "itinerary_changed": _l("Itinerary changed"),
    "crisis_answered": _l("Customer answered the crisis notice"),
}

CASE_STATUS_LABELS = {
    "running": _l("Running"),
    "suspended": _l("Suspended"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "error": _l("Error"),
    "lost": _l("Lost"),
}

TASK_STATUS_LABELS = {
    "ready": _l("Waiting"),
    "claimed": _l("In progress"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

EVENT_LABELS = {
    "case_started": _l("Case started"),
    "task_created": _l("Task created"),
    "task_claimed": _l("Task claimed"),
    "task_unclaimed": _l("Task given back"),
    "task_assigned": _l("Task assigned"),
    "assignment_refused": _l("Left with the group"),
    "task_completed": _l("Task completed"),
    "timer_fired": _l("Timer fired"),
    "message_received": _l("Message received"),
    "data_changed": _l("Data changed"),
    "comment": _l("Comment"),
    "case_suspended": _l("Case suspended"),
    "case_resumed": _l("Case resumed"),
    "case_cancelled": _l("Case cancelled"),
    "case_error": _l("Case error"),
    "case_retried": _l("Case retried"),
    "case_migrated": _l("Case migrated"),
    "case_completed": _l("Case ended"),
}

TIER_LABELS = {
    "A": _l("A — key customer"),
    "B": _l("B — regular customer"),
    "C": _l("C — standard"),
}

SEGMENT_LABELS = {
    "business": _l("Business"),
    "family": _l("Family"),
    "experience": _l("Experience"),
}

CHANNEL_LABELS = {
    "phone": _l("Phone"),
    "sms": _l("SMS"),
    "email": _l("Email"),
    "wechat": _l("WeChat"),
    "visit": _l("Visit"),
}

# Case variables that no form asks for (the forms' own titles name the rest).
VARIABLE_LABELS = {
    # the customer's trip page and crisis notices (issue 17)
    "trip_ratings": _l("Customer ratings"),
    "change_source": _l("Requested through"),
    "customer_request": _l("The customer's request"),
    "complaint_source": _l("Reported through"),
    "crisis_notice_trip_id": _l("Crisis notice"),
    "notice_title": _l("Notice title"),
    "notice_text": _l("Notice text"),
    "notice_options": _l("Options offered"),
    "crisis_answer": _l("Answer from the trip page"),
    "answered_by": _l("Answered by"),
    "score": _l("Score"),
    "rated_at": _l("Rated at"),
    "text": _l("Comment"),
    "customer_id": _l("Customer"),
    "customer_name": _l("Customer"),
    "customer_tier": _l("Customer tier"),
    "dedicated_advisor": _l("Dedicated advisor"),
    "trip_account_manager": _l("Account manager"),
    "trip_id": _l("Trip"),
    "trip_case_id": _l("Trip case"),
    "case_status": _l("Case outcome"),
    "destination": _l("Destination"),
    "start_date": _l("Departure date"),
    "end_date": _l("Return date"),
    "travellers": _l("Number of travellers"),
    "budget": _l("Budget (CNY)"),
    "quoted_price": _l("Quoted price (CNY)"),
    "total_price": _l("Total price (CNY)"),
    "review_comments": _l("Review comments"),
    "requested_adjustments": _l("Requested adjustments"),
    "cost_delta": _l("Cost change (CNY)"),
    "discount_rate": _l("Discount rate"),
    "discounted_price": _l("Discounted price (CNY)"),
    "discount_amount": _l("Tier discount (CNY)"),
    "contract_price": _l("Contract price (CNY)"),
    "review_history": _l("Earlier reviews"),
    "round": _l("Round"),
    "reviewed_by": _l("Reviewed by"),
    "reviewed_at": _l("Reviewed at"),
    "design_advisor": _l("Designed by"),
    "departure_at": _l("Departure at"),
    "change_case_id": _l("Change request case"),
    "change_form_id": _l("Change form"),
    "reissued_letter_id": _l("Reissued confirmation letter"),
    "itinerary_change": _l("Itinerary change received"),
    "complaint_resolver": _l("Resolved by"),
    "feedback_due_at": _l("Feedback due"),
    "departure_id": _l("Scheduled departure"),  # a trip booked on a popular route [000 §4.1]
    "route_name": _l("Route"),
    "peak_season": _l("Peak season"),
    "member_tier": _l("Member tier"),
    "days_early": _l("Days bookable before release"),
    "complaints_12m": _l("Complaints (12 months)"),
    "low_ratings_12m": _l("Low ratings (12 months)"),
    "change_outcome": _l("Change outcome"),
    "change_allowed": _l("Change allowed"),
    "change_refusal": _l("Why the change was refused"),
    "report_period": _l("Report period"),
    "quarter": _l("Quarter"),
    "metrics_report": _l("Metrics report"),
    "improvement_backlog": _l("Improvement backlog"),
    "proposed_tier_changes": _l("Proposed tier changes"),
    "tier_proposals": _l("Proposed tiers"),
    "rework_loops": _l("Rework loops"),
    "trips_12m": _l("Trips in the last 12 months"),
    "annual_spend": _l("Spend in the last 12 months (CNY)"),
    "escalate_at": _l("Escalation due"),
    "follow_up_due_at": _l("Follow-up due"),
    "raised_at": _l("Raised"),
    "resolved_at": _l("Resolved"),
    "return_at": _l("Back from the trip"),
    "reminder_at": _l("Reminder"),
    "sla_from": _l("Deadline counted from"),
    "triaged_items": _l("Backlog items decided"),
    "confirmation_letter_id": _l("Confirmation letter"),
    "confirmation_letter": _l("Confirmation letter"),
    "metric": _l("Metric"),
    "label": _l("Metric"),
    "shown": _l("Value"),
    "target_text": _l("Target"),
    "met": _l("Target met"),
    "churned_customers": _l("Churned customers"),
    "win_back_outcomes": _l("Win-back outcomes"),
    "win_back_count": _l("Customers to win back"),
    "half_year": _l("Half-year"),
    "route_alerts": _l("Improvement items filed for routes"),
    "service_star_proposed": _l("Proposed service star"),
    "service_star": _l("Service star"),
    "topic_share_pct": _l("Improvement item above this complaint share (%)"),
    "min_route_feedback": _l("Answers needed to judge a route"),
    "star_min_tasks": _l("Service star: tasks done at least"),
    "high_value_spend": _l("High value from (CNY in 12 months)"),
    "frequent_trips": _l("Frequent from (trips in 12 months)"),
    "churn_idle_days": _l("Churned after days without a trip"),
    "churn_drop_pct": _l("Churned when spend fell by more than (%)"),
    "win_back_tiers": _l("Win-back for tiers"),
    "top_share_pct": _l("80/20 check: top customers (%)"),
    "churn_reason": _l("Why churned"),
    "last_trip": _l("Last trip"),
    "spend_12m": _l("Spend in the last 12 months (CNY)"),
    "spend_previous_12m": _l("Spend in the 12 months before (CNY)"),
    "group": _l("Value group"),
    "improvement_id": _l("Improvement item"),
    "route": _l("Route"),
    "share": _l("Share"),
    "customer": _l("Customer"),
}

# Values of case variables no form lists as choices (issue 18: value groups, churn reasons).
VALUE_LABELS = {
    "group": {
        "high_frequent": _l("High value × frequent"),
        "high_occasional": _l("High value × occasional"),
        "low_frequent": _l("Low value × frequent"),
        "low_occasional": _l("Low value × occasional"),
    },
    "churn_reason": {
        "idle": _l("No trip for a year"),
        "spend_drop": _l("Spend fell by more than half"),
    },
}


def _label(table: dict[str, Any], key: str | None, fallback: str | None = None) -> str:
    if key is None:
        return fallback or ""
    found = table.get(key)
    return str(found) if found is not None else (fallback or key)


def role_label(role: str | None) -> str:
    return _label(ROLE_LABELS, role, gettext("Any role") if role is None else None)


def process_label(key: str | None, fallback: str | None = None) -> str:
    return _label(PROCESS_LABELS, key, fallback)


def task_label(bpmn_id: str | None, fallback: str | None = None) -> str:
    """The task's translated name; the model's own name for ids the catalogue does not know."""
    return _label(TASK_LABELS, bpmn_id, fallback)


def message_label(name: str | None) -> str:
    return _label(MESSAGE_LABELS, name)


def case_status_label(status: str | None) -> str:
    return _label(CASE_STATUS_LABELS, status)


def task_status_label(status: str | None) -> str:
    return _label(TASK_STATUS_LABELS, status)


def event_label(kind: str | None) -> str:
    return _label(EVENT_LABELS, kind)


def tier_label(tier: str | None) -> str:
    return _label(TIER_LABELS, tier, "—" if not tier else None)


def segment_label(segment: str | None) -> str:
    return _label(SEGMENT_LABELS, segment, "—" if not segment else None)


def channel_label(channel: str | None) -> str:
    return _label(CHANNEL_LABELS, channel)


def value_label(key: str, value: object) -> str | None:
    found = VALUE_LABELS.get(key, {}).get(value) if isinstance(value, str) else None
    return str(found) if found is not None else None


def variable_label(key: str) -> str | None:
    found = VARIABLE_LABELS.get(key)
    return str(found) if found is not None else None


TEMPLATE_GLOBALS = {
    "role_label": role_label,
    "process_label": process_label,
    "task_label": task_label,
    "case_status_label": case_status_label,
    "task_status_label": task_status_label,
    "event_label": event_label,
    "tier_label": tier_label,
    "segment_label": segment_label,
    "channel_label": channel_label,
}


# --- customer value: the cards after a trip, settlement, points ---------------------------------

PROCESS_LABELS["trip_settlement"] = _l("Trip settlement")
TASK_LABELS.update(
    {
        "call_trip_settlement": _l("Trip settlement"),
        "load_customer_profile": _l("Load customer profile"),
        "update_profile_card": _l("Update profile card"),
        "contact_record_card": _l("Contact record card"),
        "contact_record_card_by_account_manager": _l("Contact record card (no guide)"),
        "copy_cards_to_supervisor": _l("Copy cards to supervisor"),
        "settle_trip": _l("Settle trip"),
        "compute_points_earned": _l("Points rate for the tier"),
        "record_settlement": _l("Record settlement and points"),
        "send_birthday_greeting": _l("Send birthday greeting and gift"),
    }
)
VARIABLE_LABELS.update(
    {
        "spend_basis": _l("Spend counted from"),
        "settled_spend": _l("Settled spend (CNY)"),
        "contract_spend": _l("Contract price of unsettled trips (CNY)"),
        "points_redeemed": _l("Points redeemed"),
        "points_discount": _l("Points discount (CNY)"),
        "price_before_points": _l("Price before points (CNY)"),
        "amount_paid": _l("Final amount paid (CNY)"),
        "supplier_costs": _l("Supplier costs (CNY)"),
        "margin": _l("Margin (CNY)"),
        "points_earned": _l("Points earned"),
        "points_expire_at": _l("Points expire"),
        "cny_per_point": _l("CNY per point"),
        "points_expiry_months": _l("Points valid (months)"),
        "redeem_points": _l("Points per redemption block"),
        "redeem_cny": _l("CNY per redemption block"),
        "contact_card_by": _l("Contact record card by"),
        "profile_card": _l("Profile card"),
        "contact_record": _l("Contact record card"),
        "customer_cards_id": _l("Customer cards"),
        "cards_copied_to": _l("Supervisors told"),
        "dietary": _l("Dietary preferences"),
        "room_preference": _l("Room preferences"),
        "travel_pace": _l("Pace"),
        "interests": _l("Interests"),
        "mobility": _l("Mobility needs"),
        "medical": _l("Medical needs"),
        "children_needs": _l("Children's needs"),
        "family": _l("Family members"),
        "occasions": _l("Occasions"),
        "offer_next": _l("What to offer next time"),
        "what_happened": _l("What happened on the trip"),
        "customer_said": _l("What the customer said"),
        "follow_ups": _l("Follow-ups"),
        "gift": _l("Gift chosen"),
        "delivery": _l("Delivered by"),
        "gift_delivered_on": _l("Gift delivered on"),
        "tour_guide": _l("Tour guide"),
    }
)
POINTS_REASON_LABELS = {
    "earned": _l("Earned on a settled trip"),
    "redeemed": _l("Redeemed on a contract"),
    "expired": _l("Points expired"),
}
SPEND_BASIS_LABELS = {
    "settled": _l("Settled trips"),
    "contract": _l("Contract prices (not yet settled)"),
    "mixed": _l("Settled trips and contract prices"),
}


def points_reason_label(reason: str | None) -> str:
    return _label(POINTS_REASON_LABELS, reason)


def spend_basis_label(basis: str | None) -> str:
    return _label(SPEND_BASIS_LABELS, basis, "—" if not basis else None)


TEMPLATE_GLOBALS.update({"points_reason": points_reason_label, "spend_basis_label": spend_basis_label})


# --- during the trip (issue 17, staff side): appended, so merges stay small ------------------------
PROCESS_LABELS["trip_incident"] = _l("Trip incident")
TASK_LABELS.update(
    {
        # trip: the stage between departure and return
        "trip_moment": _l("Departure, an evening or return"),
        "gw_trip_moment": _l("Which moment?"),
        "enter_on_the_trip": _l("On the trip"),
        "leave_the_trip": _l("Back home"),
        "daily_report": _l("Daily report"),
        "customer_rated": _l("Customer rates the service"),
        "record_customer_rating": _l("Record rating"),
        "in_trip_intervention": _l("In-trip intervention"),
        "incident_settled": _l("Incident settled"),
        "record_trip_incident": _l("Record incident on the trip"),
        # trip_incident
        "propose_alternatives": _l("Propose alternatives"),
        "alternatives_late": _l("10 minutes without alternatives"),
        "tell_incident_late": _l("Tell advisor and supervisor"),
        "record_choice": _l("Record the customer's choice"),
        "customer_chose": _l("Customer chose on the trip page"),
        "check_choice": _l("Check the choice"),
        "approve_incident_cost": _l("Approve incident cost"),
        "report_to_trip": _l("Record on the trip"),
    }
)
MESSAGE_LABELS.update(
    {
        "customer_rating": _l("Customer rating"),
        "incident_recorded": _l("Incident recorded"),
        "alternative_chosen": _l("Alternative chosen"),
    }
)
VARIABLE_LABELS.update(
    {
        "tour_guide": _l("Tour guide"),
        "trip_phase": _l("Trip stage"),
        "customer_phone": _l("Customer's phone"),
        "daily_reports": _l("Daily reports"),
        "trip_ratings": _l("Customer ratings"),
        "customer_rating": _l("Customer rating"),
        "group_rating": _l("Group rating"),
        "intervention_open": _l("Supervisor on it"),
        "intervention_needed": _l("Supervisor needed"),
        "intervention_reasons": _l("Ratings that brought in the supervisor"),
        "emergency_partners": _l("Emergency partners at the destination"),
        "incidents": _l("Trip incidents"),
        "next_report_at": _l("Next daily report"),
        "trip_moment": _l("Next moment of the trip"),
        "trip_moment_at": _l("Next moment at"),
        "kind": _l("Kind of incident"),
        "details": _l("What happened"),
        "alternatives": _l("Alternatives"),
        "alternatives_due_at": _l("Alternatives due"),
        "alternatives_proposed_at": _l("Alternatives proposed at"),
        "alternative_chosen": _l("Choice received"),
        "chosen_alternative": _l("Alternative chosen"),
        "chosen_cost": _l("Cost (CNY)"),
        "chosen_payer": _l("Who pays"),
        "chosen_by": _l("Chosen by"),
        "chosen_partner_id": _l("Emergency partner used"),
        "chosen_at": _l("Chosen at"),
        "cost_approved": _l("Cost approved"),
        "choice_valid": _l("Choice valid"),
        "choice_problem": _l("Why the choice was not taken"),
        "answered_late": _l("Alternatives late"),
        "incident_outcome": _l("Incident outcome"),
        # inside those lists: a rating, a daily report, a partner, an alternative, an incident
        "score": _l("Score"),
        "text": _l("Comment"),
        "rated_at": _l("Rated at"),
        "source": _l("From"),
        "group_mood": _l("Group mood"),
        "what_happened": _l("What happened"),
        "open_problems": _l("Open problems"),
        "reported_at": _l("Reported at"),
        "reported_by": _l("Reported by"),
        "contact": _l("Contact"),
        "hours": _l("Hours"),
        "notes": _l("Notes"),
        "name": _l("Name"),
        "description": _l("Description"),
        "cost": _l("Cost (CNY)"),
        "payer": _l("Who pays"),
        "partner_id": _l("Emergency partner used"),
        "incident_case_id": _l("Incident case"),
    }
)
INCIDENT_KIND_LABELS = {
    "closed_sight": _l("Closed sight"),
    "cancelled_flight": _l("Cancelled flight"),
    "illness": _l("Illness"),
    "lost_passport": _l("Lost passport"),
    "other": _l("Other"),
}
PARTNER_KIND_LABELS = {
    "hotel": _l("Hotel"),
    "vehicle": _l("Vehicle"),
    "clinic": _l("Clinic / hospital"),
    "guide": _l("Guide"),
    "other": _l("Other"),
}
