"""What every service call needs besides the database session, built once per application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.registry import HandlerRegistry
from workflows.deploy.operations import SpecCache
from workflows.engine.clock import Clock, SystemClock
from workflows.engine.spiff import ProcessEngine


@dataclass
class Runtime:
    engine: ProcessEngine
    handlers: HandlerRegistry
    clock: Clock = field(default_factory=SystemClock)
    specs: SpecCache = field(default_factory=SpecCache)
    timezone: str = "Asia/Shanghai"
    # called with every SpiffWorkflow task a step completes: the scenario runner's coverage reads it
    task_observer: Callable[[Any], None] | None = None

    @property
    def handler_names(self) -> frozenset[str]:
        return frozenset(self.handlers.services)
