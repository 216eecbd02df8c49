"""The narrow view of the world a handler gets: the case, its data, the customer, documents, the clock.

Handlers never see the Flask request, the database session or a SpiffWorkflow task: each thing a
handler may do (save the trip, file a document, read or create a customer, record a tier change,
read the metrics, triage the backlog) is one method here, writing inside the step's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import metrics
from workflows.customers import operations as customer_service
from workflows.customers.queries import service_records
from workflows.engine.today import local_date
from workflows.models import Customer, Document, Improvement, Trip
from workflows.permissions import Actor


@dataclass(frozen=True)
class OutgoingMessage:
    case_id: int
    name: str
    payload: dict[str, Any]


@dataclass
class HandlerContext:
    _session: Session
    case_id: int
    data: dict[str, Any]
    actor: Actor
    now: datetime
    timezone: str
    outbox: list[OutgoingMessage] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return local_date(self.now, self.timezone)

    # customers
    def customer(self, customer_id: int) -> Customer:
        return customer_service.get_customer(self._session, customer_id)

    def create_customer(self, fields: dict[str, Any]) -> Customer:
        return customer_service.create_customer(self._session, fields, now=self.now)

    def all_customers(self) -> list[Customer]:
        """Every customer, oldest first."""
        return list(self._session.scalars(select(Customer).order_by(Customer.id)))

    def customer_spend(self, customer_id: int) -> customer_service.Spend:
        """What the customer spent on trips signed in the 12 months up to today."""
        return customer_service.spend_last_12_months(self._session, customer_id, self.today)

    def record_tier_change(self, customer: Customer, tier: str, reason: str | None) -> None:
        """Set the customer's tier, with history naming this case, its actor and the reason."""
        customer_service.set_tier(
            self._session,
            customer,
            tier,
            by=self.actor.username,
            reason=reason,
            now=self.now,
            case_id=self.case_id,
        )

    def customer_has_open_complaint(self, customer_id: int) -> bool:
        from workflows.customers.queries import has_open_complaint

        return has_open_complaint(self._session, customer_id)

    # trips
    def trip_of_case(self, case_id: int | None = None) -> Trip | None:
        return self._session.scalars(select(Trip).where(Trip.case_id == (case_id or self.case_id))).first()

    def save_trip(self, **fields: Any) -> Trip:
        trip = self.trip_of_case()
        if trip is None:
            trip = Trip(case_id=self.case_id, updated_at=self.now)
            self._session.add(trip)
        for key, value in fields.items():
            setattr(trip, key, value)
        trip.updated_at = self.now
        self._session.flush()
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
        self._session.add(document)
        self._session.flush()
        return document

    def add_pdf_copy(self, document: Document) -> Document:
        """A PDF copy of an HTML document for the customer to keep, rendered after the step commits."""
        from workflows.cases.renditions import add_pdf_copy

        return add_pdf_copy(self._session, document)

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
        self._session.add(item)
        self._session.flush()
        return item

    def service_records(self, since: datetime) -> dict[int, dict[str, int]]:
        """Per customer, complaints and low ratings since ``since``: what the tier review weighs."""
        return service_records(self._session, since)

    def open_improvements(self) -> list[Improvement]:
        """Backlog items not yet decided (open or deferred), oldest first."""
        return list(
            self._session.scalars(
                select(Improvement)
                .where(Improvement.status.in_(("open", "deferred")))
                .order_by(Improvement.id)
            )
        )

    def triage_improvement(self, item_id: int, decision: str | None) -> bool:
        """Record a backlog decision; False (and nothing written) for an unknown item or decision."""
        item = self._session.get(Improvement, item_id)
        if item is None or decision not in ("accepted", "rejected", "deferred"):
            return False
        item.status = decision
        item.triaged_at = self.now
        return True

    # figures
    def metrics_of(self, period: metrics.Period) -> dict[str, dict[str, Any]]:
        """Every quarterly review metric for ``period``, as ``GET /api/v1/metrics`` shows them."""
        return metrics.metrics_json(self._session, period, self.now)

    def add_comment(self, text: str) -> None:
        """A note in the case's history, written by the system."""
        from workflows.audit import record

        record(self._session, "comment", self.now, case_id=self.case_id, user="system", text=text)

    # other cases
    def send_message(self, case_id: int, name: str, payload: dict[str, Any]) -> None:
        """Delivered to ``case_id`` after this step, in the same transaction."""
        self.outbox.append(OutgoingMessage(case_id, name, payload))

    # variables of the whole case, not of one token
    def share(self, **values: Any) -> None:
        """Set case variables on every waiting path of the case, not only the one this step runs on.

        SpiffWorkflow keeps data per token: a list a side path appends to (a customer rating, a daily
        report) would otherwise be lost when that path ends, and the main path would not see it.
        """
        self.shared.update(values)

    # during the trip (issue 17)
    def partners_for(self, destination: str | None) -> list[dict[str, Any]]:
        """The emergency partners at ``destination``, as the guide's and the supervisor's tasks show them."""
        from workflows.partners.operations import partner_view, partners_for

        if not destination:
            return []
        return [
            {k: v for k, v in partner_view(p).items() if k not in ("updated_at", "updated_by")}
            for p in partners_for(self._session, destination)
        ]

    def holds_role(self, username: str, role: str) -> bool:
        """``username`` is an active user with ``role`` (a guide named on a trip must be one)."""
        from workflows.people.users import find_user

        user = find_user(self._session, username)
        return user is not None and user.active and role in {r.role for r in user.role_rows}

    def other_case(self, case_id: Any) -> tuple[str, str, dict[str, Any]] | None:
        """Process, status and data of another case (the trip an incident belongs to), or None."""
        from workflows.models import Case

        if not isinstance(case_id, int) or isinstance(case_id, bool) or not 0 < case_id < 2**31:
            return None
        case = self._session.get(Case, case_id)
        return None if case is None else (case.process_key, case.status, dict(case.data or {}))

    def tell_roles_task_late(self, bpmn_id: str, roles: list[str]) -> None:
        """The open task ``bpmn_id`` of this case is late: the people of ``roles`` are told."""
        from workflows.models import WorkItem
        from workflows.people.notifications import notify_roles_overdue
        from workflows.permissions import OPEN

        item = self._session.scalars(
            select(WorkItem).where(
                WorkItem.case_id == self.case_id, WorkItem.bpmn_id == bpmn_id, WorkItem.status.in_(OPEN)
            )
        ).first()
        if item is not None:
            notify_roles_overdue(self._session, item, self.now, roles)
