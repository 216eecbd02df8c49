"""What every service call needs besides the database session, built once per application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflows.engine.clock import Clock, SystemClock
from workflows.engine.handlers import HandlerRegistry
from workflows.engine.spec_cache import SpecCache
from workflows.engine.spiff import ProcessEngine


@dataclass
class Runtime:
    engine: ProcessEngine
    handlers: HandlerRegistry
    clock: Clock = field(default_factory=SystemClock)
    spec_cache: SpecCache = field(default_factory=SpecCache)
    timezone: str = "Asia/Shanghai"
    # called with every SpiffWorkflow task a step completes: the scenario runner's coverage reads it
    task_observer: Callable[[Any], None] | None = None

    @property
    def specs(self) -> SpecCache:
        """The parsed bundles, read in this runtime's time zone (Camunda due dates depend on it)."""
        return self.spec_cache.in_zone(self.timezone)

    @specs.setter
    def specs(self, cache: SpecCache) -> None:
        self.spec_cache = cache

    @property
    def handler_names(self) -> frozenset[str]:
        return frozenset(self.handlers.services)
