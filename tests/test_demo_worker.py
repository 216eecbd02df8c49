"""The demo fills the reports whatever else runs: a timer worker beside it changes nothing.

``flask demo`` simulates a past year on a moving clock. A timer worker on the same database reads
the real clock, to which every simulated timer is long due; before the demo held the timers
(``workflows.cases.timer_hold``) the worker fired them all at once, the year's trips stuck at the
pre-trip call, and CSAT and NPS had no data. Here a real ``flask worker`` process runs beside the
demo, and the history must equal the one made without it, with data in every metric of every
quarter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.harness import make_app, start_timer_worker
from demo import load_demo_history
from webapp.extensions import db
from webapp.setup import DEMO_USERS, add_demo_users, deploy_directory, init_schema
from workflows import metrics
from workflows.models import Case, Event, Notification, WorkItem

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
TRIPS, DAYS, SEED = 36, 365, 11


def _fresh(url: str) -> Any:
    app = make_app(url)
    with app.app_context():
        init_schema(app)
        deploy_directory(app, ROOT / "bpmn")
        add_demo_users(app)
        db.session.remove()
    return app


def _history(app: Any) -> dict[str, Any]:
    """What the year left: cases by process and status, and the tasks completed, by BPMN id."""
    with app.app_context():
        session = db.session
        cases = session.execute(
            select(Case.process_key, Case.status, func.count(Case.id)).group_by(Case.process_key, Case.status)
        ).all()
        done = session.execute(
            select(WorkItem.bpmn_id, func.count(WorkItem.id))
            .where(WorkItem.status == "completed")
            .group_by(WorkItem.bpmn_id)
        ).all()
        fired = session.scalar(select(func.count(Event.id)).where(Event.kind == "timer_fired"))
        session.remove()
    return {"cases": sorted(cases), "done": sorted(done), "timers fired": fired}


def _quarters(end: datetime) -> list[metrics.Period]:
    last = end.astimezone(SHANGHAI).date()
    return [
        metrics.Period(last - timedelta(days=91 * (k + 1) - 1), last - timedelta(days=91 * k))
        for k in range(4)
    ]


def test_a_timer_worker_beside_the_demo_changes_nothing(tmp_path: Path) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    alone = _fresh(f"sqlite:///{tmp_path / 'alone.db'}")
    with alone.app_context():
        summary = load_demo_history(alone, trips=TRIPS, days=DAYS, seed=SEED, end=end)
    assert "problem" not in summary, summary

    url = f"sqlite:///{tmp_path / 'beside.db'}"
    beside = _fresh(url)
    worker = start_timer_worker(url, tmp_path, interval=0.1)
    try:
        with beside.app_context():
            summary = load_demo_history(beside, trips=TRIPS, days=DAYS, seed=SEED, end=end)
        assert "problem" not in summary, summary
        assert worker.popen.poll() is None, worker.tail()
        assert "timer rounds running" in worker.tail()
    finally:
        worker.stop()
    print(_history(alone))
    assert _history(beside) == _history(alone)

    with beside.app_context():
        session = db.session
        for period in _quarters(end):
            figures = metrics.metrics_json(session, period, datetime.now(UTC))
            empty = {
                key: figure for key, figure in figures.items() if not figure["n"] or figure["value"] is None
            }
            print(period.label, {k: (f["value"], f["n"]) for k, f in figures.items()})
            assert not empty, (period.label, empty)
        demo_users = [username for username, _display, _roles in DEMO_USERS]
        unread = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.username.in_(demo_users), Notification.read_at.is_(None)
            )
        )
        assert unread == 0
