"""Finished complaints and incidents: what a handbook may hold.

A complaint is finished when its case has a completed ``resolve_complaint`` and no complaint task
open; it finished at its last resolution. An incident is a case that failed (``case_error``) and
was repaired: it is no longer in error; it finished at its last ``case_retried``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.metrics.complaints import COMPLAINT_TASKS
from workflows.metrics.periods import Period
from workflows.metrics.trail import chunks
from workflows.models import Case, Event, WorkItem
from workflows.permissions import OPEN


@dataclass(frozen=True)
class FinishedCase:
    case_id: int
    kind: str  # complaint, incident
    finished_at: datetime
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "kind": self.kind,
            "finished_at": self.finished_at.isoformat(),
            "summary": self.summary,
        }


def finished_cases(session: Session, case_ids: list[int]) -> dict[int, FinishedCase]:
    """Those of ``case_ids`` that are finished complaints or incidents, by case id."""
    found: dict[int, FinishedCase] = {}
    for chunk in chunks(case_ids):
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(chunk)))}
        items: dict[int, list[WorkItem]] = defaultdict(list)
        for item in session.scalars(
            select(WorkItem).where(WorkItem.case_id.in_(chunk), WorkItem.bpmn_id.in_(COMPLAINT_TASKS))
        ):
            items[item.case_id].append(item)
        for case_id, rows in items.items():
            done = [
                i.completed_at for i in rows if i.bpmn_id == "resolve_complaint" and i.status == "completed"
            ]
            if done and not any(i.status in OPEN for i in rows) and case_id in cases:
                found[case_id] = FinishedCase(
                    case_id, "complaint", max(d for d in done if d), _complaint_summary(cases[case_id])
                )
        repaired = session.execute(
            select(Event.case_id, func.max(Event.at))
            .where(Event.case_id.in_(chunk), Event.kind == "case_retried")
            .group_by(Event.case_id)
        )
        for case_id, at in repaired:
            case = cases.get(case_id)
            if case is not None and case.status != "error" and case_id not in found:
                found[case_id] = FinishedCase(case_id, "incident", at, _incident_summary(session, case))
    return found


def finished_in(session: Session, period: Period) -> list[FinishedCase]:
    """Complaints resolved and incidents repaired in the period, oldest first: the month's candidates."""
    resolved = session.scalars(
        select(WorkItem.case_id)
        .where(
            WorkItem.bpmn_id == "resolve_complaint",
            WorkItem.status == "completed",
            WorkItem.completed_at >= period.start_at,
            WorkItem.completed_at < period.end_at,
        )
        .distinct()
    )
    retried = session.scalars(
        select(Event.case_id)
        .where(Event.kind == "case_retried", Event.at >= period.start_at, Event.at < period.end_at)
        .distinct()
    )
    ids = sorted({*resolved, *(c for c in retried if c is not None)})
    found = finished_cases(session, ids)
    return sorted(
        (f for f in found.values() if period.start_at <= f.finished_at < period.end_at),
        key=lambda f: (f.finished_at, f.case_id),
    )


def _complaint_summary(case: Case) -> str:
    data = case.data or {}
    parts = [case.customer_name or "", case.destination or "", str(data.get("topic") or "")]
    head = " · ".join(p for p in parts if p)
    details = str(data.get("complaint_details") or "").strip()
    resolution = str(data.get("resolution") or "").strip()
    text = f"{head}：{details}" if head else details
    return (text + (f"（处理：{resolution}）" if resolution else ""))[:600]


def _incident_summary(session: Session, case: Case) -> str:
    error = session.scalars(
        select(Event)
        .where(Event.case_id == case.id, Event.kind == "case_error")
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    where = error.bpmn_id if error is not None and error.bpmn_id else ""
    text = error.text if error is not None and error.text else ""
    head = " · ".join(p for p in (case.process_key, case.customer_name or "", where) if p)
    return f"{head}：{text}"[:600]
