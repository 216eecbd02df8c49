"""The heatmap on a process diagram: median and p90 hours spent in each step."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.deploy.queries import version_row
from workflows.engine.xml import BPMN, cached_tree, find_process
from workflows.errors import NotFound
from workflows.metrics.figures import hours_between, percentile, rounded
from workflows.metrics.periods import Period
from workflows.metrics.trail import work_items_of
from workflows.models import Event, ModelFile, WorkItem

Elements = tuple[list[str], dict[str, str]]


def _diagram_elements(session: Session, process_key: str, read: dict[str, Elements]) -> Elements:
    """User task ids of the latest deployed version of a process, and its call activities
    (element id → called process), read from the deployed BPMN.

    ``read`` holds what this heatmap has read already, so a process called from several places is
    looked up once; the parsed file itself comes from the per-process tree cache (deployed files
    never change), so a page load parses no XML once the server has seen the version.
    """
    if process_key in read:
        return read[process_key]
    version = version_row(session, process_key, None)
    sha = version.manifest[version.bpmn_file]

    def content() -> bytes:
        row = session.get(ModelFile, sha)
        assert row is not None
        return row.content

    process = find_process(cached_tree(sha, content), process_key)
    tasks: list[str] = []
    calls: dict[str, str] = {}
    if process is not None:
        tasks = [el.get("id") for el in process.iter(f"{BPMN}userTask") if el.get("id")]
        calls = {
            el.get("id"): el.get("calledElement")
            for el in process.iter(f"{BPMN}callActivity")
            if el.get("id") and el.get("calledElement")
        }
    read[process_key] = (tasks, calls)
    return tasks, calls


def _user_tasks_within(
    session: Session, process_key: str, read: dict[str, Elements], seen: set[str]
) -> set[str]:
    """User task ids of a process and of every process it calls, however deep."""
    if process_key in seen:
        return set()
    seen = seen | {process_key}
    try:
        tasks, calls = _diagram_elements(session, process_key, read)
    except NotFound:
        return set()
    found = set(tasks)
    for called in calls.values():
        found |= _user_tasks_within(session, called, read, seen)
    return found


def step_durations(
    session: Session,
    process_key: str,
    start: date | datetime,
    end: date | datetime,
    *,
    timezone_name: str = "Asia/Shanghai",
) -> dict[str, dict[str, Any]]:
    """Median and p90 hours spent in each step of a process diagram: ``{bpmn_id: {median_hours,
    p90_hours, count}}``.

    User tasks: created → completed, for work items completed between ``start`` and ``end``
    (dates: local calendar days, both included; datetimes: ``[start, end)``), in any case (a
    called process's tasks run inside the caller's case). Call activities: per case, from the
    first task of the called process (and what it calls) being created to its last being completed,
    when that last completion falls in the range and none of those tasks is still open.
    """
    if isinstance(start, datetime) and isinstance(end, datetime):
        start_at, end_at = start, end
    else:
        period = Period(_as_date(start), _as_date(end), timezone_name)
        start_at, end_at = period.start_at, period.end_at
    read: dict[str, Elements] = {}
    tasks, calls = _diagram_elements(session, process_key, read)
    called_tasks = {
        element: _user_tasks_within(session, called, read, {process_key}) for element, called in calls.items()
    }
    wanted = set(tasks) | set().union(*called_tasks.values()) if called_tasks else set(tasks)
    result: dict[str, dict[str, Any]] = {}
    if not wanted:
        return result
    rows = session.execute(
        select(WorkItem.case_id, WorkItem.bpmn_id, WorkItem.created_at, WorkItem.completed_at)
        .join(Event, Event.work_item_id == WorkItem.id)
        .where(
            Event.kind == "task_completed",
            Event.at >= start_at,
            Event.at < end_at,
            WorkItem.bpmn_id.in_(sorted(wanted)),
        )
    ).all()
    per_task: dict[str, list[float]] = defaultdict(list)
    for _case_id, bpmn_id, created, completed in rows:
        if bpmn_id in tasks and (h := hours_between(created, completed)) is not None:
            per_task[bpmn_id].append(h)
    for bpmn_id in tasks:
        values = per_task.get(bpmn_id, [])
        result[bpmn_id] = {
            "median_hours": rounded(percentile(values, 0.5)),
            "p90_hours": rounded(percentile(values, 0.9)),
            "count": len(values),
            "kind": "userTask",
        }
    case_ids = {r[0] for r in rows}
    items_by_case: dict[int, list[WorkItem]] = defaultdict(list)
    all_called = set().union(*called_tasks.values()) if called_tasks else set()
    for item in work_items_of(session, case_ids, all_called):
        items_by_case[item.case_id].append(item)
    for element, inner in called_tasks.items():
        spans = []
        for items in items_by_case.values():
            mine = [i for i in items if i.bpmn_id in inner and i.status != "cancelled"]
            if not mine or any(i.status in ("ready", "claimed") for i in mine):
                continue
            last = max(i.completed_at for i in mine if i.completed_at)
            if start_at <= last < end_at:
                spans.append(hours_between(mine[0].created_at, last) or 0.0)
        result[element] = {
            "median_hours": rounded(percentile(spans, 0.5)),
            "p90_hours": rounded(percentile(spans, 0.9)),
            "count": len(spans),
            "kind": "callActivity",
            "called": calls[element],
        }
    return result


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
