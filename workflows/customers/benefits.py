"""What each tier is promised, written from the rules the mechanisms run on [000 §4.1].

The tier-change notice (``notify_tier_changes``) and the customer card both read ``benefits_of``,
so neither promises what does not exist: every entry is backed by a mechanism, and every number in
it is read from the DMN table that mechanism uses. An entry whose table is not deployed is left out
(``priority_booking``, ``news`` and ``member_events`` are run by the route, campaign and event
parts; their numbers come from their tables when those exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workflows.customers.decision_tables import UnreadableRule, decide
from workflows.customers.points import earning_terms, redemption_terms


@dataclass(frozen=True)
class Benefit:
    key: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "zh": self.zh, "en": self.en, "text": f"{self.zh} / {self.en}"}


# Benefits whose mechanism lives in another part: (decision id, output read, the tier's inputs).
# Their text has a number only when that decision is deployed and answers for the tier.
OTHER_PARTS = {
    "priority_booking": ("booking_days_early", "days_early"),
    "member_events": ("event_invitation_lead", "lead_days"),
}


def _number(session: Session, decision: str, output: str, tier: str) -> Any:
    try:
        found = decide(session, decision, {"customer_tier": tier, "member_tier": tier})
    except UnreadableRule:
        return None
    return (found or {}).get(output)


def _points(session: Session, tier: str) -> Benefit | None:
    earning = earning_terms(session, tier)
    if not earning or not earning.get("cny_per_point"):
        return None
    rate = f"{float(earning['cny_per_point']):g}"
    months = int(earning.get("points_expiry_months") or 0)
    worth = redemption_terms(session, tier)
    value_zh = f"，{worth.points} 积分抵 {worth.cny:g} 元" if worth and worth.points else ""
    value_en = f"; {worth.points} points = {worth.cny:g} CNY off" if worth and worth.points else ""
    return Benefit(
        "points",
        f"旅行积分：每消费 {rate} 元积 1 分{value_zh}，有效期 {months} 个月",
        f"Travel points: 1 point per {rate} CNY spent{value_en}, valid {months} months",
    )


def _priority_booking(session: Session, tier: str) -> Benefit:
    days = _number(session, *OTHER_PARTS["priority_booking"], tier)
    if days:
        return Benefit(
            "priority_booking",
            f"热门线路提前 {int(days)} 天预订",
            f"Book popular routes {int(days)} days before general release",
        )
    return Benefit("priority_booking", "热门线路优先预订", "Priority booking on popular routes")


def _member_events(session: Session, tier: str) -> Benefit:
    days = _number(session, *OTHER_PARTS["member_events"], tier)
    if days:
        return Benefit(
            "member_events",
            f"会员活动提前 {int(days)} 天邀请",
            f"Invited to member events {int(days)} days before others",
        )
    return Benefit("member_events", "会员活动优先邀请", "First invitations to member events")


def benefits_of(session: Session, tier: str | None, discount_rate: float | None = None) -> list[Benefit]:
    """The tier's benefits, in the order the card lists them.

    ``discount_rate`` is the B-tier quote discount (``handlers.planning.TIER_DISCOUNT``) when the
    caller knows it; without it the discount is named without a number.
    """
    tier = tier or "C"
    found: list[Benefit] = []
    if tier == "A":
        found += [
            Benefit(
                "dedicated_advisor", "专属旅游顾问定制行程", "A dedicated travel advisor designs your trips"
            ),
            Benefit("priority_service", "所有事务优先处理", "Your requests are handled first"),
            Benefit("birthday_gift", "生日礼品与祝福", "A birthday gift and greetings"),
        ]
    if tier == "B":
        if discount_rate:
            off = f"{100 - discount_rate * 100:g}"
            found.append(
                Benefit("discount", f"报价 {off} 折优惠", f"{discount_rate * 100:g} % off quoted prices")
            )
        else:
            found.append(Benefit("discount", "报价折扣优惠", "A discount on quoted prices"))
    points = _points(session, tier)
    if points:
        found.append(points)
    if tier == "A":
        found.append(_priority_booking(session, tier))
    if tier in ("A", "B"):
        found.append(Benefit("news", "新线路与优惠资讯", "News of new routes and promotions"))
        found.append(_member_events(session, tier))
    if tier == "C":
        found.append(
            Benefit(
                "standard_service",
                "标准服务；旺季优先安排",
                "Standard service; considered first in peak season",
            )
        )
    return found


def benefits_text(session: Session, tier: str | None, discount_rate: float | None = None) -> str:
    """One line for a checklist: the Chinese and English of every benefit."""
    items = benefits_of(session, tier, discount_rate)
    return "；".join(b.zh for b in items) + " / " + "; ".join(b.en for b in items)
