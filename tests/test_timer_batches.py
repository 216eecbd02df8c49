"""Due timers fired in batches: on PostgreSQL several cases share one transaction, and a case whose
step fails holds back none of the others in its batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event

from webapp.extensions import db
from workflows.cases import operations as cases
from workflows.models import Case
from workflows.permissions import SYSTEM

from .conftest import SHANGHAI, open_task


def _urgent_complaints(api: Any, count: int) -> list[int]:
    cs = api.as_("customer_service")
    made = [
        cs.post("/api/v1/cases", json={"process": "complaint_handling", "data": {"urgency": "urgent"}})
        for _ in range(count)
    ]
    assert all(answer.status_code == 201 for answer in made)
    return [answer.get_json()["id"] for answer in made]


class _Commits:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _connection: Any) -> None:
        self.count += 1


def test_due_cases_share_transactions_in_batches(api, session, rt, clock) -> None:
    ids = _urgent_complaints(api, 7)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI))  # every 2-hour clock is past
    commits = _Commits()
    event.listen(db.engine, "commit", commits)
    try:
        fired = cases.fire_due_timers(session, rt, SYSTEM, batch=3)
    finally:
        event.remove(db.engine, "commit", commits)
    assert sorted(fired) == sorted(ids)
    for case_id in ids:
        assert open_task(session, case_id, "escalate_complaint")
    # 7 cases in batches of 3: 3 + 3 + 1; SQLite also commits the read that found them before its
    # first write transaction (BEGIN IMMEDIATE), PostgreSQL turns that read into the first batch
    read = 1 if db.engine.dialect.name == "sqlite" else 0
    assert commits.count == 3 + read
    assert cases.fire_due_timers(session, rt, SYSTEM) == []  # fired once, not again


class _FailOn:
    """A watchdog that breaks down on one case: the step of that case raises, as a bug would."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        self.started: list[int] = []

    def step_started(self, case_id: int, bpmn_ids: list[str]) -> None:
        self.started.append(case_id)
        if case_id == self.case_id:
            raise RuntimeError("the watchdog broke down")

    def step_ended(self, case_id: int) -> None:
        pass


def test_a_failing_case_holds_back_none_of_its_batch(api, session, rt, clock) -> None:
    ids = _urgent_complaints(api, 4)
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI))
    broken = ids[1]
    with pytest.raises(RuntimeError):
        cases.fire_due_timers(session, rt, SYSTEM, batch=4, watch=_FailOn(broken))
    session.rollback()
    # the case before the failing one was fired in its own transaction and stays fired
    assert open_task(session, ids[0], "escalate_complaint")
    assert session.get(Case, broken).status == "running"
    # the rest were not reached: the next round fires them, and the broken one again
    watch = _FailOn(-1)
    assert sorted(cases.fire_due_timers(session, rt, SYSTEM, batch=4, watch=watch)) == sorted(ids[1:])
    for case_id in ids:
        assert open_task(session, case_id, "escalate_complaint")
