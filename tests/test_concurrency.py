"""People and workers acting on one case at once, on SQLite and PostgreSQL, with real threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.extensions import db
from webapp.setup import deploy_directory, init_schema
from workflows.cases import operations as cases
from workflows.engine.clock import FixedClock
from workflows.errors import Conflict
from workflows.models import Event, WorkItem
from workflows.permissions import SYSTEM, Actor

from .conftest import NEEDS, ROOT, SHANGHAI, app_config
from .postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_app(request, tmp_path: Path) -> Iterator:  # type: ignore[no-untyped-def]
    def build(url: str):  # type: ignore[no-untyped-def]
        app = create_app(app_config(url), clock=FixedClock(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)))
        with app.app_context():
            init_schema(app)
            deploy_directory(app, ROOT / "bpmn")
        return app

    if request.param == "sqlite":
        app = build(f"sqlite:///{tmp_path / 'shared.db'}")
        yield app
    else:
        with fresh_database() as url:
            app = build(url)
            yield app
            with app.app_context():
                db.engine.dispose()


def _in_threads(app, count: int, action) -> list:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = action(index)
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _first_task(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        rt = app.extensions["tripflow"]
        case = cases.start_case(
            db.session, rt, "itinerary_planning", {}, Actor("am", frozenset({"account_manager"}))
        )
        item = db.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
        return item.id


def test_two_people_completing_one_task_exactly_one_wins(shared_app):
    task_id = _first_task(shared_app)
    rt = shared_app.extensions["tripflow"]
    data = {"new_customer": {"name": "Race Condition"}, **NEEDS}

    def complete(i: int):  # type: ignore[no-untyped-def]
        return cases.complete_task(
            db.session, rt, task_id, data, Actor(f"am{i}", frozenset({"account_manager"}))
        )

    results = _in_threads(shared_app, 4, complete)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception)), results
    with shared_app.app_context():
        designs = db.session.scalar(
            select(func.count()).select_from(WorkItem).where(WorkItem.bpmn_id == "design_itinerary")
        )
        completions = db.session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "task_completed")
        )
        assert designs == 1 and completions == 1


def test_claims_race_one_holder(shared_app):
    task_id = _first_task(shared_app)
    rt = shared_app.extensions["tripflow"]
    results = _in_threads(
        shared_app,
        4,
        lambda i: (
            cases.claim_task(
                db.session, rt, task_id, Actor(f"am{i}", frozenset({"account_manager"}))
            ).claimed_by
        ),
    )
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1 and all(isinstance(r, Conflict) for r in results if not isinstance(r, str))


def test_timer_runners_side_by_side_fire_once(shared_app):
    rt = shared_app.extensions["tripflow"]
    with shared_app.app_context():
        case_ids = [
            cases.start_case(
                db.session,
                rt,
                "complaint_handling",
                {"urgency": "urgent"},
                Actor("cs", frozenset({"customer_service"})),
            ).id
            for _ in range(6)
        ]
    rt.clock.set(datetime(2026, 11, 23, 12, tzinfo=SHANGHAI))
    results = _in_threads(shared_app, 3, lambda i: cases.fire_due_timers(db.session, rt, SYSTEM))
    fired = [case_id for r in results for case_id in r]
    assert sorted(fired) == sorted(case_ids), results
    with shared_app.app_context():
        escalations = db.session.scalar(
            select(func.count()).select_from(WorkItem).where(WorkItem.bpmn_id == "escalate_complaint")
        )
        assert escalations == 6


def test_timer_runners_in_batches_fire_each_case_once(shared_app):
    """Three runners at once, each firing in batches of two: a batch skips the cases another runner
    holds and passes over those it has fired, so each of seven due cases escalates exactly once."""
    rt = shared_app.extensions["tripflow"]
    with shared_app.app_context():
        case_ids = [
            cases.start_case(
                db.session,
                rt,
                "complaint_handling",
                {"urgency": "urgent"},
                Actor("cs", frozenset({"customer_service"})),
            ).id
            for _ in range(7)
        ]
    rt.clock.set(datetime(2026, 11, 23, 12, tzinfo=SHANGHAI))
    results = _in_threads(shared_app, 3, lambda i: cases.fire_due_timers(db.session, rt, SYSTEM, batch=2))
    fired = [case_id for r in results for case_id in r]
    assert sorted(fired) == sorted(case_ids), results
    with shared_app.app_context():
        escalations = db.session.scalars(
            select(WorkItem.case_id).where(WorkItem.bpmn_id == "escalate_complaint")
        ).all()
        assert sorted(escalations) == sorted(case_ids)
        assert cases.fire_due_timers(db.session, rt, SYSTEM, batch=2) == []  # late and again: nothing
