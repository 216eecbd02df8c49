"""Tier benefits that exist [000 §4.1]: popular routes with their bookings and waitlists, campaigns with
their deliveries and opt-outs, member events with their invitations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base
from workflows.models.core import UTCDateTime

# --- tier benefits: popular routes, campaigns, member events [000 §4.1] ------------------------


class Departure(Base):
    """A scheduled group departure of a popular route: what A-tier customers may book early."""

    __tablename__ = "departure"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_name: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer)
    price: Mapped[float] = mapped_column(Numeric(12, 2))
    peak_season: Mapped[bool] = mapped_column(Boolean, default=False)
    release_on: Mapped[date] = mapped_column(Date)
    itinerary: Mapped[Any] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DepartureBooking(Base):
    """A customer's seats on a departure, or their place on its waitlist (``rank`` then ``requested_at``)."""

    __tablename__ = "departure_booking"
    __table_args__ = (Index("ix_departure_booking_queue", "departure_id", "status", "rank", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("departure.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    travellers: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))  # booked, waitlisted, cancelled
    member_tier: Mapped[str] = mapped_column(String(8))  # A, B, C or new, when asked
    rank: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(64))


class Campaign(Base):
    """News or a promotion for a target group (tier threshold, optional interest)."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    min_tier: Mapped[str] = mapped_column(String(1))  # A, B or C: that tier and above
    interest: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignDelivery(Base):
    """Who received which campaign, when and how (the record seed 000 asks for)."""

    __tablename__ = "campaign_delivery"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))  # email, or record (no address: passed on by hand)
    email_status: Mapped[str | None] = mapped_column(String(16))  # pending, sent, failed


class PromotionOptOut(Base):
    """A customer who asked to receive no news or promotions."""

    __tablename__ = "promotion_opt_out"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(64))


class MemberEvent(Base):
    """A member event with a capacity; invitations go out by tier, B and above first."""

    __tablename__ = "member_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    invitations_from: Mapped[date] = mapped_column(Date)  # the first wave's day
    invited_on: Mapped[date | None] = mapped_column(Date)  # the worker's last invitation round: once a day
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventInvitation(Base):
    """One customer invited to one event: the RSVP, the waitlist place and the attendance."""

    __tablename__ = "event_invitation"
    __table_args__ = (UniqueConstraint("event_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("member_event.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # invited, attending, waitlisted, declined
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)
    email_status: Mapped[str | None] = mapped_column(
        String(16)
    )  # pending, sent, failed, skipped; None: no address
