"""No script or expression can freeze a worker (issue 13, item 1), on the real server.

gunicorn with two sync workers and a timer worker (``flask worker``, with its watchdog) run as
subprocesses on a throwaway database (a SQLite file, then a PostgreSQL database). Models whose
script task, gateway condition or timer expression runs a C-level attack are started over HTTP
while a thread keeps asking both web workers for pages: every one of those requests is answered
within 2 s, each hostile step ends in an incident naming its element within the script time limit,
and the hostile timers fire once into an incident and are not left due. A step that never ends
(a model that loops without a wait state) is stopped by the timer worker's watchdog, and the
worker goes on firing timers after it.

On the code before the evaluator pool, the first attack froze the web worker for tens of seconds
(until memory ran out), and the second for minutes.
"""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.harness import Http, make_app, prepare, start_gunicorn, start_timer_worker
from webapp.extensions import db
from webapp.setup import deploy_uploads
from workflows.models import Case, Event, Timer

from .conftest import TEST_DATABASE
from .hostile_models import (
    ATTACK_EXPRESSIONS,
    ATTACK_SCRIPTS,
    START_DATA,
    endless_loop_model,
    gateway_model,
    plain_timer_model,
    script_model,
    timer_model,
)
from .postgres import fresh_database

PROMPT = 2.0  # seconds: every other request is answered within this
HOSTILE_STEP = 5.0  # seconds: a hostile request (1 s limit + grace, maybe an evaluator to start) answers
WATCHDOG = 3.0  # TIMER_STEP_TIMEOUT of the timer worker here
STARTUP = 60.0  # seconds a (re)started timer worker may take to start on a loaded machine


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: Any, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        if TEST_DATABASE == "postgresql":
            pytest.skip("runs in the SQLite pass of the suite")
        yield f"sqlite:///{tmp_path / 'isolation.db'}"
    else:
        with fresh_database() as database_url:
            yield database_url


def _models() -> dict[str, bytes]:
    models = {}
    for index, script in enumerate(ATTACK_SCRIPTS.values()):
        models[f"hostile_script_{index}"] = script_model(f"hostile_script_{index}", script)
    for index, expression in enumerate(ATTACK_EXPRESSIONS.values()):
        models[f"hostile_gateway_{index}"] = gateway_model(f"hostile_gateway_{index}", expression)
        models[f"hostile_timer_{index}"] = timer_model(f"hostile_timer_{index}", expression)
    models["endless_loop"] = endless_loop_model("endless_loop")
    models["plain_timer"] = plain_timer_model("plain_timer")
    return models


class Pinger(threading.Thread):
    """Keeps asking the server for pages (both workers get them) and notes how long each took."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.times: list[tuple[str, float]] = []
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        paths = ["/api/v1/me", "/api/v1/tasks?scope=group", "/api/v1/processes"]
        index = 0
        while not self.done.is_set():
            path = paths[index % len(paths)]
            index += 1
            started = time.monotonic()
            try:
                answer = Http(self.base, timeout=30).request("GET", path, token=self.token)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"{path}: {exc!r}")
                continue
            self.times.append((path, time.monotonic() - started))
            if answer.status != 200:
                self.failures.append(f"{path}: HTTP {answer.status}")
            time.sleep(0.05)


def _case(app: Any, case_id: int) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge_all()
        db.session.remove()
    return case


def _loop_state(app: Any, case_id: int) -> str:
    """The case's status, data, open tasks, timer rows and events: what a stuck loop left behind."""
    from workflows.models import WorkItem

    with app.app_context():
        case = db.session.get(Case, case_id)
        tasks = db.session.scalars(select(WorkItem.bpmn_id).where(WorkItem.case_id == case_id)).all()
        timers = db.session.scalars(select(Timer.due_at).where(Timer.case_id == case_id)).all()
        events = db.session.scalars(
            select(Event.kind).where(Event.case_id == case_id).order_by(Event.id)
        ).all()
        state = f"{case.status} data={case.data} tasks={tasks} timers={timers} events={events}"
        db.session.remove()
    return state


def _count(app: Any, query: Any) -> int:
    with app.app_context():
        value = int(db.session.scalar(query) or 0)
        db.session.remove()
    return value


