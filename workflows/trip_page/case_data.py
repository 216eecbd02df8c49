"""Writing a variable into a running trip case from outside, and delivering a message when one waits.

The customer page's rating must never be lost and never answer 500: it is written into the case
data (``trip_ratings``) whether or not the trip's model waits for ``customer_rating`` just now,
and the message is delivered when it does. ``deliver_message`` itself answers 409 when nothing
waits; here that is a normal outcome, not an error.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from workflows.audit import changes_between, record
from workflows.cases.operations import catch_message, deliver_outbox
from workflows.cases.step import Step
from workflows.models import Case
from workflows.permissions import Actor
from workflows.runtime import Runtime

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def waits_for(workflow: Any, name: str, payload: dict[str, Any]) -> bool:
    event = BpmnEvent(MessageEventDefinition(name), payload)
    return any(t.task_spec.event_definition.catches(t, event) for t in workflow.event_manager.tasks.values())


def set_and_offer(
    session: Session,
    rt: Runtime,
    case: Case,
    changes: dict[str, Any],
    messages: list[tuple[str, dict[str, Any]]],
    actor: Actor,
    why: str,
) -> list[int]:
    """Sets ``changes`` on the running case and delivers each message the case waits for.

    Inside the caller's unit, the case row already locked. Returns the indexes of ``messages``
    delivered; the others were not awaited (the caller keeps them pending).
    """
    step = Step(session, rt, case, rt.specs.get(session, case.version), actor)
    workflow = step.load()
    before = dict(case.data or {})
    # each task its own copy: SpiffWorkflow merges a parent's data into a child's lists in place
    for task in workflow.get_tasks(state=LIVE):
        task.data.update(deepcopy(changes))
    workflow.data.update(deepcopy(changes))
    step.recorded_keys.update(changes)
    record(
        session,
        "data_changed",
        step.now,
        case_id=case.id,
        user=actor.username,
        text=why,
        data_changes=changes_between(before, changes),
    )
    delivered = []
    step.note_due_timers()
    step.run_engine(workflow)  # a timer already due goes first: an event gateway takes one branch
    for index, (name, payload) in enumerate(messages):
        if step.error is not None or not waits_for(workflow, name, payload):
            continue
        catch_message(step, workflow, name, payload)
        delivered.append(index)
    if delivered:
        step.advance(workflow)
        # a task the message readied inherited its data from before the change: set it again
        for task in workflow.get_tasks(state=LIVE):
            task.data.update(deepcopy(changes))
        step.save(workflow)
        deliver_outbox(session, rt, step)
    else:
        step.save(workflow)
    return delivered
