"""A timer step that a watchdog stopped becomes an incident instead of staying due.

Every script a timer step runs is bounded (``engine.isolated``), but a step can still run on: a
model that loops without a wait state, a handler that never returns. The timer worker runs its
steps in a child process and reports each one through ``TimerStepWatch``; when a step overruns
(or the child dies in one), the watchdog kills the child, which rolls the step back, and calls
``stop_timer_step``: the case goes to ``error`` naming the timer, with its state from before the
step. Due timers are only fired for running cases, so the next worker does not pick it up again;
a supervisor can fix the model or data and retry it like any other incident.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from workflows.audit import record
from workflows.cases.locks import lock_case
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work


class TimerStepWatch(Protocol):
    """What ``fire_due_timers`` tells a watchdog about each case it fires."""

    def step_started(self, case_id: int, bpmn_ids: list[str]) -> None:
        """The case is locked and its due timers (``bpmn_ids``) are about to fire."""

    def step_ended(self, case_id: int) -> None:
        """The case's step committed or rolled back."""


def stop_timer_step(
    session: Session, rt: Runtime, case_id: int, bpmn_ids: list[str], reason: str, actor: Actor
) -> bool:
    """Put a running case whose timer step was stopped in ``error``; False when it is not running."""
    with unit_of_work(session):
        case = lock_case(session, case_id)
        if case is None or case.status != "running":
            return False
        now = rt.clock.now()
        element = bpmn_ids[0] if bpmn_ids else None
        case.status = "error"
        case.error_element, case.error_message, case.error_at = element, reason, now
        record(session, "case_error", now, case_id=case_id, bpmn_id=element, text=reason, user=actor.username)
    return True
