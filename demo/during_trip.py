"""The demo during the trip (issue 17): the emergency partners of each destination, and the last
weeks' trips led by the demo guide, with evening reports, customers' ratings from the road (the
``customer_rating`` message the trip page sends) and incidents answered within minutes.

``prepare`` is the one call from the simulator's main sequence; the rest plugs into the answers
the simulated staff give (``BY_TASK``) and the simulator's queue.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from demo.answers import BY_TASK, Answers
from demo.names import DESTINATIONS
from workflows.cases import operations as case_service
from workflows.errors import TripflowError
from workflows.partners.operations import create_partner
from workflows.permissions import SYSTEM, Actor

if TYPE_CHECKING:
    from demo.simulator import Simulation

GUIDE = "tour_guide"  # the demo user with the role tour_guide
GUIDED_DAYS = 60  # trips departing in the last two months travel with the guide
INCIDENT_EVERY = 3  # one trip in three meets an incident on the road, all year
# The simulator's own random stream decides everything else in the year: this module draws from its
# own, and works its incidents itself, so the rest of the history stays what it was.
RNG = random.Random(20261217)
PARTNER_KINDS = (
    ("clinic", "国际医疗中心 International Clinic", "24h"),
    ("hotel", "备用酒店 Standby Hotel", "24h"),
    ("vehicle", "包车公司 Coach Hire", "07:00-22:00"),
    ("guide", "地接导游 Local Guide", "08:00-20:00"),
)
INCIDENTS = (
    ("closed_sight", "景点临时关闭 the sight is closed today"),
    ("cancelled_flight", "航班取消 the flight is cancelled"),
    ("illness", "团员发烧 a traveller has a fever"),
    ("lost_passport", "护照遗失 a passport is lost"),
)
MOODS = (
    "顺利 smooth day",
    "下雨，行程调整 rain, plan adjusted",
    "大家很开心 everyone happy",
    "有些疲惫 a bit tired",
)


def prepare(sim: Simulation) -> None:
    """Partners on file before the year starts; the guide's tasks answered like every other task."""
    RNG.seed(20261217)  # the same year every time the demo loads
    supervisor = Actor("service_supervisor", frozenset({"service_supervisor"}))
    for destination, _per_day in DESTINATIONS:
        for kind, name, hours in PARTNER_KINDS:
            contact = f"+86 400 {RNG.randint(100, 999)} {RNG.randint(1000, 9999)}"
            fields = {"destination": destination, "kind": kind, "name": name, "contact": contact}
            create_partner(sim.session, {**fields, "hours": hours}, supervisor, sim.now())
    sim.session.commit()
    scan = sim.scan

    def scan_own_first(case_id: int) -> None:
        _take_own_tasks(sim, case_id)
        scan(case_id)

    sim.scan = scan_own_first  # type: ignore[method-assign]


def _guided(answers: Answers) -> bool:
    plan = answers.trip()
    return plan is not None and (answers.sim.end.date() - plan.start).days <= GUIDED_DAYS


def arrange_bookings(answers: Answers) -> dict[str, Any]:
    answer = ARRANGE(answers)
    plan, sim, case_id = answers.trip(), answers.sim, answers.case.id
    if plan is None:
        return answer
    if _guided(answers):
        answer["tour_guide"] = GUIDE
        for day in range(plan.days):  # the customers rate the service from the road
            if RNG.random() < 0.5:
                moment = datetime.combine(plan.start + timedelta(days=day), time(12), tzinfo=sim.zone)
                sim.at(moment + timedelta(minutes=RNG.randint(0, 300)), rate, sim, case_id)
    if case_id % INCIDENT_EVERY == 0 and plan.days > 1:
        day = plan.start + timedelta(days=1)
        sim.at(datetime.combine(day, time(10), tzinfo=sim.zone), report_incident, sim, case_id)
    return answer


