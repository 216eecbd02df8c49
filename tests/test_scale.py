"""Several OS processes on one database, and cases whose rework loops must not make every step slower."""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from bench.harness import make_app, prepare
from bench.load import in_processes
from bench.populate import ITINERARY, Cloner, make_templates, open_items
from webapp.extensions import db
from workflows.cases import operations as cases
from workflows.cases.consistency import check_all
from workflows.engine.clock import FixedClock
from workflows.engine.spiff import HISTORY_LIMIT, ProcessBundle, ProcessEngine, compact_history, make_parser
from workflows.models import Event, Timer, WorkItem
from workflows.permissions import SYSTEM, Actor

from .conftest import NEEDS, ROOT, SHANGHAI, TEST_DATABASE, actor, open_task, open_tasks
from .postgres import fresh_database
from .processes import race

# --- four processes at once -------------------------------------------------------------------

RESOLVE = {"resolution": "apology and refund", "compensation": 200, "responsible_party": "supplier"}


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: Any, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        if TEST_DATABASE == "postgresql":
            pytest.skip("runs in the SQLite pass of the suite")
        yield f"sqlite:///{tmp_path / 'processes.db'}"
    else:
        with fresh_database() as url:
            yield url


def _complaints(app: Any, count: int) -> list[int]:
    with app.app_context():
        rt = app.extensions["tripflow"]
        ids = [
            cases.start_case(
                db.session,
                rt,
                "complaint_handling",
                {"urgency": "urgent", "topic": "hotel", "complaint_details": "noisy room"},
                actor("customer_service"),
            ).id
            for _ in range(count)
        ]
        db.session.remove()
    return ids