def _wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_hostile_scripts_freeze_no_worker(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(url)
    app = make_app(url)
    with app.app_context():
        deploy_uploads(app, [(f"{key}.bpmn", content) for key, content in _models().items()])
        db.session.remove()
        db.engine.dispose()
    monkeypatch.setenv("TIMER_STEP_TIMEOUT", str(WATCHDOG))
    web = start_gunicorn(url, tmp_path, workers=2, name="web")
    timers = start_timer_worker(url, tmp_path, interval=0.1, name="timers")
    pinger = None
    try:
        client = Http(web.base, timeout=30)
        owner = client.token("process_owner")
        pinger = Pinger(web.base, client.token("travel_advisor"))
        pinger.start()

        def start(process: str) -> tuple[dict[str, Any], float]:
            answer = client.request("POST", "/api/v1/cases", {"process": process, "data": START_DATA}, owner)
            assert answer.status == 201, (process, answer.status, answer.body)
            return answer.body, answer.seconds

        # hostile script tasks and gateway conditions, started over HTTP (before the timer worker's
        # hostile steps, which on SQLite hold the write lock those requests need for up to 3 s)
        for process, element in [(f"hostile_script_{i}", "attack") for i in range(len(ATTACK_SCRIPTS))] + [
            (f"hostile_gateway_{i}", "choose") for i in range(len(ATTACK_EXPRESSIONS))
        ]:
            case, seconds = start(process)
            assert seconds < HOSTILE_STEP, (process, seconds)
            assert case["status"] == "error", (process, case)
            assert case["error"]["element_id"] == element, (process, case["error"])
            assert "longer than 1.0 s" in case["error"]["message"] or "memory" in case["error"]["message"], (
                case
            )
            assert case["active_tasks"] == []

        # then the timer worker's cases (they wait a second for their first timer), once it runs
        assert _wait_for(lambda: "timer rounds running" in timers.tail(), STARTUP), timers.tail()
        timer_cases = [start(f"hostile_timer_{i}")[0]["id"] for i in range(len(ATTACK_EXPRESSIONS))]
        looping = start("endless_loop")[0]["id"]

        # the hostile timer expressions fire once into an incident, and nothing is left due
        def failed(case_id: int) -> bool:
            return _case(app, case_id).status == "error"

        for case_id in timer_cases:
            assert _wait_for(lambda case_id=case_id: failed(case_id), 30), timers.tail()
            case = _case(app, case_id)
            assert case.error_element == "wait_attack", (case.error_element, case.error_message)
            fired = select(func.count()).select_from(Event)
            assert _count(app, fired.where(Event.case_id == case_id, Event.kind == "timer_fired")) == 1
            assert _count(app, select(func.count()).select_from(Timer).where(Timer.case_id == case_id)) == 0

        # the step that never ends (each turn of its loop takes a while, so the step's element limit is
        # minutes away) is stopped by the watchdog and becomes an incident naming its timer
        assert _wait_for(lambda: failed(looping), WATCHDOG + 30), (_loop_state(app, looping), timers.tail(60))
        case = _case(app, looping)
        assert case.error_element == "wait_first" and "stopped by the timer worker" in case.error_message
        errors = select(func.count()).select_from(Event).where(Event.case_id == looping)
        assert _count(app, errors.where(Event.kind == "case_error")) == 1
        assert _count(app, errors.where(Event.kind == "timer_fired")) == 0  # rolled back with the step

        # and the timer worker goes on: a plain timer started now fires
        plain = start("plain_timer")[0]["id"]
        assert _wait_for(
            lambda: (
                _case(app, plain).status == "running"
                and _count(app, select(func.count()).select_from(Timer).where(Timer.case_id == plain)) == 0
            ),
            STARTUP,
        ), timers.tail()
        assert _case(app, plain).status == "running"
    finally:
        if pinger is not None:
            pinger.done.set()
            pinger.join(30)
        timers.stop()
        web.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert pinger.failures == [], pinger.failures
    slow = [(path, round(seconds, 2)) for path, seconds in pinger.times if seconds > PROMPT]
    assert slow == [], slow
    assert len(pinger.times) > 20, len(pinger.times)
