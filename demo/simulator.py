"""`flask demo`: a year of varied agency history, made by driving the real case service.

Nothing is inserted behind the engine's back: customers are created through the customer
service, every trip is a real ``trip`` case whose tasks the demo users claim and complete with
``workflows.cases.operations``; timers fire through ``fire_due_timers`` and calendar processes
(tiering, the quarterly review, birthday reminders) start through ``run_schedules``. A discrete-event
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

from demo import customer_value, during_trip
from demo.answers import Answers
from demo.benefits import schedule_benefits
from demo.names import (
    COMPLAINT_TEXT,
    DEFAULT_DELAY,
    DELAYS,
    DESTINATIONS,
    ENGLISH,
    GIVEN,
    MONTH_WEIGHTS,
    PURPOSES,
    SURNAMES,
    TOPIC_WEIGHTS,
    TOPICS,
)
from demo.plans import ChangePlan, ComplaintPlan, TripPlan
from webapp.extensions import db
from webapp.setup import DEMO_USERS
from workflows.cases import operations as case_service
from workflows.cases.schedules import run_schedules
from workflows.cases.timer_hold import LEASE, hold_timers, release_timers
from workflows.customers.operations import create_customer, set_tier
from workflows.engine.clock import FixedClock
from workflows.errors import TripflowError
from workflows.models import Case, Customer, Timer, User, WorkItem
from workflows.people.notifications import mark_all_read, warn_deadlines
from workflows.permissions import OPEN, SYSTEM, Actor

HOLDER = "demo"  # the lease on the timers the demo takes while it simulates its year


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
    held_at: float = field(default_factory=wallclock.monotonic)
    last_change_asked: datetime | None = None  # when a change request was last planned

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
            fired = case_service.fire_due_timers(self.session, self.rt, SYSTEM, holder=HOLDER)
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
            for _ in range(max(plan.changes, self._change_overdue())):
                latest = departure - timedelta(days=3)
                if latest > self.now() + timedelta(days=1):
                    moment = self.now() + (latest - self.now()) * self.rng.uniform(0.1, 0.9)
                    self.at(moment, self.request_change, case_id)
                    self.last_change_asked = self.now()
            if plan.complaint_during_trip is not None:
                moment = departure + timedelta(hours=self.rng.uniform(10, 24 * max(plan.days - 1, 1)))
                self.at(moment, self.complain_on_the_road, case_id)

    def _change_overdue(self) -> int:
        """1 when no change request was planned for a month: an agency sees some every month, and
        a quarter's change-request figure must not be empty by the luck of the draw."""
        last = self.last_change_asked
        return 1 if last is None or self.now() - last > timedelta(days=30) else 0

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

    def keep_holding(self) -> None:
        """Renew the lease on the timers well before it runs out (wall-clock time, not simulated)."""
        if wallclock.monotonic() - self.held_at > LEASE.total_seconds() / 5:
            hold_timers(self.session, HOLDER)
            self.held_at = wallclock.monotonic()

    def settle(self) -> None:
        """End the year as a worker beside the agency would have left it: the deadline notices of
        tasks late by the last day written, and a year of notices read by the people they told,
        so the bell shows what comes after the demo, and the worker finds nothing stale to announce."""
        while warn_deadlines(self.session, self.now()):
            pass
        for username in self.users:
            mark_all_read(self.session, self.actor(username), self.now())

    def daily(self) -> None:
        """What the timer worker does each night: calendar starts (tiering, reviews, birthdays)."""
        self.keep_holding()
        try:
            started = run_schedules(self.session, self.rt, holder=HOLDER)
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


def any_case_exists() -> bool:
    """Whether the database has any case: ``make run`` loads the demo only into a new one."""
    found = db.session.scalar(select(Case.id).limit(1)) is not None
    db.session.rollback()
    return found


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
    hold_timers(session, HOLDER)  # a timer worker beside the demo must not fire its year at today's time
    try:
        sim.seed_customers(max(10, trips * 3 // 8))
        schedule_benefits(sim)  # departures, a campaign, a member event in the last month
        customer_value.carry_over_trips(sim)
        during_trip.prepare(sim)
        zone = sim.zone
        first_day = start.astimezone(zone).date()
        for n in range(days + 1):
            sim.at(datetime.combine(first_day + timedelta(days=n), time(0, 10), tzinfo=zone), sim.daily)
        for enquiry in _enquiry_times(rng, start, end - timedelta(days=1), trips, zone):
            sim.at(enquiry, lambda when=enquiry: sim.enquire(sim.plan_trip(when)))
        sim.run()
        customer_value.publish_last_handbook(sim)
        sim.settle()
        from demo.trip_page import add_trip_page_demo

        notes = add_trip_page_demo(sim)
    finally:
        rt.clock = original
        session.rollback()
        release_timers(session, HOLDER)
    return "\n".join([_summary(sim, wallclock.monotonic() - started), *notes])


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
