"""What each OS process of tests/test_scale.py does: phases of service calls on one shared database.

Imported by the spawned processes (``bench.load.in_processes``); every process runs the same
phases, starting each phase together with the others (``bench.load.sync``), and reports every
outcome as ``(phase, key, result)`` where result is ``"ok"`` or the refusal's error code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bench.harness import make_app
from bench.load import sync


def race(index: int, prepared: Any, url: str, at_iso: str, plan: dict[str, Any]) -> Any:
    from webapp.extensions import db
    from workflows.cases import operations as cases
    from workflows.engine.clock import FixedClock
    from workflows.errors import TripflowError
    from workflows.permissions import SYSTEM, Actor

    if prepared is None:
        return make_app(url, clock=FixedClock(datetime.fromisoformat(at_iso)))
    app = prepared
    rt = app.extensions["tripflow"]
    outcomes: list[tuple[str, Any, Any]] = []

    def attempt(phase: str, key: Any, call: Any, *args: Any) -> None:
        try:
            call(session, rt, *args)
            outcomes.append((phase, key, "ok"))
        except TripflowError as exc:
            outcomes.append((phase, key, exc.code))
        finally:
            db.session.remove()

    with app.app_context():
        session = db.session
        sync()  # 1: everyone completes the same tasks
        for item_id in plan["same_task"]:
            who = Actor(f"advisor{index}", frozenset({"travel_advisor"}))
            attempt("same_task", item_id, cases.complete_task, item_id, plan["design"], who)
        sync()  # 2: everyone claims the same tasks
        for item_id in plan["claims"]:
            who = Actor(f"advisor{index}", frozenset({"travel_advisor"}))
            attempt("claims", item_id, cases.claim_task, item_id, who)
        sync()  # 3: two tasks of one case completed at once, by two processes each
        kind = "resolve" if index % 2 == 0 else "escalate"
        role = "customer_service" if kind == "resolve" else "service_supervisor"
        for item_id in plan[kind]:
            who = Actor(role, frozenset({role}))
            attempt(kind, item_id, cases.complete_task, item_id, plan[kind + "_data"], who)
        sync()  # 4: timer runners side by side
        fired: list[int] = []
        while True:
            batch = cases.fire_due_timers(session, rt, SYSTEM)
            db.session.remove()
            if not batch:
                break
            fired += batch
        outcomes += [("timers", case_id, "ok") for case_id in fired]
    return outcomes
