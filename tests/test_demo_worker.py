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
# fifteen months, so that the four quarters checked begin after the first trips came back; seeds 2 and 3
# both give every quarter complaints and change requests
TRIPS, DAYS, SEED = 48, 456, 2
# what a quarter of 48 simulated trips may well have none of (complaints, incidents on the way):
# these must have data over the year, every other figure in every quarter
RARE = {"complaints", "complaint_resolution_hours", "incidents", "route_complaint_share"}


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
        assert "timer rounds running" in worker.log.read_text()  # it ran, beside the demo
    finally:
        worker.stop()
    print(_history(alone))
    assert _history(beside) == _history(alone)

    with beside.app_context():
        session = db.session
        quarters = _quarters(end)
        for period in quarters:
            figures = metrics.metrics_json(session, period, datetime.now(UTC))
            print(period.label, {k: (f["value"], f["n"]) for k, f in figures.items()})
            empty = {key for key, figure in figures.items() if not figure["n"] or figure["value"] is None}
            assert not empty - RARE, (period.label, empty - RARE)
        year = metrics.Period(quarters[-1].first, quarters[0].last)
        figures = metrics.metrics_json(session, year, datetime.now(UTC))
        empty = {key for key, figure in figures.items() if not figure["n"] or figure["value"] is None}
        assert not empty, (year.label, empty)  # over the year, every figure has something to say
        demo_users = [username for username, _display, _roles in DEMO_USERS]
        notices = select(func.count(Notification.id)).where(Notification.username.in_(demo_users))
        assert session.scalar(notices) > 0
        # the year's notices are read; the worker, let go, found nothing stale to call overdue
        assert session.scalar(notices.where(Notification.at <= end, Notification.read_at.is_(None))) == 0
        assert session.scalar(notices.where(Notification.at > end, Notification.kind == "overdue")) == 0


def test_make_run_loads_the_demo_only_into_a_new_database(app: Any, start_case: Any, session: Any) -> None:
    start_case("complaint_handling", "customer_service", urgency="normal")
    result = app.test_cli_runner().invoke(args=["demo", "--if-new"])
    assert "the database has cases already: no demo history loaded" in result.output, result.output
    assert session.scalar(select(func.count(Case.id))) == 1


def test_held_timers_fire_only_for_their_holder_and_a_dead_holder_stops_holding(
    session: Any, rt: Any, clock: Any, start_case: Any
) -> None:
    from workflows.cases import operations as cases
    from workflows.cases.schedules import run_schedules
    from workflows.cases.timer_hold import hold_timers, release_timers, timers_held
    from workflows.models import TimerHold
    from workflows.permissions import SYSTEM

    case = start_case("complaint_handling", "customer_service", urgency="urgent")
    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI))  # its two-hour timer is due
    hold_timers(session, "demo")
    assert timers_held(session) and not timers_held(session, "demo")
    assert cases.fire_due_timers(session, rt, SYSTEM) == []  # the timer worker's call
    clock.set(datetime(2027, 1, 2, 12, 0, tzinfo=SHANGHAI))
    assert run_schedules(session, rt) == []  # no calendar starts either (tiering, the Q1 review)
    assert cases.fire_due_timers(session, rt, SYSTEM, holder="demo") == [case.id]

    release_timers(session, "demo")
    assert not timers_held(session)
    hold_timers(session, "demo", lease=timedelta(seconds=-1))  # a demo killed before it released
    assert session.get(TimerHold, "demo") is not None and not timers_held(session)
    assert run_schedules(session, rt) != []
