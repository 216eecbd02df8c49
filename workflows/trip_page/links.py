"""The signed link to a customer's trip page: a random token, kept only as its SHA-256.

A link lives until 30 days after the trip's end date, read from the trip case each time it is
used, so it follows changed dates. Staff revoke it or issue a new one (which revokes the old).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.engine.today import local_date
from workflows.errors import NotFound
from workflows.models import Case, TripLink
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work

LINK_LIFETIME_AFTER_RETURN = timedelta(days=30)
TRIP_LINK_ROLES = frozenset({"account_manager", "customer_service", "service_supervisor"})
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PAGE_PATH = "/trip/"


class LinkGone(Exception):
    """The link was real but no longer opens the page (revoked, or past its expiry): 410."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "revoked" or "expired"


@dataclass(frozen=True)
class TripAccess:
    """What a valid link opens: exactly one trip case."""

    case_id: int
    link_id: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, case_id: int, by: str, now: datetime) -> str | None:
    """A new link for a trip case (older ones revoked), inside the caller's transaction.

    None for a case that is not a trip: only a trip has a customer page.
    """
    case = session.get(Case, case_id)
    if case is None or case.process_key != "trip":
        return None
    session.execute(
        update(TripLink)
        .where(TripLink.case_id == case_id, TripLink.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    token = secrets.token_urlsafe(24)
    session.add(TripLink(case_id=case_id, token_hash=token_hash(token), created_at=now, created_by=by))
    session.flush()
    return token


def reissue_trip_link(session: Session, rt: Runtime, case_id: int, actor: Actor) -> str:
    """Staff send the customer a new link; the old one stops working at once. Returns the token."""
    actor.require(TRIP_LINK_ROLES, "issuing a trip page link")
    with unit_of_work(session):
        now = rt.clock.now()
        token = issue_link(session, _trip_id(session, case_id), actor.username, now)
        assert token is not None
        record(session, "comment", now, case_id=case_id, user=actor.username, text="trip page link issued")
    return token


def revoke_trip_links(session: Session, rt: Runtime, case_id: int, actor: Actor) -> int:
    """Every link of the trip stops working; returns how many were live."""
    actor.require(TRIP_LINK_ROLES, "revoking a trip page link")
    with unit_of_work(session):
        now = rt.clock.now()
        trip_id = _trip_id(session, case_id)
        revoked = session.execute(
            update(TripLink)
            .where(TripLink.case_id == trip_id, TripLink.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=actor.username)
        ).rowcount
        record(session, "comment", now, case_id=case_id, user=actor.username, text="trip page link revoked")
    return int(revoked or 0)


def _trip_id(session: Session, case_id: int) -> int:
    case = session.get(Case, case_id) if isinstance(case_id, int) and 0 < case_id < 2**31 else None
    if case is None or case.process_key != "trip":
        raise NotFound(f"trip case {case_id} does not exist")
    return case.id


def live_link_of(session: Session, case_id: int) -> TripLink | None:
    return session.scalars(
        select(TripLink)
        .where(TripLink.case_id == case_id, TripLink.revoked_at.is_(None))
        .order_by(TripLink.id.desc())
    ).first()


def resolve(session: Session, token: str, now: datetime, timezone: str) -> TripAccess:
    """The trip a token opens; NotFound for a token never issued, LinkGone for revoked or expired."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        raise NotFound("no such link")
    link = session.scalars(select(TripLink).where(TripLink.token_hash == token_hash(token))).first()
    if link is None:
        raise NotFound("no such link")
    if link.revoked_at is not None:
        raise LinkGone("revoked")
    case = session.get(Case, link.case_id)
    if case is None:
        raise NotFound("no such link")
    end = case.end_date
    if end is not None and local_date(now, timezone) > end + LINK_LIFETIME_AFTER_RETURN:
        raise LinkGone("expired")
    return TripAccess(case_id=case.id, link_id=link.id)
