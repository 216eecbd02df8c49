"""What every service call needs besides the database session, built once per application."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.registry import HandlerRegistry

from .clock import Clock, SystemClock
from .deploy import SpecCache
from .engine import ProcessEngine


@dataclass
class Runtime:
    engine: ProcessEngine
    handlers: HandlerRegistry
    clock: Clock = field(default_factory=SystemClock)
    specs: SpecCache = field(default_factory=SpecCache)
    timezone: str = "Asia/Shanghai"

    @property
    def handler_names(self) -> frozenset[str]:
        return frozenset(self.handlers.services)
