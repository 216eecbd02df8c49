"""An event-based gateway takes one branch, even when its timer is due and a message comes first.

A timer is fired by the timer worker a little after it falls due. A message delivered in that gap
found the gateway still waiting: SpiffWorkflow took the message's branch, and the same step then
fired the due timer too, so both branches ran (a trip got its pre-trip call and new dates twice).
Delivering a message now fires what is due first: the timer's branch is taken and the message,
no longer awaited, is refused (409) with nothing changed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.errors import Conflict
from workflows.models import Event, Timer, WorkItem

from .conftest import actor
from .security_world import deploy_test_model


def _open_tasks(session, case_id: int) -> list[str]:
    query = select(WorkItem.bpmn_id).where(WorkItem.case_id == case_id, WorkItem.status == "ready")
    return sorted(session.scalars(query))


def test_a_message_before_the_due_timer_fires_does_not_run_both_branches(session, rt, clock) -> None:
    deploy_test_model(session, rt, "timer_or_message.bpmn")
    case = cases.start_case(session, rt, "timer_or_message", {}, actor("service_supervisor"))
    clock.advance(hours=2)  # the timer is due; no timer worker has fired it yet

    with pytest.raises(Conflict):
        cases.deliver_message(session, rt, case.id, "poke", {}, actor("service_supervisor"))
    assert _open_tasks(session, case.id) == []  # refused: nothing changed, not even the timer

    assert cases.fire_due_timers(session, rt, actor("service_supervisor")) == [case.id]
    assert _open_tasks(session, case.id) == ["after_timer"]
    fired = select(Event.id).where(Event.case_id == case.id, Event.kind == "timer_fired")
    assert len(session.scalars(fired).all()) == 1


def test_a_message_while_the_timer_is_not_due_takes_the_message_branch(session, rt, clock) -> None:
    deploy_test_model(session, rt, "timer_or_message.bpmn")
    case = cases.start_case(session, rt, "timer_or_message", {}, actor("service_supervisor"))
    clock.advance(minutes=30)
    cases.deliver_message(session, rt, case.id, "poke", {}, actor("service_supervisor"))
    assert _open_tasks(session, case.id) == ["after_message"]
    assert session.scalars(select(Timer).where(Timer.case_id == case.id)).all() == []
