"""The narrow view of the world a handler gets: the case, its data, the customer, documents, the clock.

Handlers never see the Flask request, the database session or a SpiffWorkflow task: each thing a
handler may do (save the trip, file a document, read or create a customer, record a tier change,
read the metrics, triage the backlog) is one method here, writing inside the step's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class OutgoingStart:
    """A case a handler asks to start after its step, in the same transaction (its parent from
    ``trip_case_id``); ``on_started`` gets the new case (to note its id where the handler wants)."""

    process_key: str
    data: dict[str, Any]
    on_started: Callable[[Any], None] | None = None


@dataclass
class HandlerContext:
    _session: Session
    case_id: int
    data: dict[str, Any]
    actor: Actor
    now: datetime
    timezone: str
    outbox: list[OutgoingMessage] = field(default_factory=list)
    starts: list[OutgoingStart] = field(default_factory=list)
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

    # customer value (issue 18): win-back and route complaint alerts
    def list_for_win_back(self, rules: dict[str, Any]) -> list[dict[str, Any]]:
        """Churned customers to win back this half-year, recorded as listed by this case."""
        from workflows.customers.winback import list_for_win_back

        return list_for_win_back(self._session, rules, today=self.today, now=self.now, case_id=self.case_id)

    def record_win_back(self, customer_id: Any, outcome: Any, notes: Any) -> None:
        from workflows.customers.winback import record_outcome

        record_outcome(
            self._session, self.case_id, customer_id, outcome, notes, by=self.actor.username, now=self.now
        )

    def file_route_alerts(self, figure: dict[str, Any], quarter: str) -> list[dict[str, Any]]:
        """An improvement item per route and topic over the threshold, once per quarter."""
        from workflows.metrics.route_alerts import file_route_alerts

        return file_route_alerts(self._session, figure, quarter, now=self.now, case_id=self.case_id)

    def add_comment(self, text: str) -> None:
        """A note in the case's history, written by the system."""
        from workflows.audit import record

        record(self._session, "comment", self.now, case_id=self.case_id, user="system", text=text)

    # other cases
    def send_message(self, case_id: int, name: str, payload: dict[str, Any]) -> None:
        """Delivered to ``case_id`` after this step, in the same transaction."""
        self.outbox.append(OutgoingMessage(case_id, name, payload))

    def start_case(
        self, process_key: str, data: dict[str, Any], on_started: Callable[[Any], None] | None = None
    ) -> None:
        """Started after this step, in the same transaction (a crisis answer opening a change request)."""
        self.starts.append(OutgoingStart(process_key, data, on_started))

    # the customer's trip page (issue 17)
    def issue_trip_link(self) -> str | None:
        """A new link to the trip's customer page (None when this case is not a trip)."""
        from workflows.trip_page.links import issue_link

        return issue_link(self._session, self.case_id, self.actor.username, self.now)

    def record_crisis_answer(self, notice_trip_id: Any, answer: str, notes: str, by: str) -> bool:
        """The customer's answer to a crisis notice, on the trip; False when already recorded."""
        from workflows.trip_page.crisis import record_answer

        return record_answer(self._session, notice_trip_id, answer, notes, by, self.now)

    def note_crisis_change(self, notice_trip_id: int, change_case_id: int) -> None:
        """The change request a crisis answer opened, noted on the affected trip's row."""
        from workflows.trip_page.crisis import note_change_case

        note_change_case(self._session, notice_trip_id, change_case_id)

    # customer value: the cards after a trip, settlement, points
    def customer_profile(self, customer_id: int) -> dict[str, Any]:
        from workflows.customers.profile_card import profile_of

        return profile_of(self._session, customer_id)

    def update_customer_profile(self, customer_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Merge structured preferences and needs into the customer's profile card."""
        from workflows.customers.profile_card import update_profile

        return update_profile(
            self._session, customer_id, fields, by=self.actor.username, now=self.now, case_id=self.case_id
        )

    def add_contact(self, customer_id: int, channel: str, summary: str) -> None:
        """A contact record on the customer's card, linked to this case, by this step's actor."""
        customer_service.add_contact(
            self._session,
            customer_id,
            {"channel": channel, "summary": summary, "case_id": self.case_id},
            by=self.actor.username,
            now=self.now,
        )

    def record_settlement(self, customer_id: int | None, amount_paid: Any, supplier_costs: Any) -> Any:
        from workflows.customers.settlement import record_settlement

        return record_settlement(
            self._session,
            self.case_id,
            customer_id=customer_id,
            amount_paid=amount_paid,
            supplier_costs=supplier_costs,
            by=self.actor.username,
            now=self.now,
        )

    def earn_points(self, customer_id: int, points: int, months: int) -> Any:
        from workflows.customers import points as ledger

        return ledger.earn(
            self._session, customer_id, points, case_id=self.case_id, now=self.now, months=months
        )

    def redemption_terms(self, tier: str | None) -> Any:
        from workflows.customers import points as ledger

        return ledger.redemption_terms(self._session, tier)

    def redeem_points(self, customer_id: int, points: Any, terms: Any) -> Any:
        """Take points off the balance for this case; ``Invalid`` names ``points_redeemed``."""
        from workflows.customers import points as ledger

        return ledger.redeem(
            self._session, customer_id, points, case_id=self.case_id, now=self.now, terms=terms
        )

    def tier_benefits(self, tier: str | None) -> str:
        """The tier's benefits in one line, from the same source as the customer card."""
        from workflows.customers.benefits import benefits_text

        return benefits_text(self._session, tier)

    def copy_to_role(self, role: str, title: str, customer_name: str | None, destination: str | None) -> int:
        """A notice to everyone of ``role`` that a copy was filed on this case (抄送)."""
        from workflows.people.notifications import notify_role_copy

        return notify_role_copy(
            self._session,
            role,
            "copy_filed",
            self.now,
            case_id=self.case_id,
            title=title,
            customer_name=customer_name,
            destination=destination,
        )

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
