"""``kill -9`` of a web worker and of a timer worker under load loses nothing that was acknowledged and
leaves nothing half done.

The real server (gunicorn, two sync workers) and a timer worker (``flask worker``) run as
subprocesses on a throwaway database (a SQLite file, then a PostgreSQL database). Threads drive
load over loopback HTTP for a few seconds: completing ``design_itinerary`` tasks and starting cases,
while the timer worker fires the due timers of a hundred complaint cases. Mid-load one gunicorn
worker is SIGKILLed (gunicorn starts a new one), then another, and the timer worker is SIGKILLed
while it fires and a fresh one finishes its work. Then, for every request the server acknowledged
with a 2xx, its effect must be in the database; for every task, "completed", "a task_completed
event" and "the case moved on to review" must be all true or all false; every timer fired exactly
once; and ``flask check`` (``check_all``) finds nothing.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.harness import Http, make_app, prepare, start_gunicorn, start_timer_worker
from bench.populate import ITINERARY, Cloner, make_complaint_template, make_templates, open_items
from webapp.extensions import db
from workflows.cases.consistency import check_all
from workflows.engine.clock import FixedClock, SystemClock
from workflows.models import Case, Event, Timer, WorkItem

from .conftest import TEST_DATABASE
from .postgres import fresh_database

LOAD_SECONDS = 6.0  # at least this long, and on until enough was acknowledged to prove anything
LOAD_SECONDS_AT_MOST = 40.0  # a machine too loaded to serve that much by then fails the test
ENOUGH_COMPLETIONS, ENOUGH_STARTS = 20, 5
COMPLETERS = 3
DUE_TIMERS = 100


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: Any, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        if TEST_DATABASE == "postgresql":
            pytest.skip("runs in the SQLite pass of the suite")
        yield f"sqlite:///{tmp_path / 'kill.db'}"
    else:
        with fresh_database() as database_url:
            yield database_url


def _count(session: Any, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _close_database(app: Any) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fired(app: Any) -> int:
    with app.app_context():
        fired = _count(db.session, select(func.count()).select_from(Event).where(Event.kind == "timer_fired"))
        db.session.remove()
    return fired


def test_kill_9_of_a_web_worker_and_a_timer_worker_loses_nothing(
    url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    prepare(url)
    app = make_app(url, clock=FixedClock(SystemClock().now() - timedelta(hours=3)))
    request.addfinalizer(lambda: _close_database(app))  # also when an assertion fails: no connection leaks
    complaint = make_complaint_template(app)  # urgent, raised three hours ago: its timer is due now
    complaints = [complaint] + Cloner(app).clone(complaint, DUE_TIMERS - 1)
    app.extensions["tripflow"].clock = SystemClock()
    templates = make_templates(app)
    pool = open_items(app, Cloner(app).clone(templates["design_itinerary"], 1500), "design_itinerary")
    acked_completions: list[int] = []
    acked_starts: list[int] = []
    failures: Counter[str] = Counter()
    kills: list[str] = []

    with ExitStack() as stack:
        web = start_gunicorn(url, tmp_path, workers=2, name="web")
        stack.callback(web.stop)
        timers = start_timer_worker(url, tmp_path, interval=0.1, name="timers-1")
        stack.callback(timers.stop)
        client = Http(web.base, timeout=30)
        advisor, manager = client.token("travel_advisor"), client.token("account_manager")
        began = time.monotonic()

        def load_over() -> bool:
            elapsed = time.monotonic() - began
            enough = len(acked_completions) > ENOUGH_COMPLETIONS and len(acked_starts) > ENOUGH_STARTS
            return elapsed > LOAD_SECONDS_AT_MOST or (elapsed > LOAD_SECONDS and enough)

        def call(method: str, path: str, body: Any, token: str) -> Any:
            try:
                return Http(web.base, timeout=30).request(method, path, body, token)
            except (OSError, http.client.HTTPException) as exc:
                failures[type(exc).__name__] += 1
                return None

        def complete(ids: list[int]) -> None:
            for item_id in ids:
                if load_over():
                    return
                answer = call("POST", f"/api/v1/tasks/{item_id}/complete", {"data": ITINERARY}, advisor)
                if answer is not None and answer.status == 200:
                    acked_completions.append(item_id)
                elif answer is not None:
                    failures[f"HTTP {answer.status}"] += 1

        def start() -> None:
            while not load_over():
                answer = call("POST", "/api/v1/cases", {"process": "itinerary_planning", "data": {}}, manager)
                if answer is not None and answer.status == 201:
                    acked_starts.append(answer.body["id"])
                elif answer is not None:
                    failures[f"HTTP {answer.status}"] += 1

        load = [threading.Thread(target=complete, args=(pool[i::COMPLETERS],)) for i in range(COMPLETERS)]
        load.append(threading.Thread(target=start))
        for thread in load:
            thread.start()

        time.sleep(1.5)
        workers = web.children()
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        kills.append(f"web worker {workers[0]}")
        waited = time.monotonic()
        while _fired(app) < 5 and time.monotonic() - waited < 10:  # the timer worker is at work
            time.sleep(0.02)
        timers.kill()
        kills.append(f"timer worker {timers.pid} after {_fired(app)} timers")
        time.sleep(1.0)
        survivor = [pid for pid in web.children() if pid != workers[0]]
        if workers[1] in survivor:
            os.kill(workers[1], signal.SIGKILL)
            kills.append(f"web worker {workers[1]}")
        again = start_timer_worker(url, tmp_path, interval=0.1, name="timers-2")
        stack.callback(again.stop)
        for thread in load:
            thread.join(LOAD_SECONDS_AT_MOST + 40)
        assert not any(thread.is_alive() for thread in load)
        waited = time.monotonic()
        while _fired(app) < DUE_TIMERS and time.monotonic() - waited < 30:
            time.sleep(0.1)
        assert client.request("GET", "/api/v1/me").status == 401  # gunicorn replaced the killed workers

    assert len(acked_completions) > ENOUGH_COMPLETIONS and len(acked_starts) > ENOUGH_STARTS, (
        len(acked_completions),
        acked_starts,
        failures,
    )
    with app.app_context():
        session = db.session
        completed_events = Counter(
            session.scalars(
                select(Event.work_item_id).where(Event.kind == "task_completed", Event.work_item_id.in_(pool))
            )
        )
        items = {item.id: item for item in session.scalars(select(WorkItem).where(WorkItem.id.in_(pool)))}
        reviews = set(session.scalars(select(WorkItem.case_id).where(WorkItem.bpmn_id == "review_itinerary")))
        for item_id in acked_completions:
            assert items[item_id].status == "completed" and items[item_id].completed_by == "travel_advisor", (
                item_id
            )
        for item_id, item in items.items():  # acknowledged or not: all of it, or none of it
            done = item.status == "completed"
            assert completed_events[item_id] == (1 if done else 0), (
                item_id,
                item.status,
                completed_events[item_id],
            )
            assert (item.case_id in reviews) == done, (item_id, item.status)
        started = set(session.scalars(select(Case.id).where(Case.id.in_(acked_starts))))
        assert started == set(acked_starts)
        for case_id in complaints:
            assert (
                _count(
                    session,
                    select(func.count())
                    .select_from(Event)
                    .where(Event.case_id == case_id, Event.kind == "timer_fired"),
                )
                == 1
            ), case_id
            assert (
                _count(
                    session,
                    select(func.count())
                    .select_from(WorkItem)
                    .where(WorkItem.case_id == case_id, WorkItem.bpmn_id == "escalate_complaint"),
                )
                == 1
            ), case_id
        assert (
            _count(
                session,
                select(func.count())
                .select_from(Timer)
                .where(Timer.case_id.in_(complaints), Timer.bpmn_id == "resolution_overdue"),
            )
            == 0
        )
        problems = check_all(session, app.extensions["tripflow"])
        assert problems == [], problems
        session.remove()
        db.engine.dispose()
    print(
        f"acknowledged: {len(acked_completions)} completions, {len(acked_starts)} starts; "
        f"failed requests: {dict(failures)}; killed: {kills}"
    )
