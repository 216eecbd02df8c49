"""What the customer's trip page shows: this trip only, read through its link.

Nothing here names another trip, a staff user name or an internal note: the guide and the
account manager appear by display name, the agency by its public hotline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Case, CrisisNotice, CrisisNoticeTrip, Document, Trip, TripRating
from workflows.people.names import display_names
from workflows.runtime import Runtime
from workflows.trip_page.actions import alternatives_of, open_incidents
from workflows.trip_page.links import resolve

AGENCY_HOTLINE = "400-800-8888"  # the number the confirmation letter gives (24 h)


@dataclass
class TripPage:
    case_id: int
    customer_name: str
    destination: str
    start_date: date | None
    end_date: date | None
    travellers: Any
    itinerary: list[dict[str, Any]]
    guide_name: str | None
    account_manager_name: str | None
    hotline: str
    letter_id: int | None
    letter_pdf_id: int | None
    ratings: list[TripRating]
    complaints: list[Case]
    changes: list[Case]
    incidents: list[dict[str, Any]]
    notices: list[dict[str, Any]] = field(default_factory=list)
    days: int = 1


def trip_page(session: Session, rt: Runtime, token: str) -> TripPage:
    """Everything the page shows, for the trip the link opens (NotFound / LinkGone otherwise)."""
    access = resolve(session, token, rt.clock.now(), rt.timezone)
    case = session.get(Case, access.case_id)
    assert case is not None
    data = case.data or {}
    record = session.scalars(select(Trip).where(Trip.case_id == case.id)).first()
    itinerary = [
        d
        for d in ((record.itinerary if record else None) or data.get("itinerary") or [])
        if isinstance(d, dict)
    ]
    guide, manager = data.get("tour_guide"), data.get("trip_account_manager")
    names = display_names(session, [g for g in (guide, manager) if isinstance(g, str)])
    letter, pdf = _letter(session, case.id)
    children = list(session.scalars(select(Case).where(Case.parent_id == case.id).order_by(Case.id)))
    start = (record.start_date if record else None) or case.start_date
    end = (record.end_date if record else None) or case.end_date
    return TripPage(
        case_id=case.id,
        customer_name=str(data.get("customer_name") or case.customer_name or ""),
        destination=str((record.destination if record else None) or case.destination or ""),
        start_date=start,
        end_date=end,
        travellers=(record.travellers if record else None) or data.get("travellers"),
        itinerary=itinerary,
        guide_name=names.get(guide) or (guide if isinstance(guide, str) and guide else None),
        account_manager_name=names.get(manager) if isinstance(manager, str) else None,
        hotline=AGENCY_HOTLINE,
        letter_id=letter.id if letter else None,
        letter_pdf_id=pdf.id if pdf else None,
        ratings=list(
            session.scalars(
                select(TripRating).where(TripRating.case_id == case.id).order_by(TripRating.id.desc())
            )
        ),
        complaints=[c for c in children if c.process_key == "complaint_handling"],
        changes=[c for c in children if c.process_key == "change_request"],
        incidents=[
            {
                "id": i.id,
                "kind": (i.data or {}).get("kind"),
                "details": (i.data or {}).get("details"),
                "alternatives": alternatives_of(i),
            }
            for i in open_incidents(session, case.id)
        ],
        notices=notices_of_trip(session, case.id),
        days=len(itinerary) or ((end - start).days + 1 if start and end else 1),
    )


def _letter(session: Session, case_id: int) -> tuple[Document | None, Document | None]:
    """The newest confirmation letter (a reissue after a change wins) and its PDF copy when drawn."""
    rows = list(
        session.scalars(
            select(Document)
            .where(Document.case_id == case_id, Document.kind == "confirmation_letter")
            .order_by(Document.id.desc())
        )
    )
    html = next((d for d in rows if d.rendered_from is None), None)
    pdf = next((d for d in rows if html and d.rendered_from == html.id and d.size), None)
    return html, pdf


def letter_document(session: Session, rt: Runtime, token: str, pdf: bool) -> Document | None:
    """The letter (or its PDF) of the trip the link opens; None when there is none yet."""
    access = resolve(session, token, rt.clock.now(), rt.timezone)
    html, copy = _letter(session, access.case_id)
    return copy if pdf else html


def notices_of_trip(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CrisisNoticeTrip, CrisisNotice)
        .join(CrisisNotice, CrisisNotice.id == CrisisNoticeTrip.notice_id)
        .where(CrisisNoticeTrip.case_id == case_id)
        .order_by(CrisisNotice.id.desc())
    )
    return [
        {
            "id": link.id,
            "title": notice.title,
            "text": notice.text,
            "options": list(notice.options or []),
            "sent_at": notice.sent_at,
            "answer": link.answer,
            "answered_at": link.answered_at,
            "change_case_id": link.change_case_id,
        }
        for link, notice in rows
    ]
