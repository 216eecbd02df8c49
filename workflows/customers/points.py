"""The points ledger (A-tier 高额积分 [000 §4.1]): earned on settled trips, redeemed on contracts, lapsing.

Every change is a ``points_entry`` row, so the card shows the history and the balance is their sum.
Redemptions use the points that lapse soonest first; a lot of earned points lapses at its
``expires_at`` by whatever of it is left then. The timer worker writes those expiry lines
(``expire_due``); until it has, every balance read counts them already, so the balance never
depends on when the worker last ran. Rates, the redemption value and the validity come from the
DMN table ``points_rules``; none is written here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.customers.decision_tables import decide
from workflows.errors import Invalid
from workflows.models import PointsEntry

FIELD = "points_redeemed"


@dataclass(frozen=True)
class RedemptionTerms:
    """``points`` points are worth ``cny`` CNY off a price (DMN ``points_rules``)."""

    points: int
    cny: float

    def value_of(self, points: int) -> float:
        return round(points / self.points * self.cny, 2) if self.points else 0.0


def redemption_terms(session: Session, tier: str | None = None) -> RedemptionTerms | None:
    """The deployed redemption rule; None when no ``points_rules`` decision is deployed."""
    found = decide(session, "points_rules", {"customer_tier": tier})
    if not found:
        return None
    return RedemptionTerms(int(found.get("redeem_points") or 0), float(found.get("redeem_cny") or 0))


def earning_terms(session: Session, tier: str | None) -> dict[str, Any] | None:
    """``{cny_per_point, points_expiry_months, ...}`` for a tier (DMN ``points_rules``), or None."""
    return decide(session, "points_rules", {"customer_tier": tier})


def points_for(amount: float, cny_per_point: float) -> int:
    """Whole points for an amount paid; none when the rate is 0 (the tier earns nothing)."""
    if not cny_per_point or cny_per_point <= 0 or amount <= 0:
        return 0
    return int(amount // cny_per_point)


def add_months(at: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it is shorter)."""
    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC instants."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entries(session: Session, customer_id: int) -> list[PointsEntry]:
    return list(
        session.scalars(
            select(PointsEntry).where(PointsEntry.customer_id == customer_id).order_by(PointsEntry.id)
        )
    )


def pending_lapses(entries: list[PointsEntry], as_of: datetime) -> list[tuple[PointsEntry, int]]:
    """Lots past their expiry with no expiry line yet, and how many points each loses.

    What is left of a lot is the balance minus the lots that lapse after it (those are untouched
    while it has anything left, since redemptions use the soonest-lapsing points first).
    """
    rows = [e for e in entries if _aware(e.at) <= as_of]
    balance = sum(e.delta for e in rows)
    closed = {e.lot_id for e in rows if e.lot_id}
    lots = sorted(
        (e for e in rows if e.reason == "earned" and e.expires_at is not None and e.id not in closed),
        key=lambda e: (_aware(e.expires_at), e.id),
    )
    lapses: list[tuple[PointsEntry, int]] = []
    for index, lot in enumerate(lots):
        if _aware(lot.expires_at) > as_of:
            break
        later = sum(e.delta for e in lots[index + 1 :])
        lost = max(0, min(lot.delta, balance - later))
        lapses.append((lot, lost))
        balance -= lost
    return lapses


def balance_of(entries: list[PointsEntry], as_of: datetime) -> int:
    rows = [e for e in entries if _aware(e.at) <= as_of]
    return sum(e.delta for e in rows) - sum(lost for _lot, lost in pending_lapses(entries, as_of))


def balance(session: Session, customer_id: int, now: datetime) -> int:
    """Points the customer holds at ``now``, lapsed lots already taken off."""
    return balance_of(_entries(session, customer_id), now)


def lapse_due(session: Session, customer_id: int, now: datetime) -> list[PointsEntry]:
    """Write the expiry line of every lot past its expiry (one per lot, at the expiry instant)."""
    written = []
    for lot, lost in pending_lapses(_entries(session, customer_id), now):
        line = PointsEntry(
            customer_id=customer_id,
            delta=-lost,
            reason="expired",
            case_id=lot.case_id,
            at=_aware(lot.expires_at),
            lot_id=lot.id,
        )
        session.add(line)
        written.append(line)
    session.flush()
    return written


