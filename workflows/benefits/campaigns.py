"""News and promotions for B-tier and above [000 §4.1: 定期收到旅行社的独家旅游资讯和优惠活动信息].

The account manager writes a campaign with a target (a tier threshold and, optionally, an
interest matched against what the customer told us and where they travelled). Sending records one
delivery per customer reached, in one transaction; customers who opted out are never reached. The
e-mails leave after commit (``campaign_mail``), like every other notice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.benefits.checks import check, get_or_404
from workflows.errors import Conflict
from workflows.models import Campaign, CampaignDelivery, Case, Customer, PromotionOptOut, Trip
from workflows.permissions import EDIT_CUSTOMERS, WRITE_CAMPAIGNS, Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

TIER_ORDER = {"A": 0, "B": 1, "C": 2}
CAMPAIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "body": {"type": "string", "minLength": 1, "maxLength": 8000},
        "min_tier": {"enum": ["A", "B", "C"]},
        "interest": {"type": ["string", "null"], "maxLength": 100},
    },
    "required": ["title", "body", "min_tier"],
    "additionalProperties": False,
}
OPT_OUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"opted_out": {"type": "boolean"}},
    "required": ["opted_out"],
    "additionalProperties": False,
}


def create(session: Session, rt: Runtime, fields: Any, actor: Actor) -> Campaign:
    """A draft campaign; ``Invalid`` names the wrong fields."""
    actor.require(WRITE_CAMPAIGNS, "writing campaigns")
    data = check(CAMPAIGN_SCHEMA, fields)
    with unit_of_work(session):
        campaign = Campaign(
            title=data["title"],
            body=data["body"],
            min_tier=data["min_tier"],
            interest=(data.get("interest") or "").strip() or None,
            created_by=actor.username,
            created_at=rt.clock.now(),
        )
        session.add(campaign)
        session.flush()
    return campaign


def _interests(session: Session, customer_ids: list[int]) -> dict[int, str]:
    """What each customer told us and where they went, lower-cased, to match an interest against."""
    words: dict[int, list[str]] = {cid: [] for cid in customer_ids}
    for cid, destination in session.execute(
        select(Trip.customer_id, Trip.destination).where(Trip.customer_id.in_(customer_ids))
    ):
        words[cid].append(destination or "")
    for cid, data in session.execute(
        select(Case.customer_id, Case.data).where(
            Case.customer_id.in_(customer_ids), Case.process_key.in_(("trip", "itinerary_planning"))
        )
    ):
        data = data or {}
        words[cid] += [str(data.get(k) or "") for k in ("preferences", "destination", "purpose")]
    return {cid: " ".join(w).lower() for cid, w in words.items()}


def targets(session: Session, campaign: Campaign) -> list[Customer]:
    """Whom a campaign reaches: tier at or above its threshold, the interest matched, not opted out."""
    tiers = [t for t, order in TIER_ORDER.items() if order <= TIER_ORDER[campaign.min_tier]]
    opted_out = select(PromotionOptOut.customer_id)
    customers = list(
        session.scalars(
            select(Customer)
            .where(Customer.tier.in_(tiers), Customer.id.not_in(opted_out))
            .order_by(Customer.id)
        )
    )
    if not campaign.interest:
        return customers
    wanted = campaign.interest.lower()
    interests = _interests(session, [c.id for c in customers])
    return [c for c in customers if wanted in interests.get(c.id, "")]


def send(session: Session, rt: Runtime, campaign_id: int, actor: Actor) -> list[CampaignDelivery]:
    """Sends a campaign once: one delivery per target (an e-mail when the customer has an address)."""
    actor.require(WRITE_CAMPAIGNS, "sending campaigns")
    with unit_of_work(session):
        campaign = get_or_404(session, Campaign, campaign_id, "campaign", lock=True)
        if campaign.sent_at is not None:
            raise Conflict("the campaign was already sent", [{"code": "already_sent"}])
        now = rt.clock.now()
        deliveries = [
            CampaignDelivery(
                campaign_id=campaign.id,
                customer_id=customer.id,
                at=now,
                channel="email" if customer.email else "record",
                email_status="pending" if customer.email else None,
            )
            for customer in targets(session, campaign)
        ]
        session.add_all(deliveries)
        campaign.sent_at = now
        session.flush()
    return deliveries


def set_opt_out(session: Session, rt: Runtime, customer_id: int, fields: Any, actor: Actor) -> bool:
    """Records that a customer wants (or again accepts) no news or promotions; answers the new state."""
    actor.require(EDIT_CUSTOMERS, "changing a customer's opt-out")
    data = check(OPT_OUT_SCHEMA, fields)
    with unit_of_work(session):
        get_or_404(session, Customer, customer_id, "customer")
        row = session.get(PromotionOptOut, customer_id)
        if data["opted_out"] and row is None:
            session.add(PromotionOptOut(customer_id=customer_id, at=rt.clock.now(), by=actor.username))
        elif not data["opted_out"] and row is not None:
            session.delete(row)
        session.flush()
    return bool(data["opted_out"])


def opted_out(session: Session, customer_id: int) -> bool:
    return session.get(PromotionOptOut, customer_id) is not None


def all_campaigns(session: Session, limit: int = 200) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))


def deliveries_of(session: Session, campaign_id: int) -> list[tuple[CampaignDelivery, str]]:
    return [
        (d, name)
        for d, name in session.execute(
            select(CampaignDelivery, Customer.name)
            .join(Customer, Customer.id == CampaignDelivery.customer_id)
            .where(CampaignDelivery.campaign_id == campaign_id)
            .order_by(CampaignDelivery.id)
        )
    ]


def received_by(session: Session, customer_id: int) -> list[tuple[CampaignDelivery, Campaign]]:
    """What a customer received, newest first (for the customer card)."""
    return [
        (d, c)
        for d, c in session.execute(
            select(CampaignDelivery, Campaign)
            .join(Campaign, Campaign.id == CampaignDelivery.campaign_id)
            .where(CampaignDelivery.customer_id == customer_id)
            .order_by(CampaignDelivery.at.desc())
        )
    ]


def campaign_view(session: Session, campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "title": campaign.title,
        "body": campaign.body,
        "min_tier": campaign.min_tier,
        "interest": campaign.interest,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at.isoformat(),
        "sent_at": campaign.sent_at.isoformat() if campaign.sent_at else None,
        "deliveries": [
            {
                "customer_id": d.customer_id,
                "customer_name": name,
                "at": d.at.isoformat(),
                "channel": d.channel,
                "email_status": d.email_status,
            }
            for d, name in deliveries_of(session, campaign.id)
        ],
    }


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    return get_or_404(session, Campaign, campaign_id, "campaign")
