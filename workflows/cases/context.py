"""The narrow view of the world a handler gets: the case, its data, the customer, documents, the clock.

Handlers never see the Flask request, the session or a SpiffWorkflow task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflows.customers import operations as customer_service
from workflows.models import Customer, Document, Improvement, Trip
from workflows.permissions import Actor


@dataclass(frozen=True)
class OutgoingMessage:
    case_id: int
    name: str
    payload: dict[str, Any]


@dataclass
class HandlerContext:
    session: Session
    case_id: int
    data: dict[str, Any]
    actor: Actor
    now: datetime
    timezone: str
    outbox: list[OutgoingMessage] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.timezone)).date()

    # customers
    def customer(self, customer_id: int) -> Customer:
        return customer_service.get_customer(self.session, customer_id)

    def create_customer(self, fields: dict[str, Any]) -> Customer:
        return customer_service.create_customer(self.session, fields, now=self.now)

    def customer_has_open_complaint(self, customer_id: int) -> bool:
        from workflows.customers.queries import has_open_complaint

        return has_open_complaint(self.session, customer_id)

    # trips
    def trip_of_case(self, case_id: int | None = None) -> Trip | None:
        from sqlalchemy import select

        return self.session.scalars(select(Trip).where(Trip.case_id == (case_id or self.case_id))).first()

    def save_trip(self, **fields: Any) -> Trip:
        trip = self.trip_of_case()
        if trip is None:
            trip = Trip(case_id=self.case_id, updated_at=self.now)
            self.session.add(trip)
        for key, value in fields.items():
            setattr(trip, key, value)
        trip.updated_at = self.now
        self.session.flush()
        return trip

    # documents and the backlog
    def add_document(
        self, name: str, kind: str, content_type: str, content: bytes, case_id: int | None = None
    ) -> Document:
        document = Document(
            case_id=case_id or self.case_id,
            name=name,
            kind=kind,
            content_type=content_type,
            content=content,
            size=len(content),
            created_at=self.now,
            created_by=self.actor.username,
        )
        self.session.add(document)
        self.session.flush()
        return document

    def add_improvement(
        self, text: str, topic: str | None = None, customer_id: int | None = None
    ) -> Improvement:
        item = Improvement(
            case_id=self.case_id,
            customer_id=customer_id,
            topic=topic,
            text=text,
            status="open",
            created_at=self.now,
        )
        self.session.add(item)
        self.session.flush()
        return item

    def add_comment(self, text: str) -> None:
        """A note in the case's history, written by the system."""
        from workflows.audit import record

        record(self.session, "comment", self.now, case_id=self.case_id, user="system", text=text)

    # other cases
    def send_message(self, case_id: int, name: str, payload: dict[str, Any]) -> None:
        """Delivered to ``case_id`` after this step, in the same transaction."""
        self.outbox.append(OutgoingMessage(case_id, name, payload))
