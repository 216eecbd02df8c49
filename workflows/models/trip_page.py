"""The customer's trip page (its links and the ratings given there) and crisis notices with the trips
they reached."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base
from workflows.models.core import UTCDateTime

# --- the customer's trip page and crisis notices (issue 17, parts 3 and 7) -----------------


class TripLink(Base):
    """A customer's link to their trip page: only the SHA-256 of the token is kept.

    It expires 30 days after the trip's end date, read from the trip case at every use, so it
    moves with the dates; revoking sets ``revoked_at`` and a reissue makes a new row.
    """

    __tablename__ = "trip_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class TripRating(Base):
    """A customer's rating from the trip page; kept whether or not the trip case awaited it."""

    __tablename__ = "trip_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # message customer_rating caught


class CrisisNotice(Base):
    """A supervisor's notice to everyone travelling to, or booked for, a destination in a date range."""

    __tablename__ = "crisis_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)  # option keys: keep, move_dates, cancel_refund
    destination: Mapped[str] = mapped_column(String(200))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by: Mapped[str] = mapped_column(String(64))


class CrisisNoticeTrip(Base):
    """One affected trip of a notice: its follow-up case and the customer's answer."""

    __tablename__ = "crisis_notice_trip"
    __table_args__ = (UniqueConstraint("notice_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("crisis_notice.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    follow_up_case_id: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(String(32))
    answer_notes: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))  # "customer" or a user name
    change_case_id: Mapped[int | None] = mapped_column(Integer)
