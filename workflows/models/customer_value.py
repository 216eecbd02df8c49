"""Customer value: the profile card, trip settlements, the points ledger, win-back attempts, route
complaint alerts and the monthly case handbook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base
from workflows.models.core import UTCDateTime

# --- customer value: the cards after a trip, settlement, points --------------------------------


class CustomerProfile(Base):
    """What the customer likes and needs, kept in structured form (seed 004's 客户资料卡).

    One row per customer, written by ``collect_needs`` and the card after each trip; every task
    about the customer shows it. The JSON shapes are checked by ``workflows.customers.profile_card``.
    """

    __tablename__ = "customer_profile"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dietary, room, pace, interests
    special_needs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # mobility, medical, children
    family: Mapped[str | None] = mapped_column(Text)
    occasions: Mapped[str | None] = mapped_column(Text)
    offer_next: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_in_case: Mapped[int | None] = mapped_column(Integer)


class TripSettlement(Base):
    """Finance's settlement of one trip after return: what was paid, what suppliers cost, the margin."""

    __tablename__ = "trip_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    trip_id: Mapped[int | None] = mapped_column(ForeignKey("trip.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    amount_paid: Mapped[float] = mapped_column(Numeric(12, 2))
    supplier_costs: Mapped[float] = mapped_column(Numeric(12, 2))
    margin: Mapped[float] = mapped_column(Numeric(12, 2))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_by: Mapped[str] = mapped_column(String(64))


class PointsEntry(Base):
    """One line of a customer's points ledger (A-tier 高额积分): earned, redeemed or expired.

    An earned line carries ``expires_at``; an expiry line names the earned line it closes
    (``lot_id``), so a lot lapses once. The balance is the sum of ``delta``.
    """

    __tablename__ = "points_entry"
    __table_args__ = (Index("ix_points_entry_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))  # earned, redeemed, expired
    case_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lot_id: Mapped[int | None] = mapped_column(Integer, unique=True)


# --- customer value and the figures a manager acts on (issue 18, parts 3–4) ----------------


class WinBack(Base):
    """One win-back attempt per churned customer per half-year (``2027H1``): listed by the
    win_back_campaign, its outcome recorded by the account manager's ``win_back`` task."""

    __tablename__ = "win_back"
    __table_args__ = (UniqueConstraint("customer_id", "half_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    half_year: Mapped[str] = mapped_column(String(8))
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # idle, spend_drop
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # won_back, not_interested, unreachable, later
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RouteTopicAlert(Base):
    """A route whose complaints on one topic passed the threshold in a quarter: the improvement
    item filed for it, so that it is filed once per route, topic and quarter."""

    __tablename__ = "route_topic_alert"
    __table_args__ = (UniqueConstraint("route", "topic", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(40))
    quarter: Mapped[str] = mapped_column(String(8))
    share: Mapped[float] = mapped_column(Numeric(6, 2))
    improvement_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseHandbook(Base):
    """One month's 《服务案例手册》 [003 §6.1]: 10–15 finished complaints or incidents, each with its
    lesson, published by the supervisor; the PDF is drawn from the stored page on first download."""

    __tablename__ = "case_handbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # 2026-11
    title: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(64))
    html: Mapped[bytes] = mapped_column(LargeBinary)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseHandbookEntry(Base):
    """One case of a handbook, in the order the supervisor put it, with the lesson drawn from it."""

    __tablename__ = "case_handbook_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    handbook_id: Mapped[int] = mapped_column(ForeignKey("case_handbook.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # complaint, incident
    summary: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str] = mapped_column(Text)
