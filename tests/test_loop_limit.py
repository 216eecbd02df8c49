"""A loop without a wait state becomes an incident naming its element, in the step that runs it.

SpiffWorkflow deepens its task tree with every element it runs; a loop that never waits reached
about a thousand levels within two seconds and the engine then dropped the path without a word:
the case stayed "running" with no task, no timer and nothing to do. A step now stops after
``MAX_ELEMENTS_PER_STEP`` elements: the case goes to ``error`` with its state from before the
step, like any failing script, and a supervisor can fix and retry it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.setup import deploy_uploads
from workflows.cases import operations as cases
from workflows.cases.step import MAX_ELEMENTS_PER_STEP
from workflows.models import Event, Timer
from workflows.permissions import SYSTEM

from .hostile_models import FAST_TURN, START_DATA, _flow, _model, endless_loop_model


def test_a_loop_without_a_wait_state_becomes_an_incident(app, session, rt, clock) -> None:
    deploy_uploads(app, [("fast_loop.bpmn", endless_loop_model("fast_loop", FAST_TURN))])
    case = cases.start_case(session, rt, "fast_loop", START_DATA, SYSTEM)
    assert case.status == "running"

    clock.advance(seconds=2)  # the timer before the loop is due
    assert cases.fire_due_timers(session, rt, SYSTEM) == [case.id]

    session.refresh(case)
    assert case.status == "error"
    assert case.error_element in ("spin", "again")
    assert f"more than {MAX_ELEMENTS_PER_STEP} elements ran in one step" in case.error_message
    assert case.element_counts.get("spin", 0) <= MAX_ELEMENTS_PER_STEP  # nothing of the loop kept
    assert session.scalar(select(func.count()).select_from(Timer).where(Timer.case_id == case.id)) == 0
    kinds = session.scalars(select(Event.kind).where(Event.case_id == case.id).order_by(Event.id)).all()
    assert kinds[-1] == "case_error"


def test_a_loop_started_over_the_api_answers_with_the_incident(app, session, rt, api) -> None:
    body = (  # the loop right after the start: it runs inside the request that starts the case
        '    <bpmn:startEvent id="start"/>\n'
        f'    <bpmn:scriptTask id="spin" scriptFormat="python"><bpmn:script>{FAST_TURN}</bpmn:script>'
        "</bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="again" default="f_out"/>\n'
        '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        + _flow("f1", "start", "spin")
        + _flow("f2", "spin", "again")
        + _flow("f_again", "again", "spin", "n == 3")
        + _flow("f_out", "again", "look")
        + _flow("f3", "look", "end")
    )
    deploy_uploads(
        app, [("fast_loop.bpmn", _model("fast_loop", ["start", "spin", "again", "look", "end"], body))]
    )
    answer = api.as_("process_owner").post("/api/v1/cases", {"process": "fast_loop", "data": START_DATA})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["status"] == "error"
    assert answer.get_json()["error"]["element_id"] in ("spin", "again")
