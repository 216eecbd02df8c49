"""Where a case stands on its diagram: from the element counts, work items and timers, no workflow loaded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.deploy.queries import process_bpmn
from workflows.models import Case, Timer, WorkItem
from workflows.permissions import OPEN


def case_diagram(session: Session, case: Case) -> dict[str, Any]:
    counts = dict(case.element_counts or {})
    active = list(
        dict.fromkeys(
            list(
                session.scalars(
                    select(WorkItem.bpmn_id).where(WorkItem.case_id == case.id, WorkItem.status.in_(OPEN))
                )
            )
            + list(session.scalars(select(Timer.bpmn_id).where(Timer.case_id == case.id)))
        )
    )
    error = [case.error_element] if case.status == "error" and case.error_element else []
    return {
        "bpmn": process_bpmn(session, case.process_key, case.version.version).decode("utf-8"),
        "completed": sorted(k for k in counts if k not in active and k not in error),
        "active": active,
        "error": error,
        "counts": counts,
    }
