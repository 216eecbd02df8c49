"""The registry that binds Python functions to BPMN service tasks and to user-task hooks.

The core owns this interface and the ``handlers`` package registers into it, so the core never
imports a plug-in. Registration is explicit (``handlers.default_registry()`` lists every module),
duplicates are an error, and each test can build a fresh registry, so there is no hidden global
state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ServiceHandler = Callable[["Any"], dict[str, Any] | None]
CompletionHook = Callable[["Any", dict[str, Any]], dict[str, Any] | None]


class DuplicateHandler(ValueError):
    """Two functions claim the same name: the second would silently win, so refuse."""


@dataclass
class HandlerRegistry:
    services: dict[str, ServiceHandler] = field(default_factory=dict)
    completion_hooks: dict[str, CompletionHook] = field(default_factory=dict)
    start_hooks: dict[str, CompletionHook] = field(default_factory=dict)

    def service(self, name: str) -> Callable[[ServiceHandler], ServiceHandler]:
        """Register ``fn(ctx) -> dict`` as the handler of service tasks whose operator is ``name``."""

        def register(fn: ServiceHandler) -> ServiceHandler:
            if name in self.services:
                raise DuplicateHandler(f"service handler {name!r} is registered twice")
            self.services[name] = fn
            return fn

        return register

    def on_complete(self, task_id: str) -> Callable[[CompletionHook], CompletionHook]:
        """Register ``fn(ctx, submitted) -> dict`` to run when user task ``task_id`` is completed.

        It runs inside the completing transaction, before the engine moves on, and may add
        case variables (for example the id of a customer it created).
        """

        def register(fn: CompletionHook) -> CompletionHook:
            if task_id in self.completion_hooks:
                raise DuplicateHandler(f"completion hook {task_id!r} is registered twice")
            self.completion_hooks[task_id] = fn
            return fn

        return register

    def on_start(self, process_key: str) -> Callable[[CompletionHook], CompletionHook]:
        """Register ``fn(ctx, start_data) -> dict`` to add case variables when ``process_key`` starts."""

        def register(fn: CompletionHook) -> CompletionHook:
            if process_key in self.start_hooks:
                raise DuplicateHandler(f"start hook {process_key!r} is registered twice")
            self.start_hooks[process_key] = fn
            return fn

        return register
