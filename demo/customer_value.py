"""The demo's customer value and case handbook (issue 18): trips carried over from the old CRM,
so the value view and the churn list have customers who drifted away; a spread of win-back
outcomes; and the last month's 《服务案例手册》 published by the supervisor."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workflows.deploy.queries import latest_version
from workflows.errors import TripflowError
from workflows.handbook import operations as handbook_service
from workflows.models import Case, Customer, Trip

if TYPE_CHECKING:
    from demo.answers import Answers
    from demo.simulator import Simulation

OUTCOME_NOTES = {
    "won_back": "电话沟通后预订了春季行程",
    "not_interested": "近期没有出行计划",
    "unreachable": "电话未接通，已发微信留言",
    "later": "约好下个季度再联系",
}
OLD_TRIP_PRICES = {"A": (30000, 80000), "B": (10000, 30000), "C": (3000, 10000)}
OLD_DESTINATIONS = ("三亚", "丽江", "京都", "清迈", "巴厘岛", "北海道")
LESSONS = (
    "出发前与地接社再次确认餐厅与菜单，特殊饮食写进确认函。",
    "接送时间变化要同时通知客户和司机，并在群里留痕。",
    "酒店房型以书面确认为准，入住前一天再核对一次。",
    "投诉先道歉、再核实、后补偿，24 小时内回访确认满意度。",
    "导游每日讲解前清点人数，老人和儿童单独照应。",
)


def win_back(answers: Answers) -> dict[str, Any]:
    """What an account manager records after calling a churned customer."""
    outcome = answers.rng.choices(list(OUTCOME_NOTES), [35, 20, 20, 25])[0]
    return {"outcome": outcome, "notes": OUTCOME_NOTES[outcome]}


def carry_over_trips(sim: Simulation) -> int:
    """Trips of the year before the history, from the old CRM (as the seeded tiers are): about a
    half of the seeded customers, A and B tiers more often, signed 2 to 18 months before it."""
    version = latest_version(sim.session, "trip")
    start = sim.today()
    count = 0
    for customer in sim.session.scalars(select(Customer).where(Customer.id.in_(sim.customers))):
        if sim.rng.random() > {"A": 0.9, "B": 0.8}.get(customer.tier, 0.4):
            continue
        low, high = OLD_TRIP_PRICES.get(customer.tier, OLD_TRIP_PRICES["C"])
        signed = start - timedelta(days=sim.rng.randint(60, 540))
        departure = signed + timedelta(days=sim.rng.randint(14, 60))
        destination = sim.rng.choice(OLD_DESTINATIONS)
        case = Case(
            process_key="trip",
            process_version_id=version.id,
            status="completed",
            started_at=sim.now(),
            started_by="system",
            ended_at=sim.now(),
            updated_at=sim.now(),
            state=b"",
            serializer_version="",
            data={"imported_from": "旧 CRM 系统", "customer_name": customer.name, "destination": destination},
            customer_id=customer.id,
            customer_name=customer.name,
            customer_tier=customer.tier,
            destination=destination,
            start_date=departure,
            end_date=departure + timedelta(days=6),
        )
        sim.session.add(case)
        sim.session.flush()
        sim.session.add(
            Trip(
                case_id=case.id,
                customer_id=customer.id,
                destination=destination,
                start_date=departure,
                end_date=departure + timedelta(days=6),
                travellers=2,
                total_price=round(sim.rng.uniform(low, high), -2),
                contract_number=f"OLD-{case.id}",
                signed_on=signed,
                updated_at=sim.now(),
            )
        )
        count += 1
    sim.session.commit()
    return count


def publish_last_handbook(sim: Simulation) -> str | None:
    """The supervisor publishes last month's handbook from the cases finished lately (10–15)."""
    today = sim.today()
    last = today.replace(day=1) - timedelta(days=1)
    month = f"{last.year}-{last.month:02d}"
    supervisor = sim.actor("service_supervisor")
    try:
        picks = handbook_service.candidates(sim.session, sim.rt, supervisor, month)
    except TripflowError:
        return None
    if len(picks) < handbook_service.MIN_CASES:
        return None
    chosen = picks[: handbook_service.MAX_CASES - 3]
    body = {
        "month": month,
        "entries": [
            {"case_id": c["case_id"], "lesson": LESSONS[n % len(LESSONS)]} for n, c in enumerate(chosen)
        ],
    }
    try:
        handbook_service.publish(sim.session, sim.rt, supervisor, body)
    except TripflowError as exc:
        sim.problems.append(f"case handbook: {exc.message} {exc.details}")
        return None
    return month