def test_four_processes_lose_no_update_and_fire_each_timer_once(shared_url: str) -> None:
    start = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
    prepare(shared_url)
    app = make_app(shared_url, clock=FixedClock(start))
    rt = app.extensions["tripflow"]
    templates = make_templates(app)
    cloner = Cloner(app)
    same_task = open_items(app, cloner.clone(templates["design_itinerary"], 8), "design_itinerary")
    claims = open_items(app, cloner.clone(templates["design_itinerary"], 8), "design_itinerary")
    both_open = _complaints(app, 6)  # fired below: resolve_complaint and escalate_complaint both open
    with app.app_context():
        rt.clock.set(start + timedelta(hours=3))
        assert sorted(cases.fire_due_timers(db.session, rt, SYSTEM)) == sorted(both_open)
        db.session.remove()
    rt.clock.set(start)
    due = _complaints(app, 12)  # their timers are due when the processes run, three hours on
    with app.app_context():
        resolve = [open_task(db.session, c, "resolve_complaint").id for c in both_open]
        escalate = [open_task(db.session, c, "escalate_complaint").id for c in both_open]
        db.session.remove()
    plan = {
        "same_task": same_task,
        "design": ITINERARY,
        "claims": claims,
        "resolve": resolve,
        "escalate": escalate,
        "resolve_data": RESOLVE,
        "escalate_data": {},
    }

    outcomes = [
        o
        for result in in_processes(
            4, race, shared_url, (start + timedelta(hours=3)).isoformat(), plan, timeout=300
        )
        for o in result
    ]

    by_key: dict[tuple[str, Any], Counter[str]] = {}
    for phase, key, result in outcomes:
        by_key.setdefault((phase, key), Counter())[result] += 1
    for item_id in same_task + claims:
        phase = "same_task" if item_id in same_task else "claims"
        assert by_key[(phase, item_id)] == Counter({"ok": 1, "conflict": 3}), (
            phase,
            item_id,
            by_key[(phase, item_id)],
        )
    for item_id in resolve + escalate:
        phase = "resolve" if item_id in resolve else "escalate"
        assert by_key[(phase, item_id)] == Counter({"ok": 1, "conflict": 1}), (
            phase,
            item_id,
            by_key[(phase, item_id)],
        )
    fired = Counter(key for phase, key, _ in outcomes if phase == "timers")
    assert fired == Counter(dict.fromkeys(due, 1)), fired

    with app.app_context():
        session = db.session
        rt.clock.set(start + timedelta(hours=3))
        for item_id in same_task + resolve + escalate:
            item = session.get(WorkItem, item_id)
            assert item.status == "completed"
            completions = session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.work_item_id == item_id, Event.kind == "task_completed")
            )
            assert completions == 1, item_id
        for item_id in claims:
            item = session.get(WorkItem, item_id)
            assert item.status == "claimed" and item.claimed_by.startswith("advisor")
        for case_id in both_open:  # neither completion overwrote the other: the follow-up is what is left
            assert [i.bpmn_id for i in open_tasks(session, case_id)] == ["follow_up_call"]
        for case_id in due:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(WorkItem)
                    .where(WorkItem.case_id == case_id, WorkItem.bpmn_id == "escalate_complaint")
                )
                == 1
            )
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.case_id == case_id, Event.kind == "timer_fired")
                )
                == 1
            )
        assert (
            session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= rt.clock.now())) == 0
        )
        duplicates = session.execute(
            select(WorkItem.case_id, WorkItem.bpmn_id)
            .where(WorkItem.status.in_(("ready", "claimed")))
            .group_by(WorkItem.case_id, WorkItem.bpmn_id)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        assert check_all(session, rt) == []
        session.remove()
        db.engine.dispose()


# --- rework loops -------------------------------------------------------------------------------


def _new_customer() -> dict[str, Any]:
    return {"new_customer": {"name": "李娜 Li Na", "phone": "13900001111"}, **NEEDS}


def _tasks_in_tree(rt: Any, session: Any, case: Any) -> int:
    bundle = rt.specs.get(session, case.version)
    workflow = rt.engine.load(case.state, bundle, rt.engine.script_engine(lambda task, name: {}))
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def test_rework_loops_keep_state_and_tree_bounded(start_case, work, session, rt) -> None:
    case = work(start_case(), "collect_needs", **_new_customer())
    sizes, trees = [], []
    for loop in range(45):
        case = work(case, "design_itinerary", **{**ITINERARY, "quoted_price": 30000 + loop})
        case = work(case, "review_itinerary", approved=False, review_comments=f"loop {loop}")
        sizes.append(len(zlib.decompress(case.state)))
        trees.append(_tasks_in_tree(rt, session, case))
    assert max(trees) <= HISTORY_LIMIT
    assert max(sizes[25:]) <= 1.2 * max(sizes[:25]), sizes
    redesign = open_task(session, case.id, "design_itinerary")
    assert case.data["review_comments"] == "loop 44" and case.data["quoted_price"] == 30044
    assert redesign.customer_name == "李娜 Li Na"
    case = work(case, "design_itinerary", **ITINERARY)
    case = work(case, "review_itinerary", approved=True)
    case = work(case, "present_to_customer", customer_accepts=True)
    case = work(
        case, "sign_contract", contract_number="HT-2026-045", signed_on="2026-11-25", total_price=34000
    )
    assert case.status == "completed"
    assert case.element_counts["design_itinerary"] == 46 and case.element_counts["review_itinerary"] == 46
    assert check_all(session, rt) == []


def _fire_until_quiet(session: Any, rt: Any, case_id: int) -> None:
    """Fire the case's timers until none is due: each moment of the trip arms the next."""
    for _ in range(40):
        fired = cases.fire_due_timers(session, rt, SYSTEM)
        if not fired:
            return
        assert fired == [case_id], fired
    raise AssertionError("timers kept falling due")


def test_a_trip_whose_planning_looped_runs_to_the_end(start_case, work, session, rt, clock) -> None:
    trip = work(start_case("trip"), "collect_needs", **_new_customer())
    for loop in range(25):
        trip = work(trip, "design_itinerary", **ITINERARY)
        trip = work(trip, "review_itinerary", approved=False, review_comments=f"loop {loop}")
    assert _tasks_in_tree(rt, session, trip) <= 2 * HISTORY_LIMIT
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number="HT-9", signed_on="2026-11-24", total_price=8000)
    trip = work(
        trip,
        "arrange_bookings",
        bookings=[{"kind": "hotel", "supplier": "Ryokan Sakura", "reference": "RS-1"}],
    )
    trip = work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI))
    assert cases.fire_due_timers(session, rt, SYSTEM) == [trip.id]
    trip = work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)
    clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))
    _fire_until_quiet(session, rt, trip.id)  # departure, the evenings of the trip, return
    trip = work(trip, "collect_survey", satisfaction=5, nps=9, comments="Lovely", has_complaint=False)
    assert check_all(session, rt) == []
    assert trip.data["destination"] == "Kyoto" and trip.data["contract_number"] == "HT-9"


