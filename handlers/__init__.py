"""Python that BPMN service tasks and task hooks call, one module per process area.

``default_registry`` lists every module explicitly: no discovery magic, and a test can build a
fresh registry of its own.
"""

from __future__ import annotations

from workflows.engine.handlers import HandlerRegistry


def default_registry() -> HandlerRegistry:
    from . import (
        change,
        confirmation,
        crisis,
        feedback,
        incident,
        planning,
        review,
        settlement,
        tiering,
        trip_stage,
        winback,
    )

    registry = HandlerRegistry()
    modules = (planning, confirmation, change, feedback, tiering, review, trip_stage, incident)
    for module in (*modules, crisis, settlement, winback):
        module.register(registry)
    return registry