def rate(sim: Simulation, case_id: int) -> None:
    plan = sim.trips[case_id]
    score = int(min(5, max(1, round(RNG.gauss(plan.satisfaction, 0.8)))))
    payload = {"score": score, "text": "", "rated_at": sim.now().astimezone(sim.zone).isoformat()}
    try:
        case_service.deliver_message(sim.session, sim.rt, case_id, "customer_rating", payload, SYSTEM)
    except TripflowError:
        sim.session.rollback()  # the trip is no longer on the road: the page would have refused it
        return
    sim.scan(case_id)


def report_incident(sim: Simulation, case_id: int) -> None:
    from workflows.models import Case

    trip = sim.session.get(Case, case_id)
    on_the_road = trip is not None and trip.status == "running" and trip.data.get("trip_phase") == "on_trip"
    sim.session.rollback()
    if not on_the_road:
        return  # the dates moved, or the trip was called off: nothing happens on a road not taken
    kind, details = RNG.choice(INCIDENTS)
    opener = GUIDE if trip.data.get("tour_guide") == GUIDE else "customer_service"
    sim.start_case("trip_incident", {"trip_case_id": case_id, "kind": kind, "details": details}, opener)


# hours from a task appearing to its completion: (from, to), drawn from this module's stream
OWN_TASKS = {
    "daily_report": (0.3, 2.5),
    "in_trip_intervention": (0.2, 0.9),
    "propose_alternatives": (0.03, 0.25),
    "record_choice": (0.2, 1.0),
    "approve_incident_cost": (0.2, 1.0),
}


def _take_own_tasks(sim: Simulation, case_id: int) -> None:
    """The tasks of this stage are worked on this module's own random stream, before the simulator's
    ``scan`` (which then passes them over as scheduled) would draw their timing from its own."""
    from sqlalchemy import select

    from workflows.models import WorkItem
    from workflows.permissions import OPEN

    query = select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.status.in_(OPEN), WorkItem.bpmn_id.in_(OWN_TASKS)
    )
    for item in list(sim.session.scalars(query)):
        if item.id not in sim.scheduled:
            sim.scheduled.add(item.id)
            hours = RNG.uniform(*OWN_TASKS[item.bpmn_id])
            sim.at(
                max(sim.now(), item.created_at) + timedelta(hours=hours),
                sim.complete,
                item.id,
                sim.actor_for(item),
            )
    sim.session.rollback()


def daily_report(answers: Answers) -> dict[str, Any]:
    plan = answers.trip()
    mood = plan.satisfaction if plan is not None else 4
    return {
        "group_mood": int(min(5, max(1, round(RNG.gauss(mood, 0.7))))),
        "what_happened": RNG.choice(MOODS),
        "open_problems": "",
    }


def in_trip_intervention(answers: Answers) -> dict[str, Any]:
    notes = "与导游通话，调整次日安排 talked the next day over with the guide"
    return {"action_taken": "called_guide", "intervention_notes": notes}


def propose_alternatives(answers: Answers) -> dict[str, Any]:
    partners = answers.data.get("emergency_partners") or []
    options = [
        {"description": "改去附近景点 a nearby sight instead", "cost": 0},
        {"description": "包车半日游 half a day by coach", "cost": 600},
        {"description": "自由活动 free time", "cost": 0},
    ]
    if partners:
        options[1]["partner_id"] = partners[0]["id"]
    return {"alternatives": options[: RNG.randint(2, 3)]}


def record_choice(answers: Answers) -> dict[str, Any]:
    return {"choice": RNG.choice([0, 1]), "payer": RNG.choice(["agency", "customer"])}


def approve_incident_cost(answers: Answers) -> dict[str, Any]:
    return {"cost_approved": True, "approval_notes": "同意 approved"}


ARRANGE = BY_TASK["arrange_bookings"]
BY_TASK.update(
    {
        "arrange_bookings": arrange_bookings,
        "daily_report": daily_report,
        "in_trip_intervention": in_trip_intervention,
        "propose_alternatives": propose_alternatives,
        "record_choice": record_choice,
        "approve_incident_cost": approve_incident_cost,
    }
)