def test_compaction_changes_nothing_the_engine_can_see() -> None:
    """SpiffWorkflow's own habit: round-trip mid-run and compare with a workflow that was never compacted."""
    parser = make_parser()
    parser.add_bpmn_file(str(ROOT / "bpmn" / "itinerary_planning.bpmn"))
    parser.add_dmn_file(str(ROOT / "bpmn" / "benefit_rules.dmn"))  # planning reads the booking rules
    bundle = ProcessBundle(
        key="itinerary_planning",
        name="Itinerary planning",
        spec=parser.get_spec("itinerary_planning"),
        subprocess_specs={},
        forms={},
    )
    engine = ProcessEngine()
    script_engine = engine.script_engine(lambda task, name: {})
    plain = engine.new_workflow(bundle, script_engine)
    compacted = engine.new_workflow(bundle, script_engine)

    def step(workflow: Any, data: dict[str, Any]) -> None:
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()

    def ready(workflow: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(t.task_spec.name, t.data) for t in workflow.get_tasks(state=TaskState.READY, manual=True)]

    for workflow in (plain, compacted):
        workflow.do_engine_steps()
        step(workflow, {**NEEDS, "customer_id": 7})
    for loop in range(30):
        for workflow in (plain, compacted):
            step(workflow, {**ITINERARY, "quoted_price": loop})
            step(workflow, {"approved": False, "review_comments": f"loop {loop}"})
        assert compact_history(plain, limit=10_000) == 0
        if loop in (10, 20, 29):
            assert compact_history(compacted, limit=30) > 0
            compacted = engine.load(engine.dump(compacted), bundle, script_engine)
        assert ready(plain) == ready(compacted)
    for data in (
        ITINERARY,
        {"approved": True},
        {"customer_accepts": True},
        {"contract_number": "HT-1", "signed_on": "2026-11-25", "total_price": 1},
    ):
        for workflow in (plain, compacted):
            step(workflow, data)
        assert ready(plain) == ready(compacted)
    assert plain.completed and compacted.completed
    assert plain.last_task.data == compacted.last_task.data
    assert len(compacted.tasks) < len(plain.tasks) / 3


def test_a_trip_whose_dates_changed_often_drops_its_finished_subprocesses(
    start_case, work, session, rt, clock
) -> None:
    trip = work(start_case("trip"), "collect_needs", **_new_customer())
    trip = work(trip, "design_itinerary", **ITINERARY)
    trip = work(trip, "review_itinerary", approved=True)
    trip = work(trip, "present_to_customer", customer_accepts=True)
    trip = work(trip, "sign_contract", contract_number="HT-7", signed_on="2026-11-24", total_price=8000)
    trip = work(
        trip,
        "arrange_bookings",
        bookings=[{"kind": "hotel", "supplier": "Ryokan Sakura", "reference": "RS-1"}],
    )
    trip = work(trip, "send_confirmation_letter", sent_via="wechat", sent_on="2026-11-25")
    for change in range(24):  # each change re-arms the wait for departure: the top-level tree grows
        day = 20 + change % 3
        trip = cases.deliver_message(
            session,
            rt,
            trip.id,
            "itinerary_changed",
            {"start_date": f"2026-12-{day}", "end_date": f"2026-12-{day + 7}"},
            actor("account_manager"),
        )
    trip = cases.deliver_message(
        session,
        rt,
        trip.id,
        "itinerary_changed",
        {"start_date": "2026-12-20", "end_date": "2026-12-27"},
        actor("account_manager"),
    )
    workflow = rt.engine.load(
        trip.state, rt.specs.get(session, trip.version), rt.engine.script_engine(lambda t, n: {})
    )
    assert (
        len(workflow.tasks) <= HISTORY_LIMIT and workflow.subprocesses == {}
    )  # planning and confirmation went
    assert trip.data["contract_number"] == "HT-7" and trip.data["start_date"] == "2026-12-20"
    [timer] = session.scalars(select(Timer).where(Timer.case_id == trip.id)).all()
    assert timer.due_at == datetime(2026, 12, 13, 9, 0, tzinfo=SHANGHAI)
    clock.set(timer.due_at)
    assert cases.fire_due_timers(session, rt, SYSTEM) == [trip.id]
    trip = work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)
    clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))
    _fire_until_quiet(session, rt, trip.id)  # departure, the evenings of the trip, return
    trip = work(trip, "collect_survey", satisfaction=5, nps=9, comments="Lovely", has_complaint=False)
    assert check_all(session, rt) == []
    assert trip.element_counts["apply_new_dates"] == 25


def test_an_inbox_over_several_lanes_pages_in_order(start_case, work, session, clock) -> None:
    from workflows.inbox import queries as inbox

    made = []
    for number in range(7):
        case = work(start_case(), "collect_needs", **_new_customer())
        if number % 2:
            case = work(case, "design_itinerary", **ITINERARY)  # now waiting for review_itinerary
        made.append(case.id)
    both = Actor("two_hats", frozenset({"travel_advisor", "project_manager", "data_analyst"}))
    expected = sorted(
        (
            i
            for i in session.scalars(
                select(WorkItem).where(WorkItem.status == "ready", WorkItem.assignee.is_(None))
            )
            if i.lane in both.roles
        ),
        key=lambda i: (i.priority, i.sort_due, i.id),
    )
    seen, cursor = [], None
    while True:
        page, cursor = inbox.list_tasks(
            session, both, "group", now=clock.now(), sort="tier", cursor=cursor, limit=3
        )
        seen += page
        if cursor is None:
            break
    assert [i.id for i in seen] == [i.id for i in expected] and len(seen) == 7
    assert (
        inbox.count_tasks(session, both, "group") == 7
        and inbox.count_tasks(session, both, "group", cap=5) == 5
    )
