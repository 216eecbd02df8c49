"""Where a case stands on its diagram, ready for diagram.js: what to colour, and loop counts.

A trip's tasks live in the processes it calls, whose elements are not on the trip's diagram; there
the call activity stands for them. The engine's parsed specs are read here and never handed on.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from workflows.cases.diagram import case_diagram

from ..extensions import db
from .common import runtime
from .diagram_names import localized_bpmn
from .labels import task_label


def _calls(spec: Any) -> dict[str, str]:
    """Call activity id -> the process it calls."""
    return {
        t.bpmn_id: t.spec
        for t in spec.task_specs.values()
        if isinstance(t, SubWorkflowTask) and isinstance(getattr(t, "spec", None), str) and t.bpmn_id
    }


def calls_holding(bundle: Any, element_ids: set[str]) -> set[str]:
    """Call activities of the case's own diagram whose called process (or one it calls) has one of the ids."""

    def holds(process_key: str, seen: frozenset[str]) -> bool:
        spec = bundle.subprocess_specs.get(process_key)
        if spec is None or process_key in seen:
            return False
        if element_ids & {getattr(t, "bpmn_id", None) for t in spec.task_specs.values()}:
            return True
        return any(holds(key, seen | {process_key}) for key in _calls(spec).values())

    if not element_ids:
        return set()
    return {call for call, key in _calls(bundle.spec).items() if holds(key, frozenset())}


def element_names(case: Any) -> dict[str, str]:
    """Every element id of the case's version (called processes too) -> its name in the model."""
    bundle = runtime().specs.get(db.session, case.version)
    names: dict[str, str] = {}
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task in spec.task_specs.values():
            bpmn_id = getattr(task, "bpmn_id", None)
            if bpmn_id and getattr(task, "bpmn_name", None):
                names.setdefault(bpmn_id, task.bpmn_name)
    return names


def element_label(case: Any, names: dict[str, str] | None = None) -> str:
    """The failed element's name in words: the translated task name, else the name in the model."""
    element = case.error_element or ""
    found = (names if names is not None else element_names(case)).get(element)
    return task_label(element, found or element)


def diagram_state(case: Any) -> dict[str, Any]:
    """The BPMN of the case's version and the element ids to colour, for diagram.js (a JSON block)."""
    found = case_diagram(db.session, case)
    bundle = runtime().specs.get(db.session, case.version)
    error = set(found["error"])
    error |= calls_holding(bundle, error)
    active = set(found["active"]) - error
    active |= calls_holding(bundle, active) - error
    return {
        "bpmn": localized_bpmn(found["bpmn"]),
        "layout": "BPMNPlane" in found["bpmn"],  # a model without layout (BPMN DI) cannot be drawn
        "active": sorted(active),
        "completed": sorted(set(found["completed"]) - active - error),
        "error": sorted(error),
        "loops": {k: n for k, n in found["counts"].items() if n > 1},
        "loop_title": _("Ran %(n)s times", n="{n}"),
    }
