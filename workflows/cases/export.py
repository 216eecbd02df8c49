"""The case list as a file (CSV, XLSX) and as counts, with the same filters as the list."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.cases.queries import list_cases
from workflows.models import Case, WorkItem
from workflows.permissions import OPEN
from workflows.runtime import Runtime

MAX_EXPORT_ROWS = 50_000
COLUMNS = (
    "id",
    "process",
    "version",
    "status",
    "customer_name",
    "customer_tier",
    "destination",
    "start_date",
    "end_date",
    "current_step",
    "held_by",
    "started_at",
    "ended_at",
    "age_days",
    "overdue",
)


def current_steps(session: Session, rt: Runtime, case_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For a page of cases: the open steps, who holds them and whether any is overdue (one query)."""
    steps: dict[int, dict[str, Any]] = defaultdict(lambda: {"steps": [], "overdue": False})
    if not case_ids:
        return {}
    now = rt.clock.now()
    rows = session.execute(
        select(
            WorkItem.case_id,
            WorkItem.bpmn_id,
            WorkItem.name,
            WorkItem.claimed_by,
            WorkItem.assignee,
            WorkItem.lane,
            WorkItem.due_at,
        ).where(WorkItem.case_id.in_(case_ids), WorkItem.status.in_(OPEN))
    )
    for case_id, bpmn_id, name, claimed_by, assignee, lane, due_at in rows:
        steps[case_id]["steps"].append(
            {
                "task_id": bpmn_id,
                "name": name,
                "held_by": claimed_by or assignee,
                "lane": lane,
                "due_at": due_at.isoformat() if due_at else None,
            }
        )
        if due_at is not None and due_at < now:
            steps[case_id]["overdue"] = True
    return dict(steps)


def export_rows(session: Session, rt: Runtime, filters: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    now = rt.clock.now()
    while len(rows) < MAX_EXPORT_ROWS:
        cases, cursor = list_cases(session, rt, cursor=cursor, limit=500, **filters)
        steps = current_steps(session, rt, [c.id for c in cases])
        for case in cases:
            info = steps.get(case.id, {"steps": [], "overdue": False})
            rows.append(
                {
                    "id": case.id,
                    "process": case.process_key,
                    "version": case.version.version,
                    "status": case.status,
                    "customer_name": case.customer_name or "",
                    "customer_tier": case.customer_tier or "",
                    "destination": case.destination or "",
                    "start_date": _iso(case.start_date),
                    "end_date": _iso(case.end_date),
                    "current_step": "; ".join(s["name"] for s in info["steps"]),
                    "held_by": "; ".join(s["held_by"] or "" for s in info["steps"]),
                    "started_at": _iso(case.started_at),
                    "ended_at": _iso(case.ended_at),
                    "age_days": round(((case.ended_at or now) - case.started_at).total_seconds() / 86400, 1),
                    "overdue": "yes" if info["overdue"] else "",
                }
            )
        if cursor is None:
            break
    return rows


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_text(v) for k, v in row.items()})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese text correctly


# what a spreadsheet may read as the start of a formula (OWASP's CSV injection list): a TAB or CR
# before the "=" is skipped by some spreadsheets, so they are guarded as well
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """Neutralises spreadsheet formulas in exported text (CSV injection); every export uses this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_xlsx_text(spreadsheet_text(row[c])) for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_text(value: Any) -> Any:
    """XLSX cannot hold most control characters (openpyxl raises); case data may: shown as U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def count_cases(session: Session, status: str | None = None, process: str | None = None) -> int:
    query = select(func.count()).select_from(Case)
    if status:
        query = query.where(Case.status == status)
    if process:
        query = query.where(Case.process_key == process)
    return int(session.scalar(query) or 0)


def stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")
