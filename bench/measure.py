"""Measurements inside one process: the engine floor, rework loops, SQL statements per request, timers."""

from __future__ import annotations

import statistics
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from .harness import PASSWORD, ROOT, database, make_app, prepare
from .populate import ITINERARY, NEEDS, STEP_DATA, Cloner, make_complaint_template

CUSTOMER = {
    "customer_id": 1,
    "customer_name": "李娜 Li Na",
    "customer_tier": "C",
    "dedicated_advisor": "",
    "trip_account_manager": "account_manager",
}


def stats(samples: list[float]) -> dict[str, float]:
    """Median and 90th percentile, in milliseconds, of samples in seconds."""
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered) * 1000,
        "p90": ordered[int(0.9 * (len(ordered) - 1))] * 1000,
        "n": len(ordered),
    }


# --- the engine floor -------------------------------------------------------------------------


def engine_floor(repeat: int = 500) -> dict[str, Any]:
    """Deserialize, complete design_itinerary, run on, serialize: stock SpiffWorkflow, then Tripflow's."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from workflows.engine.spiff import ProcessBundle, ProcessEngine, make_parser

    def ready(wf: Any) -> Any:
        return wf.get_tasks(state=TaskState.READY, manual=True)[0]

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bpmn" / "itinerary_planning.bpmn"))
    parser.add_dmn_files([str(path) for path in (ROOT / "bpmn").glob("*.dmn")])  # its business rules
    spec = parser.get_spec("itinerary_planning")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    wf = BpmnWorkflow(spec)
    wf.do_engine_steps()
    task = ready(wf)
    task.data.update({**NEEDS, **CUSTOMER})
    task.run()
    wf.do_engine_steps()
    stock_state = serializer.serialize_json(wf)

    def stock() -> None:
        restored = serializer.deserialize_json(stock_state)
        step = ready(restored)
        step.data.update(ITINERARY)
        step.run()
        restored.do_engine_steps()
        serializer.serialize_json(restored)

    tf_parser = make_parser()
    tf_parser.add_bpmn_file(str(ROOT / "bpmn" / "itinerary_planning.bpmn"))
    tf_parser.add_dmn_files([str(path) for path in (ROOT / "bpmn").glob("*.dmn")])
    bundle = ProcessBundle(
        key="itinerary_planning",
        name="Itinerary planning",
        spec=tf_parser.get_spec("itinerary_planning"),
        subprocess_specs={},
        forms={},
    )
    engine = ProcessEngine()
    script_engine = engine.script_engine(lambda task, name: {})
    wf = engine.new_workflow(bundle, script_engine)
    wf.do_engine_steps()
    task = ready(wf)
    task.data.update({**NEEDS, **CUSTOMER})
    task.run()
    wf.do_engine_steps()
    tf_state = engine.dump(wf)

    def tripflow() -> None:
        restored = engine.load(tf_state, bundle, script_engine)
        step = ready(restored)
        step.data.update(ITINERARY)
        step.run()
        restored.do_engine_steps()
        engine.dump(restored)

    return {
        "stock": _timed(stock, repeat),
        "stock_bytes": len(stock_state),
        "tripflow": _timed(tripflow, repeat),
        "tripflow_bytes": len(tf_state),
    }


def _timed(fn: Callable[[], None], repeat: int) -> dict[str, float]:
    for _ in range(20):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return stats(samples)


# --- rework loops -----------------------------------------------------------------------------


def rework_loops(
    workdir: Path,
    loops: int = 50,
    cases_count: int = 5,
    marks: tuple[int, ...] = (0, 1, 5, 10, 20, 30, 40, 50),
) -> list[dict[str, Any]]:
    """Review rejected → redesign, ``loops`` times, through the service on SQLite: state size, step time."""
    from webapp.extensions import db
    from workflows.cases import operations as cases
    from workflows.models import Case, WorkItem

    from .populate import _actor

    with database("sqlite", workdir, "loops") as url:
        prepare(url)
        app = make_app(url)
        rt = app.extensions["tripflow"]
        rows: list[dict[str, Any]] = []
        with app.app_context():
            session = db.session

            def complete(case_id: int, bpmn_id: str, data: dict[str, Any]) -> float:
                item = session.scalars(
                    select(WorkItem).where(
                        WorkItem.case_id == case_id, WorkItem.bpmn_id == bpmn_id, WorkItem.status == "ready"
                    )
                ).one()
                session.commit()
                started = time.perf_counter()
                cases.complete_task(session, rt, item.id, data, _actor(item.lane or "account_manager"))
                return time.perf_counter() - started

            ids = []
            for _ in range(cases_count):
                case = cases.start_case(session, rt, "itinerary_planning", {}, _actor("account_manager"))
                complete(case.id, "collect_needs", STEP_DATA["collect_needs"])
                ids.append(case.id)
            for loop in range(loops + 1):
                design = [complete(i, "design_itinerary", ITINERARY) for i in ids]
                review = [
                    complete(i, "review_itinerary", {"approved": False, "review_comments": f"loop {loop}"})
                    for i in ids
                ]
                states = [session.get(Case, i).state for i in ids]
                engine_ms, tasks = _engine_round_trip(rt, session, ids[0], repeat=15 if loop in marks else 5)
                rows.append(
                    {
                        "loops": loop,
                        "state_bytes": statistics.median(len(s) for s in states),
                        "json_bytes": statistics.median(len(zlib.decompress(s)) for s in states),
                        "design": statistics.median(design) * 1000,
                        "review": statistics.median(review) * 1000,
                        "engine": engine_ms,
                        "tasks": tasks,
                        "mark": loop in marks,
                    }
                )
            session.remove()
            db.engine.dispose()
    return rows


def _engine_round_trip(rt: Any, session: Any, case_id: int, repeat: int = 15) -> tuple[float, int]:
    """Median ms to load and dump one case's workflow (the part of a step that grows with its history),
    and the number of tasks in its tree."""
    from workflows.models import Case

    case = session.get(Case, case_id)
    bundle = rt.specs.get(session, case.version)
    script_engine = rt.engine.script_engine(lambda task, name: {})
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        workflow = rt.engine.load(case.state, bundle, script_engine)
        rt.engine.dump(workflow)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, len(workflow.tasks)


# --- SQL statements per request ---------------------------------------------------------------


def sql_counts(workdir: Path) -> list[dict[str, Any]]:
    """Statements (and commits) each API request sends, counted with a SQLAlchemy event listener."""
    from webapp.extensions import db

    with database("sqlite", workdir, "sqlcount") as url:
        prepare(url)
        app = make_app(url)
        client = app.test_client()
        counted: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
        event.listen(engine, "commit", lambda *a: counted.append("COMMIT"))

        def token(user: str) -> str:
            return client.post("/api/v1/token", json={"username": user, "password": PASSWORD}).get_json()[
                "token"
            ]

        tokens = {u: token(u) for u in ("account_manager", "travel_advisor", "project_manager")}
        rows = []

        def run(label: str, user: str, method: str, path: str, body: Any = None) -> Any:
            counted.clear()
            answer = client.open(
                path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"}
            )
            assert answer.status_code < 300, (label, answer.status_code, answer.get_json())
            statements = [s for s in counted if s != "COMMIT" and not s.startswith("BEGIN")]
            rows.append(
                {
                    "request": label,
                    "statements": len(statements),
                    "commits": sum(1 for s in counted if s == "COMMIT"),
                    "selects": sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")),
                    "writes": sum(1 for s in statements if not s.lstrip().upper().startswith("SELECT")),
                }
            )
            return answer.get_json()

        for _ in range(2):  # the first round warms the spec cache; the second is the one reported
            rows.clear()
            case = run(
                "start a case (POST /cases)",
                "account_manager",
                "POST",
                "/api/v1/cases",
                {"process": "itinerary_planning", "data": {}},
            )
            first = case["active_tasks"][0]["id"]
            run("claim a task", "account_manager", "POST", f"/api/v1/tasks/{first}/claim")
            done = run(
                "complete collect_needs (creates the customer)",
                "account_manager",
                "POST",
                f"/api/v1/tasks/{first}/complete",
                {"data": STEP_DATA["collect_needs"]},
            )
            design = done["next_tasks"][0]["id"]
            run(
                "complete design_itinerary (unclaimed)",
                "travel_advisor",
                "POST",
                f"/api/v1/tasks/{design}/complete",
                {"data": ITINERARY},
            )
            run("inbox page (GET /tasks?scope=group)", "project_manager", "GET", "/api/v1/tasks?scope=group")
            run("badge count (GET /tasks/count)", "project_manager", "GET", "/api/v1/tasks/count?scope=group")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


# --- timers -----------------------------------------------------------------------------------


def timer_database(url: str, count: int) -> tuple[Any, Any]:
    """``count`` urgent complaint cases whose timers are due; returns (app, instant at which they are due)."""
    prepare(url)
    app = make_app(url)
    template = make_complaint_template(app)
    cloner = Cloner(app)
    cloner.clone(template, count - 1)
    cloner.analyze()
    return app, app.extensions["tripflow"].clock.now() + timedelta(hours=3)


def fire_all(index: int, prepared: Any, url: str, at_iso: str) -> Any:
    """A timer runner (what ``flask timers run --at`` does): fire until nothing is due; count the cases."""
    from datetime import datetime

    from webapp.extensions import db
    from workflows.cases.operations import fire_due_timers
    from workflows.engine.clock import FixedClock
    from workflows.permissions import SYSTEM

    if prepared is None:
        app = make_app(url, clock=FixedClock(datetime.fromisoformat(at_iso)))
        with app.app_context():
            rt = app.extensions["tripflow"]
            rt.specs.get(db.session, _any_version(db.session))  # warm the spec cache, as a running worker has
            db.session.remove()
        return app
    app = prepared
    fired = 0
    started = time.perf_counter()
    with app.app_context():
        rt = app.extensions["tripflow"]
        while True:
            batch = fire_due_timers(db.session, rt, SYSTEM)
            fired += len(batch)
            if not batch:
                break
        db.session.remove()
    return {"fired": fired, "seconds": time.perf_counter() - started}


def _any_version(session: Any) -> Any:
    from workflows.models import ProcessVersion

    return session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == "complaint_handling")
        .order_by(ProcessVersion.version.desc())
    ).first()


def timer_outcome(app: Any, at: Any) -> dict[str, int]:
    """How many timers are still due at ``at``, how many escalations exist and how many timers fired."""
    from webapp.extensions import db
    from workflows.models import Event, Timer, WorkItem

    with app.app_context():
        session = db.session
        result = {
            "due_left": session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= at)),
            "escalations": session.scalar(
                select(func.count()).select_from(WorkItem).where(WorkItem.bpmn_id == "escalate_complaint")
            ),
            "fired_events": session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "timer_fired")
            ),
        }
        session.remove()
    return result


# --- where the time of one complete-task goes -------------------------------------------------


@contextmanager
def _warm_app(
    workdir: Path, kind: str, name: str, count: int
) -> Iterator[tuple[Any, list[int], Callable[[int], None]]]:
    """The app as gunicorn runs it (production settings) on a fresh database, ``count`` + 30 ready
    ``design_itinerary`` tasks of which the first 30 are completed to warm it up; yields the app, the
    task ids and ``complete(task_id)``, which completes one over the API as the travel advisor."""
    import os

    from .harness import server_env
    from .populate import Cloner, make_templates, open_items

    with database(kind, workdir, name) as url:
        prepare(url)
        saved_env = dict(os.environ)
        os.environ.update(server_env(url))
        try:
            from webapp import create_app

            app = create_app()
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
        templates = make_templates(app)
        ids = open_items(
            app, Cloner(app).clone(templates["design_itinerary"], count + 30), "design_itinerary"
        )
        client = app.test_client()
        token = client.post(
            "/api/v1/token", json={"username": "travel_advisor", "password": PASSWORD}
        ).get_json()
        headers = {"Authorization": f"Bearer {token['token']}"}

        def complete(task_id: int) -> None:
            answer = client.post(
                f"/api/v1/tasks/{task_id}/complete", json={"data": ITINERARY}, headers=headers
            )
            assert answer.status_code == 200, answer.get_json()

        for task_id in ids[:30]:
            complete(task_id)
        yield app, ids, complete


def breakdown(workdir: Path, count: int = 300, kind: str = "sqlite") -> dict[str, Any]:
    """Wall time of complete-task split by layer: the app as gunicorn runs it (production settings) on
    SQLite, driven in-process; each span is timed by wrapping the function that does it."""

    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task

    import webapp.api as api_module
    from workflows import unit as unit_module
    from workflows.cases import operations as case_module
    from workflows.cases.step import Step
    from workflows.engine.spiff import ProcessEngine

    spans: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spans[name] = spans.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    patches = [
        (api_module, "current_actor", "auth: token, user and roles"),
        (case_module, "_complete", "service call (one transaction)"),
        (case_module, "_open_item_and_siblings", "lock the case, read its open tasks"),
        (case_module, "timers_of", "read its timers"),
        (case_module, "validate_submission", "validate the form"),
        (ProcessEngine, "load", "engine: restore the workflow"),
        (Task, "run", "engine: complete the task"),
        (BpmnWorkflow, "do_engine_steps", "engine: run to the next wait"),
        (ProcessEngine, "dump", "engine: serialize and compress"),
        (unit_module, "begin_write", "begin the write transaction"),
        (Step, "save", "write state, inbox rows, timers (ORM flush)"),
        (case_module, "case_view", "answer: the case as JSON (from the step, before commit)"),
    ]
    with _warm_app(workdir, kind, "breakdown", count) as (app, ids, complete):
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, label in patches:
            setattr(owner, name, timed(label, getattr(owner, name)))
        try:
            started = time.perf_counter()
            for task_id in ids[30:]:
                complete(task_id)
            total = time.perf_counter() - started
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)
        _dispose_app(app)
    per = {label: spans.get(label, 0.0) / count * 1000 for _, _, label in patches}
    per["write state, inbox rows, timers (ORM flush)"] -= per[
        "engine: serialize and compress"
    ]  # nested in save
    inner = sum(
        v
        for k, v in per.items()
        if k
        not in (
            "auth: token, user and roles",
            "service call (one transaction)",
        )
    )  # the answer is built inside the service call, before its commit: one of the inner spans
    per["service: claim, audit events, commit, the rest"] = per["service call (one transaction)"] - inner
    per["web: Flask, routing, body parsing and checks, JSON"] = total / count * 1000 - sum(
        per[k]
        for k in (
            "auth: token, user and roles",
            "service call (one transaction)",
        )
    )
    return {"total": total / count * 1000, "spans": per}


def _dispose_app(app: Any) -> None:
    from webapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- profiles: where the CPU of a complete-task goes, by function --------------------------------


def profile(workdir: Path, count: int = 300, kind: str = "sqlite", top: int = 10) -> dict[str, Any]:
    """pyinstrument (a sampling profiler: little overhead of its own) over ``count`` complete-tasks
    in-process, the app as gunicorn runs it: the ``top`` frames by own time, summed over the call
    tree, with their total (inclusive) time, per request."""

    from pyinstrument import Profiler

    with _warm_app(workdir, kind, "profile", count) as (app, ids, complete):
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for task_id in ids[30:]:
            complete(task_id)
        session = profiler.stop()
        _dispose_app(app)
    root = session.root_frame()
    total = root.time if root is not None else 0.0
    own: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    _sum_frames(root, own, inclusive, frozenset())
    rows = [
        {
            "function": name,
            "own_ms": seconds / count * 1000,
            "cumulative_ms": inclusive[name] / count * 1000,
            "own_share": seconds / total if total else 0.0,
        }
        for name, seconds in own.items()
    ]
    rows.sort(key=lambda row: row["own_ms"], reverse=True)
    return {"kind": kind, "total_ms": total / count * 1000, "top": rows[:top]}


def _sum_frames(
    frame: Any, own: dict[str, float], inclusive: dict[str, float], above: frozenset[str]
) -> None:
    """Own time per function over the whole tree, and inclusive time counted once per call chain
    (a function that calls itself is not counted twice)."""
    if frame is None:
        return
    name = f"{_short(frame.file_path or '')}:{frame.line_no}({frame.function})"
    if frame.is_synthetic:  # pyinstrument's "[self]" and "[await]" rows: time spent in the parent
        return
    own[name] = own.get(name, 0.0) + frame.total_self_time
    if name not in above:
        inclusive[name] = inclusive.get(name, 0.0) + frame.time
    for child in frame.children:
        _sum_frames(child, own, inclusive, above | {name})


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
