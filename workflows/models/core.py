"""The core tables: people, deployed models, cases with their index (work items, timers, events,
documents, notifications) and the agency's customers and trips.

The workflow state of a case is one row (``Case.state``); everything that lists or counts
(inbox, case lists, metrics) reads the index tables beside it: ``WorkItem``, ``Timer`` and the
append-only ``Event`` audit trail, all rewritten in the same transaction as the state.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.db import Base


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC and hands them back timezone-aware, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


# --- people -------------------------------------------------------------------------------


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    away_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    away_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stand_in: Mapped[str | None] = mapped_column(String(64))
    # where and how this person is told about new work (chosen on /me)
    email: Mapped[str | None] = mapped_column(String(254))
    notify_in_app: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(lazy="joined")


class LoginSession(Base):
    """A browser sign-in, checked on every request so that it can be ended server-side.

    The cookie carries a random key; only its SHA-256 is stored. Ending a row (logout, a new
    password, a lost role, a disabled account) refuses every copy of that cookie at once.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(20))
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed sign-in, counted per account and per address by every worker alike."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --- deployed models ----------------------------------------------------------------------


class ModelFile(Base):
    """A BPMN, DMN or form file, stored once by content hash and shared by every version using it."""

    __tablename__ = "model_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # bpmn, dmn, form
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ProcessVersion(Base):
    """One deployed version of one process: its own BPMN plus every file it needs to run."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_file: Mapped[str] = mapped_column(String(255))
    manifest: Mapped[dict[str, str]] = mapped_column(JSON)  # file name -> ModelFile.sha256
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64))
    # what the deploy translated in this version's own files (Camunda 7 import), as the deploy said it
    translation_notes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


# --- cases and their index ----------------------------------------------------------------


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_status_started", "status", "started_at"),
        Index("ix_case_process_status", "process_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128))
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_tier: Mapped[str | None] = mapped_column(String(1))
    destination: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # variables as of the last step
    element_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # BPMN id -> times run
    # the called versions its state holds (written by each step), so a step need not parse the state twice
    called_versions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    serializer_version: Mapped[str] = mapped_column(String(16))
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    error_element: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_before_suspend: Mapped[str | None] = mapped_column(String(16))

    version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class WorkItem(Base):
    """One human task of one case: what every inbox, badge and task metric reads."""

    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_group", "status", "lane", "priority", "sort_due", "id"),
        Index("ix_work_item_lane_due", "status", "lane", "sort_due", "id"),  # urgent bands, sort=due
        Index("ix_work_item_assignee", "assignee", "status"),
        Index("ix_work_item_claimed", "claimed_by", "status"),
        Index("ix_work_item_case", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    process_key: Mapped[str] = mapped_column(String(128))
    lane: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # ready, claimed, completed, cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sort_due: Mapped[datetime] = mapped_column(
        UTCDateTime
    )  # due_at, or far future: keyset paging needs no NULLs
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 0 = tier A first
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_tier: Mapped[str | None] = mapped_column(String(1))
    destination: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class Timer(Base):
    """A timer event a case waits on; runners pick due rows (SKIP LOCKED on PostgreSQL)."""

    __tablename__ = "timer"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Event(Base):
    """The audit trail: append-only, one row per thing that happened to a case."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_case", "case_id", "id"), Index("ix_event_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    work_item_id: Mapped[int | None] = mapped_column(Integer)
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    task_name: Mapped[str | None] = mapped_column(String(255))
    user: Mapped[str | None] = mapped_column(String(64))
    data_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    """A file a case produced or received, kept outside the workflow state."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(64))
    # a PDF copy of another (HTML) document: filed empty by the step, its bytes made after commit
    rendered_from: Mapped[int | None] = mapped_column(ForeignKey("document.id"))


class Notification(Base):
    """One thing one person is told (new work, an assignment, a deadline), or one role's group-robot post.

    Written in the step's transaction; e-mail and webhook delivery happen after commit, from the
    worker, so a slow mail server never holds a case. A row with ``username`` NULL is addressed to
    the ``role``'s group robot, and also marks that a deadline notice was produced for the task.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user", "username", "id"),
        Index("ix_notification_role", "role", "id"),
        Index("ix_notification_item", "work_item_id", "kind"),
        Index("ix_notification_email", "email_status"),
        Index("ix_notification_webhook", "webhook_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))  # task_assigned, task_in_group, due_soon, overdue
    case_id: Mapped[int | None] = mapped_column(Integer)
    work_item_id: Mapped[int | None] = mapped_column(Integer)
    task_name: Mapped[str | None] = mapped_column(String(255))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    destination: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_status: Mapped[str | None] = mapped_column(String(16))  # pending, sent, failed, skipped
    webhook_status: Mapped[str | None] = mapped_column(String(16))  # the same, for a role row


# --- the agency's domain ------------------------------------------------------------------


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    id_number: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(400))
    birthday: Mapped[date | None] = mapped_column(Date)
    segment: Mapped[str | None] = mapped_column(String(20))
    source_channel: Mapped[str | None] = mapped_column(String(60))
    tier: Mapped[str] = mapped_column(String(1), default="C", index=True)
    dedicated_advisor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TierChange(Base):
    __tablename__ = "tier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(64))
    from_tier: Mapped[str | None] = mapped_column(String(1))
    to_tier: Mapped[str] = mapped_column(String(1))
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(Integer)


class ContactRecord(Base):
    __tablename__ = "contact_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(Integer)


class Trip(Base):
    """The trip record: what was signed, for how much, when; spend and repurchase are computed from it."""

    __tablename__ = "trip"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    destination: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    travellers: Mapped[int | None] = mapped_column(Integer)
    total_price: Mapped[float | None] = mapped_column(Numeric(12, 2))
    contract_number: Mapped[str | None] = mapped_column(String(64))
    signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    itinerary: Mapped[Any] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Improvement(Base):
    """The improvement backlog that the quarterly review triages."""

    __tablename__ = "improvement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    topic: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, accepted, rejected, deferred
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduleRun(Base):
    """One row per scheduled start that happened (``customer_tiering:2027H1``), so it happens once."""

    __tablename__ = "schedule_run"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(Integer)


class TimerHold(Base):
    """A lease on the timers: while one is unexpired, only its holder fires timers or starts calendar
    processes (the demo's simulated year, which must not see the timer worker fire its timers at
    the real time). A holder that dies stops holding when ``until`` passes."""

    __tablename__ = "timer_hold"

    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedFilter(Base):
    """A case-list filter a user keeps ("my overdue A-tier trips")."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("username", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="cases", server_default="cases")  # or inbox
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdentityNumberView(Base):
    """The privacy audit trail: who saw a customer's full identity number, and when (append-only)."""

    __tablename__ = "identity_number_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))  # api or page


# --- speed: one notice per role, read per user ---------------------------------------------------


class NotificationRead(Base):
    """That one user read one role-addressed notice (a group task tells its lane with one row)."""

    __tablename__ = "notification_read"

    notification_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