def expire_due(session: Session, now: datetime) -> int:
    """The timer worker's sweep: expiry lines for every customer with a lapsed lot. Does not commit."""
    lapsed = select(PointsEntry.customer_id).where(
        PointsEntry.reason == "earned", PointsEntry.expires_at <= now
    )
    closed = select(PointsEntry.lot_id).where(PointsEntry.lot_id.is_not(None))
    customers = set(session.scalars(lapsed.where(PointsEntry.id.not_in(closed)).distinct()))
    return sum(len(lapse_due(session, customer_id, now)) for customer_id in sorted(customers))


def earn(
    session: Session, customer_id: int, points: int, *, case_id: int | None, now: datetime, months: int
) -> PointsEntry | None:
    """Credit points for a settled trip, valid ``months`` months; nothing for 0 points."""
    lapse_due(session, customer_id, now)
    if points <= 0:
        return None
    entry = PointsEntry(
        customer_id=customer_id,
        delta=points,
        reason="earned",
        case_id=case_id,
        at=now,
        expires_at=add_months(now, months),
    )
    session.add(entry)
    session.flush()
    return entry


def redeem(
    session: Session,
    customer_id: int,
    points: Any,
    *,
    case_id: int | None,
    now: datetime,
    terms: RedemptionTerms,
) -> PointsEntry | None:
    """Take ``points`` off the balance for a discount; ``Invalid`` naming ``points_redeemed`` when
    they are not a whole number of redemption blocks or more than the customer holds."""
    if points in (None, "", 0):
        return None
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise _refused("must be a whole number of points, 0 or more", "type")
    if terms.points <= 0 or points % terms.points:
        raise _refused(f"points are redeemed in blocks of {terms.points}", "multipleOf")
    lapse_due(session, customer_id, now)
    held = balance(session, customer_id, now)
    if points > held:
        raise _refused(f"the customer holds {held} points", "maximum")
    entry = PointsEntry(customer_id=customer_id, delta=-points, reason="redeemed", case_id=case_id, at=now)
    session.add(entry)
    session.flush()
    return entry


def _refused(message: str, code: str) -> Invalid:
    return Invalid("points cannot be redeemed", [{"field": FIELD, "message": message, "code": code}])


def history(session: Session, customer_id: int, now: datetime) -> list[dict[str, Any]]:
    """The ledger, newest first, with the lapses due but not yet written shown as they will be."""
    entries = _entries(session, customer_id)
    lines = [
        {
            "at": _aware(e.at).isoformat(),
            "delta": e.delta,
            "reason": e.reason,
            "case_id": e.case_id,
            "expires_at": _aware(e.expires_at).isoformat() if e.expires_at else None,
        }
        for e in entries
        if _aware(e.at) <= now and (e.delta or e.reason != "expired")
    ]
    lines += [
        {
            "at": _aware(lot.expires_at).isoformat(),
            "delta": -lost,
            "reason": "expired",
            "case_id": lot.case_id,
            "expires_at": None,
        }
        for lot, lost in pending_lapses(entries, now)
        if lost
    ]
    order = {id(line): index for index, line in enumerate(lines)}  # ledger order breaks ties in time
    return sorted(lines, key=lambda line: (line["at"], order[id(line)]), reverse=True)


def outstanding(session: Session, as_of: datetime) -> tuple[int, int]:
    """(points held by all customers at ``as_of``, customers holding any)."""
    by_customer: dict[int, list[PointsEntry]] = {}
    for entry in session.scalars(select(PointsEntry).order_by(PointsEntry.id)):
        by_customer.setdefault(entry.customer_id, []).append(entry)
    balances = [balance_of(entries, as_of) for entries in by_customer.values()]
    return sum(balances), sum(1 for b in balances if b > 0)
