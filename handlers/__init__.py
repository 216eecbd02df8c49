"""Python that BPMN service tasks and task hooks call, one module per process area.

``default_registry`` lists every module explicitly: no discovery magic, and a test can build a
fresh registry of its own.
"""

from __future__ import annotations

from workflows.engine.handlers import HandlerRegistry


def default_registry() -> HandlerRegistry:
    from . import change, confirmation, feedback, incident, planning, review, tiering, trip_stage

    registry = HandlerRegistry()
    for module in (planning, confirmation, change, feedback, tiering, review, trip_stage, incident):
        module.register(registry)
    return registry
