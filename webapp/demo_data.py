"""`flask demo`: a year of varied agency history, made by driving the real case service.

Nothing is inserted behind the engine's back: customers are created through the customer
service, every trip is a real ``trip`` case whose tasks the demo users claim and complete with
``workflows.cases``; timers fire through ``fire_due_timers`` and calendar processes (tiering, the
quarterly review, birthday reminders) start through ``run_schedules``. A discrete-event
simulation moves one ``FixedClock`` through the year, so every event, inbox row, timer and
document carries its simulated time. Trends are built in on purpose (satisfaction improves,
fewer plans are rejected, complaints are handled faster), so each chart has something to say.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time as wallclock
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from workflows.cases import operations as case_service
from workflows.cases.schedules import run_schedules
from workflows.customers.operations import create_customer, set_tier
from workflows.engine.clock import FixedClock
from workflows.errors import TripflowError
from workflows.metrics.verdict import findings as metric_findings
from workflows.models import Case, Customer, Timer, User, WorkItem
from workflows.permissions import SYSTEM, Actor

from .extensions import db
from .setup import DEMO_USERS

OPEN = ("ready", "claimed")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂兰",
    "志强",
    "晓东",
    "雪梅",
    "建华",
    "海燕",
    "思远",
    "子涵",
    "雨桐",
]
ENGLISH = [
    "Emily Chen",
    "James Wong",
    "Sophie Martin",
    "Daniel Lee",
    "Olivia Zhang",
    "Lucas Müller",
    "Grace Liu",
    "Henry Tan",
    "Chloe Wang",
    "Ethan Brown",
    "Mia Lin",
    "Noah Kim",
    "Ava Huang",
    "Leo Garcia",
    "Isabella Wu",
    "Ryan Zhou",
    "Hannah Schmidt",
    "Jack Sun",
    "Lily Zhao",
    "Oscar Nguyen",
]
DESTINATIONS = [  # (name, CNY per person per day)
    ("京都 Kyoto", 1800),
    ("北海道 Hokkaido", 2000),
    ("巴厘岛 Bali", 1500),
    ("三亚 Sanya", 900),
    ("丽江 Lijiang", 800),
    ("成都 Chengdu", 700),
    ("拉萨 Lhasa", 1100),
    ("巴黎 Paris", 2600),
    ("冰岛 Iceland", 3200),
    ("新西兰 New Zealand", 2400),
    ("清迈 Chiang Mai", 1000),
    ("马尔代夫 Maldives", 3000),
    ("瑞士 Switzerland", 3000),
    ("新加坡 Singapore", 1600),
    ("西安 Xi'an", 700),
    ("桂林 Guilin", 650),
]
PURPOSES = {
    "family": ["家庭度假 family holiday", "父母结婚纪念 parents' anniversary", "亲子游 trip with the kids"],
    "business": ["公司奖励旅游 company incentive trip", "商务考察 business visit with sightseeing"],
    "experience": ["徒步 hiking", "摄影之旅 photography tour", "美食之旅 food tour", "蜜月 honeymoon"],
}
TOPICS = ["hotel", "transport", "guide", "meals", "itinerary", "price", "other"]
TOPIC_WEIGHTS = [30, 22, 14, 12, 10, 8, 4]
COMPLAINT_TEXT = {
    "hotel": "酒店房间不干净，与宣传不符 / room not clean, not as advertised",
    "transport": "接送车辆迟到一个多小时 / transfer more than an hour late",
    "guide": "导游态度差，讲解敷衍 / the guide was rude and careless",
    "meals": "团餐质量差 / poor group meals",
    "itinerary": "行程太赶，景点时间不够 / schedule too tight",
    "price": "现场被要求额外付费 / asked to pay extra on site",
    "other": "行李在转机时丢失 / luggage lost on the connection",
}
REVIEW_COMMENTS = [
    "报价超出预算 quote over budget",
    "第三天行程太赶 day 3 too packed",
    "酒店等级与客户要求不符 hotel below the requested standard",
    "缺少儿童友好的活动 nothing for the kids",
    "航班衔接时间太短 connection too short",
]
ADJUSTMENTS = [
    "希望换成海景房 sea-view room please",
    "想多加一天自由活动 one more free day",
    "减少购物点 fewer shopping stops",
    "改为直飞航班 direct flights",
    "预算再降一些 a little cheaper",
]

# hours: (wait from, wait to, work from, work to); a task waits in the inbox, then is worked on
DELAYS: dict[str, tuple[float, float, float, float]] = {
    "collect_needs": (0.2, 6, 0.3, 2),
    "design_itinerary": (2, 30, 2, 10),
    "review_itinerary": (1, 26, 0.2, 2),
    "present_to_customer": (4, 48, 0.5, 3),
    "sign_contract": (8, 72, 0.5, 2),
    "arrange_bookings": (2, 24, 1, 6),
    "send_confirmation_letter": (1, 12, 0.1, 0.5),
    "pre_trip_call": (0.5, 20, 0.2, 0.8),
    "revisit_call": (1, 40, 0.2, 1),
    "collect_survey": (1, 48, 0.2, 1),
    "supervisor_intervention": (1, 20, 0.3, 2),
    "classify_feedback": (1, 30, 0.1, 0.5),
    "invite_review": (2, 48, 0.1, 0.5),
    "escalate_complaint": (0.2, 2, 0.3, 2),
    "escalate_follow_up": (0.5, 4, 0.2, 1),
    "submit_change_request": (0.1, 2, 0.2, 1),
    "review_change": (0.5, 6, 0.3, 2),
    "explain_fee_change": (1, 8, 0.2, 1),
    "notify_customer": (0.5, 4, 0.1, 0.5),
    "review_tier_changes": (4, 48, 0.5, 2),
    "notify_tier_changes": (4, 72, 1, 6),
    "review_metrics": (24, 96, 1, 4),
    "triage_improvements": (24, 96, 1, 3),
}
DEFAULT_DELAY = (1, 24, 0.2, 2)


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


@dataclass
class Simulation:
    session: Any
    rt: Any
    clock: FixedClock
    rng: random.Random
    start: datetime
    end: datetime
    users: dict[str, Actor]
    queue: list[tuple[datetime, int, Callable[..., None], tuple[Any, ...]]] = field(default_factory=list)
    seq: itertools.count = field(default_factory=itertools.count)
    trips: dict[int, TripPlan] = field(default_factory=dict)
    changes: dict[int, ChangePlan] = field(default_factory=dict)
    complaints: dict[int, ComplaintPlan] = field(default_factory=dict)
    rounds: Counter = field(default_factory=Counter)  # (case, bpmn id) → times worked
    scheduled: set[int] = field(default_factory=set)
    customers: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    done: Counter = field(default_factory=Counter)

    # --- the clock and the queue --------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.rt.timezone)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def progress(self) -> float:
        """0 at the start of the history, 1 at its end: trends follow it."""
        return min(1.0, max(0.0, (self.now() - self.start) / (self.end - self.start)))

    def at(self, when: datetime, fn: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), fn, args))

    def run(self) -> None:
        while self.queue:
            when, _seq, fn, args = heapq.heappop(self.queue)
            if when > self.end:
                continue  # left for the future: open tasks in today's inboxes
            self.advance_to(when)
            fn(*args)
        self.advance_to(self.end)

    def advance_to(self, when: datetime) -> None:
        """Fire every timer due before ``when`` at its own instant, then set the clock to ``when``."""
        for _ in range(10_000):
            due = self.session.scalar(
                select(func.min(Timer.due_at))
                .join(Case, Case.id == Timer.case_id)
                .where(Case.status == "running", Timer.due_at <= when)
            )
            self.session.rollback()
            if due is None:
                break
            self.clock.set(max(due, self.now()))
            fired = case_service.fire_due_timers(self.session, self.rt, SYSTEM)
            if not fired:
                self.problems.append(f"timer due {due.isoformat()} did not fire")
                break
            for case_id in fired:
                self.scan(case_id)
        self.clock.set(max(when, self.now()))

    # --- cases and their tasks ------------------------------------------------------------------

    def actor(self, username: str) -> Actor:
        return self.users.get(username) or Actor(username, frozenset())

    def actor_for(self, item: WorkItem) -> Actor:
        if item.assignee:
            return self.actor(item.assignee)
        return self.actor(item.lane or "service_supervisor")

    def start_case(self, process: str, data: dict[str, Any], by: str) -> Case | None:
        try:
            case = case_service.start_case(self.session, self.rt, process, data, self.actor(by))
        except TripflowError as exc:
            self.problems.append(f"starting {process}: {exc.message} {exc.details}")
            return None
        self.done[f"start:{process}"] += 1
        self.scan(case.id)
        return case

    def scan(self, case_id: int) -> None:
        """Plan when the new open tasks of a case are claimed and completed."""
        case = self.session.get(Case, case_id)
        if case is not None and case.status == "error":
            self.problems.append(
                f"case {case_id} ({case.process_key}) failed at {case.error_element}: {case.error_message}"
            )
        items = list(
            self.session.scalars(
                select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.status.in_(OPEN))
            )
        )
        for item in items:
            if item.id in self.scheduled:
                continue
            self.scheduled.add(item.id)
            wait, work = self.timing(item)
            if self.end - self.now() < timedelta(days=4) and self.rng.random() < 0.5:
                wait += 24 * 4  # the last days' work is still in today's inboxes
            who = self.actor_for(item)
            claim_at = max(self.now(), item.created_at) + timedelta(hours=wait)
            if self.rng.random() < 0.8:
                self.at(claim_at, self.claim, item.id, who)
            self.at(claim_at + timedelta(hours=work), self.complete, item.id, who)
        self.session.rollback()

    def timing(self, item: WorkItem) -> tuple[float, float]:
        plan = self.complaint_plan(item.case_id)
        if plan is not None and item.bpmn_id in ("resolve_complaint", "follow_up_call"):
            number = self.rounds[(item.case_id, item.bpmn_id)]
            hours = plan.resolve_hours if item.bpmn_id == "resolve_complaint" else plan.follow_up_hours
            total = hours[min(number, len(hours) - 1)]
            return total * 0.3, total * 0.7
        lo, hi, work_lo, work_hi = DELAYS.get(item.bpmn_id, DEFAULT_DELAY)
        if item.bpmn_id in ("review_itinerary", "design_itinerary", "review_change"):
            hi = lo + (hi - lo) * (1.0 - 0.5 * self.progress())  # the team gets faster over the year
        wait = self.rng.triangular(lo, hi, lo + (hi - lo) * 0.2)
        return wait, self.rng.triangular(work_lo, work_hi, work_lo + (work_hi - work_lo) * 0.3)

    def claim(self, item_id: int, who: Actor) -> None:
        if self.session.scalar(select(WorkItem.status).where(WorkItem.id == item_id)) != "ready":
            self.session.rollback()
            return
        try:
            case_service.claim_task(self.session, self.rt, item_id, who)
        except TripflowError:
            self.session.rollback()

    def complete(self, item_id: int, who: Actor) -> None:
        item = self.session.get(WorkItem, item_id)
        if item is None:
            return
        self.session.refresh(item)
        if item.status not in OPEN:
            self.session.rollback()
            return
        case = self.session.get(Case, item.case_id)
        bpmn_id, case_id = item.bpmn_id, item.case_id
        answer = Answers(self, case, item).build()
        self.session.rollback()
        try:
            case_service.complete_task(self.session, self.rt, item_id, answer, who)
        except TripflowError as exc:
            self.problems.append(f"{bpmn_id} in case {case_id}: {exc.message} {exc.details}")
            return
        self.rounds[(case_id, bpmn_id)] += 1
        self.done[bpmn_id] += 1
        self.after(bpmn_id, case_id)
        self.scan(case_id)

    def after(self, bpmn_id: str, case_id: int) -> None:
        """What a completion sets in motion outside its case: change requests, complaints on the road."""
        plan = self.trips.get(case_id)
        if bpmn_id == "collect_needs" and plan is not None and plan.customer_id is None:
            customer_id = self.session.scalar(select(Case.customer_id).where(Case.id == case_id))
            if customer_id:
                plan.customer_id = customer_id
                self.customers.append(customer_id)
        if bpmn_id == "sign_contract" and plan is not None:
            departure = datetime.combine(plan.start, time(9), tzinfo=self.zone)
            for _ in range(plan.changes):
                latest = departure - timedelta(days=3)
                if latest > self.now() + timedelta(days=1):
                    moment = self.now() + (latest - self.now()) * self.rng.uniform(0.1, 0.9)
                    self.at(moment, self.request_change, case_id)
            if plan.complaint_during_trip is not None:
                moment = departure + timedelta(hours=self.rng.uniform(10, 24 * max(plan.days - 1, 1)))
                self.at(moment, self.complain_on_the_road, case_id)

    def complaint_plan(self, case_id: int) -> ComplaintPlan | None:
        if case_id in self.complaints:
            return self.complaints[case_id]
        plan = self.trips.get(case_id)
        return plan.complaint if plan is not None else None

    # --- things customers do --------------------------------------------------------------------

    def enquire(self, plan: TripPlan) -> None:
        case = self.start_case("trip", {}, "account_manager")
        if case is not None:
            self.trips[case.id] = plan

    def request_change(self, trip_case_id: int) -> None:
        trip = self.session.get(Case, trip_case_id)
        if trip is None or trip.status != "running" or not trip.start_date:
            return
        if datetime.combine(trip.start_date, time(0), tzinfo=self.zone) - self.now() < timedelta(days=2):
            return
        p = self.progress()
        plan = ChangePlan(
            change_type=self.rng.choices(
                ["hotel", "dates", "activities", "flight", "travellers", "other"], [30, 22, 20, 14, 8, 6]
            )[0],
            approved=self.rng.random() < 0.7 + 0.15 * p,
            cost_delta=self.rng.choice([0, 0, 0, 300, 600, 800, 1200, 2000, 3500, -500, -900]),
            agrees=self.rng.random() < 0.85,
        )
        case = self.start_case("change_request", {"trip_case_id": trip_case_id}, "account_manager")
        if case is not None:
            self.changes[case.id] = plan

    def complain_on_the_road(self, trip_case_id: int) -> None:
        plan = self.trips[trip_case_id]
        complaint = plan.complaint_during_trip
        trip = self.session.get(Case, trip_case_id)
        if complaint is None or trip is None:
            return
        case = self.start_case(
            "complaint_handling",
            {
                "customer_id": trip.customer_id,
                "customer_name": trip.customer_name,
                "customer_tier": trip.customer_tier,
                "destination": trip.destination,
                "trip_case_id": trip_case_id,
                "urgency": complaint.urgency,
                "topic": complaint.topic,
                "complaint_details": complaint.details,
                "raised_at": self.now().astimezone(self.zone).isoformat(),
            },
            "customer_service",
        )
        if case is not None:
            self.complaints[case.id] = complaint

    def daily(self) -> None:
        """What the timer worker does each night: calendar starts (tiering, reviews, birthdays)."""
        try:
            started = run_schedules(self.session, self.rt)
        except TripflowError as exc:
            self.problems.append(f"calendar starts: {exc.message}")
            return
        for case_id in started:
            self.done["calendar start"] += 1
            self.scan(case_id)

    # --- planning the year ----------------------------------------------------------------------

    def plan_trip(self, enquiry: datetime) -> TripPlan:
        rng = self.rng
        p = (enquiry - self.start) / (self.end - self.start)
        repeat = self.customers and rng.random() < 0.55
        segment = rng.choices(["family", "business", "experience"], [45, 25, 30])[0]
        destination, per_day = rng.choice(DESTINATIONS)
        days = rng.randint(4, 12)
        travellers = {"family": rng.randint(3, 5), "business": rng.randint(1, 8)}.get(
            segment, rng.randint(1, 3)
        )
        lead = rng.randint(24, 90)
        mood = rng.gauss(3.7 + 0.7 * p, 0.9)
        satisfaction = int(min(5, max(1, round(mood))))
        nps = min(
            10,
            max(
                0,
                {5: rng.randint(8, 10), 4: rng.randint(7, 9), 3: rng.randint(5, 8), 2: rng.randint(2, 6)}.get(
                    satisfaction, rng.randint(0, 3)
                ),
            ),
        )
        complains = rng.random() < {1: 0.9, 2: 0.75, 3: 0.15}.get(satisfaction, 0.03)
        category = (
            "complaint"
            if complains
            else ("improvement" if satisfaction == 3 or rng.random() < 0.15 else "praise")
        )
        topic = rng.choices(TOPICS, TOPIC_WEIGHTS)[0]
        rejections = rng.choices([0, 1, 2, 3], [60 + 25 * p, 25, 11 - 6 * p, 4 - 2 * p])[0]
        customer_id = rng.choice(self.customers) if repeat else None
        return TripPlan(
            customer_id=customer_id,
            new_customer=None if customer_id else self.new_customer(segment),
            segment=segment,
            destination=destination,
            per_day=per_day,
            start=(enquiry + timedelta(days=lead)).astimezone(self.zone).date(),
            days=days,
            travellers=travellers,
            purpose=rng.choice(PURPOSES[segment]),
            rejections=rejections,
            adjustments=rng.choices([0, 1, 2], [70, 22, 8])[0],
            withdraw=rng.random() < 0.08,
            changes=rng.choices([0, 1, 2], [78, 17, 5])[0],
            satisfaction=satisfaction,
            nps=nps,
            category=category,
            topic=topic,
            complaint=self.plan_complaint(topic, p) if category == "complaint" else None,
            complaint_during_trip=self.plan_complaint(rng.choices(TOPICS, TOPIC_WEIGHTS)[0], p)
            if rng.random() < 0.05
            else None,
        )

    def plan_complaint(self, topic: str, p: float) -> ComplaintPlan:
        rng = self.rng
        urgency = "urgent" if rng.random() < 0.3 else "normal"
        sla = 2 if urgency == "urgent" else 24
        late = rng.random() < (0.35 - 0.2 * p if urgency == "urgent" else 0.25 - 0.15 * p)
        rounds = 2 if rng.random() < 0.12 else 1
        resolve = [
            sla * rng.uniform(1.1, 2.5) if late and n == 0 else sla * rng.uniform(0.15, 0.9)
            for n in range(rounds)
        ]
        follow = [rng.uniform(25, 36) if rng.random() < 0.1 else rng.uniform(1, 20) for _ in range(rounds)]
        return ComplaintPlan(
            urgency, topic, COMPLAINT_TEXT[topic], resolve, [n == rounds - 1 for n in range(rounds)], follow
        )

    def new_customer(self, segment: str) -> dict[str, Any]:
        rng = self.rng
        name = rng.choice(ENGLISH) if rng.random() < 0.25 else rng.choice(SURNAMES) + rng.choice(GIVEN)
        return {"name": name, "phone": f"13{rng.randint(100000000, 999999999)}", "segment": segment}

    def seed_customers(self, count: int) -> None:
        """Customers on file before the year starts, some with a tier from the old CRM."""
        now = self.now()
        for _ in range(count):
            rng = self.rng
            english = rng.random() < 0.25
            name = rng.choice(ENGLISH) if english else rng.choice(SURNAMES) + rng.choice(GIVEN)
            customer = create_customer(
                self.session,
                {
                    "name": name,
                    "phone": f"139{rng.randint(10000000, 99999999)}",
                    "email": f"{'guest'}{rng.randint(100, 99999)}@example.com",
                    "birthday": date(
                        rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28)
                    ).isoformat(),
                    "segment": rng.choice(["family", "business", "experience"]),
                    "source_channel": rng.choice(["referral", "wechat", "walk-in", "website", "repeat"]),
                    "dedicated_advisor": "travel_advisor" if rng.random() < 0.15 else None,
                },
                now=now,
            )
            tier = rng.choices(["C", "B", "A"], [60, 30, 10])[0]
            if tier != "C":
                set_tier(
                    self.session,
                    customer,
                    tier,
                    by="service_supervisor",
                    reason="carried over from the old CRM",
                    now=now,
                )
            self.customers.append(customer.id)
        self.session.commit()


class Answers:
    """What a demo user types into one task's form, following the trip's plan."""

    def __init__(self, sim: Simulation, case: Case, item: WorkItem) -> None:
        self.sim = sim
        self.rng = sim.rng
        self.case = case
        self.item = item
        self.data = case.data or {}
        self.today = sim.today().isoformat()

    def build(self) -> dict[str, Any]:
        method = getattr(self, self.item.bpmn_id, None)
        return method() if method is not None else self.generic()

    def trip(self) -> TripPlan | None:
        return self.sim.trips.get(self.case.id)

    # planning
    def collect_needs(self) -> dict[str, Any]:
        plan = self.trip()
        assert plan is not None
        budget = plan.per_day * plan.days * plan.travellers * self.rng.uniform(0.9, 1.3)
        answer = {
            "purpose": plan.purpose,
            "destination": plan.destination,
            "start_date": plan.start.isoformat(),
            "end_date": (plan.start + timedelta(days=plan.days - 1)).isoformat(),
            "travellers": plan.travellers,
            "budget": round(budget, -2),
            "preferences": self.rng.choice(
                [
                    "慢节奏 relaxed pace",
                    "美食 good food",
                    "少走路 little walking",
                    "五星酒店 five-star hotels",
                    "当地体验 local experiences",
                ]
            ),
        }
        if plan.customer_id:
            answer["customer_id"] = plan.customer_id
        else:
            answer["new_customer"] = plan.new_customer
        return answer

    def design_itinerary(self) -> dict[str, Any]:
        plan = self.trip()
        days = plan.days if plan else 5
        destination = self.data.get("destination") or "—"
        itinerary = [
            {
                "day": n,
                "transport": "航班 flight"
                if n == 1
                else self.rng.choice(["包车 private car", "高铁 train", "步行 on foot", "巴士 bus"]),
                "accommodation": f"{destination} hotel",
                "attractions": f"day {n} sights",
                "meals": self.rng.choice(["早餐 breakfast", "早晚餐 breakfast and dinner", "全餐 all meals"]),
            }
            for n in range(1, min(days, 10) + 1)
        ]
        budget = float(self.data.get("budget") or 20000)
        rounds = self.sim.rounds[(self.case.id, "design_itinerary")]
        price = budget * self.rng.uniform(0.95, 1.15) * (0.96**rounds)
        return {"itinerary": itinerary, "quoted_price": round(price, -2)}

    def review_itinerary(self) -> dict[str, Any]:
        plan = self.trip()
        if plan is not None and plan.rejections > 0:
            plan.rejections -= 1
            return {"approved": False, "review_comments": self.rng.choice(REVIEW_COMMENTS)}
        return {"approved": True, "review_comments": ""}

    def present_to_customer(self) -> dict[str, Any]:
        plan = self.trip()
        if plan is not None and plan.adjustments > 0:
            plan.adjustments -= 1
            return {
                "customer_accepts": False,
                "customer_withdrew": False,
                "requested_adjustments": self.rng.choice(ADJUSTMENTS),
            }
        if plan is not None and plan.withdraw:
            return {
                "customer_accepts": False,
                "customer_withdrew": True,
                "withdrawal_reason": self.rng.choice(
                    ["价格 price", "时间冲突 dates no longer work", "选择了其他旅行社 went to a competitor"]
                ),
            }
        return {"customer_accepts": True, "customer_withdrew": False}

    def sign_contract(self) -> dict[str, Any]:
        return {
            "contract_number": f"HT-{self.sim.today().year}-{self.case.id:05d}",
            "signed_on": self.today,
            "total_price": float(self.data.get("quoted_price") or self.data.get("budget") or 10000),
        }

    def arrange_bookings(self) -> dict[str, Any]:
        ref = lambda prefix: f"{prefix}{self.rng.randint(100000, 999999)}"  # noqa: E731
        return {
            "bookings": [
                {
                    "kind": "transport",
                    "supplier": self.rng.choice(
                        ["中国国航 Air China", "东方航空 China Eastern", "全日空 ANA"]
                    ),
                    "reference": ref("PNR"),
                },
                {
                    "kind": "hotel",
                    "supplier": f"{self.data.get('destination', '')} hotel",
                    "reference": ref("H"),
                },
                {"kind": "other", "supplier": "地接社 local agency", "reference": ref("G")},
            ]
        }

    def send_confirmation_letter(self) -> dict[str, Any]:
        return {"sent_via": self.rng.choice(["email", "wechat", "sms"]), "sent_on": self.today}

    def pre_trip_call(self) -> dict[str, Any]:
        return {
            "details_confirmed": True,
            "documents_reminded": True,
            "call_notes": "护照、签证已确认 passports checked",
        }

    # feedback
    def _feedback(self) -> dict[str, Any]:
        plan = self.trip()
        satisfaction, nps = (plan.satisfaction, plan.nps) if plan else (4, 8)
        complaint = plan is not None and plan.category == "complaint"
        answer = {
            "satisfaction": satisfaction,
            "nps": nps,
            "has_complaint": complaint,
            "comments": {5: "非常满意 wonderful trip", 4: "整体不错 good overall", 3: "一般 average"}.get(
                satisfaction, "很失望 disappointed"
            ),
        }
        if complaint and plan is not None and plan.complaint is not None:
            answer["complaint_details"] = plan.complaint.details
        if plan is not None and plan.category == "improvement":
            answer["suggestion"] = self.rng.choice(
                [
                    "希望增加自由活动时间 more free time",
                    "行前说明会更详细 a fuller briefing before departure",
                    "提供电子版行程单 an e-itinerary please",
                ]
            )
        return answer

    def revisit_call(self) -> dict[str, Any]:
        return {**self._feedback(), "called_on": self.today}

    def collect_survey(self) -> dict[str, Any]:
        return {**self._feedback(), "survey_channel": self.rng.choice(["sms", "questionnaire", "wechat"])}

    def supervisor_intervention(self) -> dict[str, Any]:
        return {
            "customer_contacted": True,
            "intervention_notes": "主管致电致歉 supervisor called to apologise",
            "goodwill_offer": self.rng.choice([0, 200, 500]),
        }

    def classify_feedback(self) -> dict[str, Any]:
        plan = self.trip()
        category = plan.category if plan else "praise"
        answer = {"category": category, "topic": plan.topic if plan else "other"}
        if category == "complaint" and plan is not None and plan.complaint is not None:
            answer["urgency"] = plan.complaint.urgency
            answer["topic"] = plan.complaint.topic
        return answer

    def invite_review(self) -> dict[str, Any]:
        return {
            "review_invited": True,
            "invite_channel": self.rng.choice(["wechat", "sms", "email"]),
            "incentive_offered": "下次出行立减500元 500 CNY off the next trip",
        }

    # complaints
    def resolve_complaint(self) -> dict[str, Any]:
        plan = self.sim.complaint_plan(self.case.id)
        return {
            "complaint_details": (plan.details if plan else None)
            or self.data.get("complaint_details")
            or "complaint",
            "resolution": self.rng.choice(
                [
                    "致歉并退还差价 apology and refund of the difference",
                    "更换酒店 moved to another hotel",
                    "赠送下次旅行优惠券 voucher for the next trip",
                ]
            ),
            "compensation": self.rng.choice([0, 200, 500, 800, 1500]),
            "responsible_party": self.rng.choices(
                ["supplier", "agency", "customer", "other"], [55, 30, 10, 5]
            )[0],
        }

    def escalate_complaint(self) -> dict[str, Any]:
        return {
            "escalation_action": self.rng.choice(["take_over", "guide_agent", "contact_customer"]),
            "escalation_notes": "主管跟进 supervisor following up",
        }

    def follow_up_call(self) -> dict[str, Any]:
        plan = self.sim.complaint_plan(self.case.id)
        number = self.sim.rounds[(self.case.id, "follow_up_call")]
        satisfied = plan.satisfied[min(number, len(plan.satisfied) - 1)] if plan else True
        return {"customer_satisfied": satisfied, "notes": "" if satisfied else "客户仍不满意 still unhappy"}

    def escalate_follow_up(self) -> dict[str, Any]:
        return {
            "follow_up_action": self.rng.choice(["take_over", "contact_customer"]),
            "follow_up_escalation_notes": "回访超时 follow-up overdue",
        }

    # change requests
    def submit_change_request(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id) or ChangePlan("other", True, 0, True)
        answer = {
            "change_type": plan.change_type,
            "reason": "客户要求 customer's request",
            "details": {
                "hotel": "升级房型 room upgrade",
                "dates": "推迟出发 later departure",
                "activities": "增加一日游 add a day trip",
                "flight": "改签航班 other flight",
                "travellers": "增加一位同行人 one more traveller",
            }.get(plan.change_type, "其他 other"),
        }
        if plan.change_type == "dates":
            start = date.fromisoformat(self.data["start_date"]) + timedelta(days=self.rng.randint(1, 3))
            end = date.fromisoformat(self.data["end_date"]) + (
                start - date.fromisoformat(self.data["start_date"])
            )
            answer.update(new_start_date=start.isoformat(), new_end_date=end.isoformat())
        return answer

    def review_change(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id) or ChangePlan("other", True, 0, True)
        return {
            "approved": plan.approved,
            "impact_assessment": "供应商可调整 supplier can accommodate"
            if plan.approved
            else "供应商无法调整 supplier cannot change",
            "supplier_contacted": True,
            "cost_delta": plan.cost_delta if plan.approved else 0,
        }

    def explain_fee_change(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id)
        return {"customer_agrees": plan.agrees if plan else True}

    def notify_customer(self) -> dict[str, Any]:
        return {"notified_via": self.rng.choice(["phone", "wechat"]), "notified_on": self.today}

    # tiering and the quarterly review
    def review_tier_changes(self) -> dict[str, Any]:
        proposals = self.data.get("proposed_tier_changes") or []
        overrides = []
        downgrades = [p for p in proposals if p.get("proposed_tier", "C") > p.get("current_tier", "C")]
        if downgrades and self.rng.random() < 0.6:
            keep = self.rng.choice(downgrades)
            overrides.append(
                {
                    "customer_id": keep["customer_id"],
                    "tier": keep["current_tier"],
                    "reason": "老客户，口碑推荐多 loyal customer who refers friends",
                }
            )
        return {"overrides": overrides, "review_notes": f"{len(proposals)} proposals checked"}

    def notify_tier_changes(self) -> dict[str, Any]:
        return {
            "tier_changes": [
                {
                    **{
                        k: v
                        for k, v in row.items()
                        if k in ("customer_id", "name", "old_tier", "new_tier", "benefits")
                    },
                    "contacted": True,
                    "contact_notes": "电话告知 told by phone",
                }
                for row in self.data.get("tier_changes") or []
            ]
        }

    def review_metrics(self) -> dict[str, Any]:
        findings = metric_findings(self.data.get("metrics") or {})
        return {
            "findings": findings,
            "actions": [
                {
                    "action": "供应商质量复查 review hotel and transport suppliers",
                    "owner": "service_supervisor",
                    "due_date": (self.sim.today() + timedelta(days=30)).isoformat(),
                },
                {
                    "action": "缩短方案审核等待 shorten plan review waiting",
                    "owner": "project_manager",
                    "due_date": (self.sim.today() + timedelta(days=45)).isoformat(),
                },
            ],
        }

    def triage_improvements(self) -> dict[str, Any]:
        return {
            "triage": [
                {
                    "item_id": row["item_id"],
                    "summary": row.get("summary", ""),
                    "decision": self.rng.choices(["accepted", "rejected", "deferred"], [50, 20, 30])[0],
                }
                for row in self.data.get("triage") or []
                if row.get("item_id")
            ],
            "triage_notes": "季度分拣 quarterly triage",
        }

    def generic(self) -> dict[str, Any]:
        """A sensible answer to any form: its required fields filled by type."""
        bundle = self.sim.rt.specs.get(self.sim.session, self.case.version)
        info = bundle.user_tasks.get(self.item.bpmn_id)
        schema = bundle.form(info.form_file if info else None) or {}
        answer: dict[str, Any] = {}
        for name in schema.get("required", []):
            spec = schema.get("properties", {}).get(name, {})
            kind = spec.get("type")
            if "enum" in spec:
                answer[name] = spec["enum"][0]
            elif kind == "boolean":
                answer[name] = True
            elif kind in ("number", "integer"):
                answer[name] = spec.get("minimum", 0)
            elif kind == "array":
                answer[name] = self.data.get(name) or []
            elif spec.get("format") == "date":
                answer[name] = self.today
            else:
                answer[name] = "ok"
        return answer


def demo_history_exists() -> bool:
    return db.session.scalar(select(Case.id).where(Case.process_key == "trip").limit(1)) is not None


def load_demo_history(
    app: Flask, *, trips: int = 300, days: int = 365, seed: int = 20261123, end: datetime | None = None
) -> str:
    """A year (``days``) of history ending now (or ``end``), with ``trips`` customer enquiries.

    Refuses when trips exist already, or when the demo users are missing. Returns a summary.
    """
    started = wallclock.monotonic()
    session = db.session
    if demo_history_exists():
        return "demo history exists already: nothing loaded"
    names = [username for username, _display, _roles in DEMO_USERS]
    present = set(session.scalars(select(User.username).where(User.username.in_(names))))
    if set(names) - present:
        return "the demo users are missing (flask demo --users-only first): nothing loaded"
    rt = app.extensions["tripflow"]
    original = rt.clock
    end = end or original.now()
    start = end - timedelta(days=days)
    clock = FixedClock(start)
    rt.clock = clock
    rng = random.Random(seed)
    users = {username: Actor(username, frozenset(roles)) for username, _display, roles in DEMO_USERS}
    sim = Simulation(session, rt, clock, rng, start, end, users)
    try:
        sim.seed_customers(max(10, trips * 3 // 8))
        zone = sim.zone
        first_day = start.astimezone(zone).date()
        for n in range(days + 1):
            sim.at(datetime.combine(first_day + timedelta(days=n), time(0, 10), tzinfo=zone), sim.daily)
        for enquiry in _enquiry_times(rng, start, end - timedelta(days=1), trips, zone):
            sim.at(enquiry, lambda when=enquiry: sim.enquire(sim.plan_trip(when)))
        sim.run()
    finally:
        rt.clock = original
        session.rollback()
    return _summary(sim, wallclock.monotonic() - started)


MONTH_WEIGHTS = {
    1: 1.3,
    2: 0.9,
    3: 0.8,
    4: 1.0,
    5: 1.2,
    6: 1.3,
    7: 1.1,
    8: 0.9,
    9: 1.2,
    10: 1.0,
    11: 0.8,
    12: 1.0,
}


def _enquiry_times(
    rng: random.Random, start: datetime, end: datetime, count: int, zone: ZoneInfo
) -> list[datetime]:
    """``count`` enquiries in office hours, more in the busy months (before the holidays)."""
    found: list[datetime] = []
    span = (end - start).total_seconds()
    while len(found) < count:
        moment = start + timedelta(seconds=rng.uniform(0, span))
        local = moment.astimezone(zone)
        if rng.random() * 1.3 > MONTH_WEIGHTS[local.month]:
            continue
        office = local.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0, microsecond=0)
        found.append(office)
    return sorted(found)


def _summary(sim: Simulation, seconds: float) -> str:
    session = db.session
    by_status = session.execute(
        select(Case.process_key, Case.status, func.count(Case.id))
        .group_by(Case.process_key, Case.status)
        .order_by(Case.process_key)
    ).all()
    open_tasks = session.scalar(select(func.count(WorkItem.id)).where(WorkItem.status.in_(OPEN)))
    customers = session.scalar(select(func.count(Customer.id)))
    session.rollback()
    lines = [f"demo history loaded in {seconds:.0f} s: {customers} customers, {open_tasks} open tasks"]
    lines += [f"  {key:24s} {status:10s} {count}" for key, status, count in by_status]
    if sim.problems:
        lines.append(f"{len(sim.problems)} problem(s):")
        lines += [f"  {p}" for p in sim.problems[:20]]
    return "\n".join(lines)
