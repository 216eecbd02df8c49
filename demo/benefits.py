"""The tier benefits in the demo year [000 §4.1]: popular-route departures (one sold out, with a
waitlist and a cancellation that moves its head up), a campaign for B-tier islanders with one
customer opted out, and a member event whose invitations go out B-first.

Everything goes through the same workflows operations the pages call, at simulated times in the
last month of the history, so the Routes, Campaigns and Events pages and the customer cards
have something to show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workflows.benefits import campaigns, departures, events
from workflows.errors import TripflowError
from workflows.models import Customer

ITINERARY = {
    "丽江": [
        {"day": 1, "transport": "航班", "accommodation": "古城客栈", "attractions": "丽江古城"},
        {
            "day": 2,
            "transport": "大巴",
            "accommodation": "古城客栈",
            "attractions": "玉龙雪山",
            "meals": "纳西宴",
        },
    ],
    "三亚": [
        {"day": 1, "transport": "航班", "accommodation": "亚龙湾酒店", "attractions": "亚龙湾"},
        {
            "day": 2,
            "transport": "游船",
            "accommodation": "亚龙湾酒店",
            "attractions": "蜈支洲岛",
            "meals": "海鲜",
        },
    ],
    "北海道": [
        {"day": 1, "transport": "航班", "accommodation": "登别温泉", "attractions": "地狱谷"},
        {"day": 2, "transport": "电车", "accommodation": "札幌酒店", "attractions": "小樽运河"},
    ],
}


def schedule_benefits(sim: Any) -> None:
    """Puts the benefit actions on the simulation's queue, in its last month."""
    end = sim.end
    sim.at(max(sim.start, end - timedelta(days=30)), _departures, sim)
    sim.at(max(sim.start, end - timedelta(days=21)), _event, sim)
    sim.at(max(sim.start, end - timedelta(days=10)), _campaign, sim)


def _by_tier(sim: Any) -> dict[str, list[int]]:
    rows = sim.session.execute(select(Customer.id, Customer.tier).order_by(Customer.id)).all()
    sim.session.rollback()
    found: dict[str, list[int]] = {"A": [], "B": [], "C": []}
    for customer_id, tier in rows:
        found[tier].append(customer_id)
    return found


def _try(sim: Any, what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except TripflowError as exc:
        sim.problems.append(f"benefits, {what}: {exc.message} {exc.details}")
        return None


def _departures(sim: Any) -> None:
    today = sim.today()
    advisor, manager = sim.actor("travel_advisor"), sim.actor("account_manager")
    routes = [
        ("经典丽江雪山之旅", "丽江", 40, 5, 4200, False, 10),
        ("三亚海岛春节团", "三亚", 25, 2, 6800, True, 1),
        ("北海道温泉冬游", "北海道", 75, 8, 12800, True, 50),
    ]
    made = []
    for name, destination, starts_in, seats, price, peak, release_in in routes:
        start = today + timedelta(days=starts_in)
        fields = {
            "route_name": name,
            "destination": destination,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=5)).isoformat(),
            "seats": seats,
            "price": price,
            "peak_season": peak,
            "release_on": (today + timedelta(days=release_in)).isoformat(),
            "itinerary": ITINERARY[destination],
        }
        made.append(
            _try(sim, "a departure", departures.create_departure, sim.session, sim.rt, fields, advisor)
        )
    tiers = _by_tier(sim)
    lijiang, sanya, _hokkaido = made
    if lijiang is not None:  # A-tier customers book before release
        for customer_id in tiers["A"][:2]:
            _try(
                sim,
                "an early booking",
                departures.book,
                sim.session,
                sim.rt,
                lijiang.id,
                {"customer_id": customer_id},
                manager,
            )
    if sanya is not None:
        sim.at(sim.now() + timedelta(days=2), _sell_out, sim, sanya.id, tiers)


def _sell_out(sim: Any, departure_id: int, tiers: dict[str, list[int]]) -> None:
    """The peak-season departure fills up; the rest wait in tier order; a cancellation moves the head up."""
    manager = sim.actor("account_manager")
    queue = tiers["C"][:3] + tiers["B"][:2] + tiers["A"][2:3]
    bookings = []
    for customer_id in queue:
        booking = _try(
            sim,
            "a booking",
            departures.book,
            sim.session,
            sim.rt,
            departure_id,
            {"customer_id": customer_id},
            manager,
        )
        if booking is not None:
            bookings.append(booking.id)
        sim.clock.set(sim.now() + timedelta(minutes=20))
    if bookings:
        sim.at(sim.now() + timedelta(days=3), _cancel, sim, bookings[0])


def _cancel(sim: Any, booking_id: int) -> None:
    _try(
        sim,
        "a cancellation",
        departures.cancel,
        sim.session,
        sim.rt,
        booking_id,
        sim.actor("account_manager"),
    )


def _event(sim: Any) -> None:
    today = sim.today()
    fields = {
        "title": "会员新春茶话会",
        "description": "与旅行顾问一起品茶，聊聊明年的旅行计划。",
        "location": "公司会客厅",
        "starts_at": (sim.now() + timedelta(days=25))
        .astimezone(sim.zone)
        .replace(hour=15, minute=0, second=0, microsecond=0)
        .isoformat(),
        "capacity": 6,
        "invitations_from": (today + timedelta(days=1)).isoformat(),
    }
    event = _try(sim, "an event", events.create, sim.session, sim.rt, fields, sim.actor("account_manager"))
    if event is not None:
        for days in (1, 8):  # the B-and-above wave, then C a week later
            sim.at(sim.now() + timedelta(days=days, hours=1), _invite_and_answer, sim, event.id)


def _invite_and_answer(sim: Any, event_id: int) -> None:
    _try(sim, "invitations", events.invite_due, sim.session, sim.rt)
    staff = sim.actor("customer_service")
    for invitation, _customer in events.invitations_of(sim.session, event_id):
        if invitation.status == "invited" and sim.rng.random() < 0.7:
            answer = "yes" if sim.rng.random() < 0.8 else "no"
            _try(
                sim,
                "an RSVP",
                events.record_rsvp,
                sim.session,
                sim.rt,
                invitation.id,
                {"answer": answer},
                staff,
            )
    sim.session.rollback()


def _campaign(sim: Any) -> None:
    tiers = _by_tier(sim)
    if tiers["B"]:  # one customer asked to hear nothing more
        _try(
            sim,
            "an opt-out",
            campaigns.set_opt_out,
            sim.session,
            sim.rt,
            tiers["B"][0],
            {"opted_out": True},
            sim.actor("customer_service"),
        )
    manager = sim.actor("account_manager")
    campaign = _try(
        sim,
        "a campaign",
        campaigns.create,
        sim.session,
        sim.rt,
        {
            "title": "海岛冬季早鸟优惠",
            "body": "B 级及以上会员专享：三亚、巴厘岛、马尔代夫海岛线路 12 月底前预订享 9 折。",
            "min_tier": "B",
        },
        manager,
    )
    if campaign is not None:
        _try(sim, "sending a campaign", campaigns.send, sim.session, sim.rt, campaign.id, manager)
    draft = {
        "title": "丽江雪山摄影团",
        "body": "喜欢丽江的老朋友：春季摄影团开放报名。",
        "min_tier": "C",
        "interest": "丽江",
    }
    _try(sim, "a draft campaign", campaigns.create, sim.session, sim.rt, draft, manager)
