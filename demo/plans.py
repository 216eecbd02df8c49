"""What the simulation decides for a trip, a complaint or a change request before it happens.

The simulator draws a plan when a case starts; the answers follow it, so each case tells a
consistent story (a rejected plan is redesigned, an unhappy customer complains).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass
class ComplaintPlan:
    urgency: str
    topic: str
    details: str
    resolve_hours: list[float]  # per resolution round, from the round's start
    satisfied: list[bool]  # the follow-up call after each round
    follow_up_hours: list[float]


@dataclass
class TripPlan:
    customer_id: int | None
    new_customer: dict[str, Any] | None
    segment: str
    destination: str
    per_day: int
    start: date
    days: int
    travellers: int
    purpose: str
    rejections: int
    adjustments: int
    withdraw: bool
    changes: int
    satisfaction: int
    nps: int
    category: str
    topic: str
    complaint: ComplaintPlan | None
    complaint_during_trip: ComplaintPlan | None
    quotes: int = 0


@dataclass
class ChangePlan:
    change_type: str
    approved: bool
    cost_delta: int
    agrees: bool
