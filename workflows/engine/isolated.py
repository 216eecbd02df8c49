"""The script environment the engine uses: the sandbox, run where the OS can stop it.

SpiffWorkflow hands every script task, pre/post script, gateway condition, timer expression,
DMN cell and multi-instance expression to its environment as source text plus the task data
(``context``) and sometimes extra names (``external_context``: data objects, DMN's
``dmninputexpr``). This environment

1. compiles the source with the sandbox's RestrictedPython policy here, so a refused script fails
   at once with the same message as before, without a round trip;
2. runs a script or expression that provably does bounded work in this process (``bounded``);
3. sends everything else, with a copy of the task data, the clock's current instant and the
   limits, to an evaluator process (``evaluator_pool``), and takes back the value, or for a
   script the task data as the script left it, which replaces the task's data only when the
   script succeeded (as in the sandbox).

Errors keep their kind (a script's ``KeyError`` is a ``KeyError`` here) and the line they came
from (``script_line``), so SpiffWorkflow's incident messages read as before. A script that runs
past the time limit, or past the memory limit, in C or not, becomes a ``ScriptError`` after at
most the time limit plus ``evaluator_pool.GRACE``: the step becomes an incident naming the element.
"""

from __future__ import annotations

import pickle
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from workflows.engine.bounded import BoundedEvaluator, NotBounded
from workflows.engine.clock import current_clock
from workflows.engine.evaluator_pool import pool_for
from workflows.engine.evaluator_wire import decode_error, frame
from workflows.engine.sandbox import ScriptError, _compiled
from workflows.engine.script_helpers import script_helpers

__all__ = ["DEFAULT_MEMORY_LIMIT", "IsolatedEnvironment"]

DEFAULT_MEMORY_LIMIT = 256 * 2**20
"""Bytes of memory a script may allocate (on top of what its evaluator process uses idle)."""


class IsolatedEnvironment(TaskDataEnvironment):
    """Runs sandboxed scripts in evaluator processes; bounded expressions in process."""

    def __init__(
        self,
        timezone_name: str = "Asia/Shanghai",
        time_limit: float = 1.0,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        max_memory_items: int = 1_000_000,
    ) -> None:
        self._bounded = BoundedEvaluator(script_helpers(timezone_name), time_limit)
        super().__init__(self._bounded.globals)  # the helper names, for check_for_overwrite
        self.timezone_name = timezone_name
        self.time_limit = time_limit
        self.max_memory_items = max_memory_items
        self._pool = pool_for(memory_limit)
        self.warm()

    def warm(self) -> None:
        """Start an evaluator now (without waiting for it), so the first script does not wait for one."""
        self._pool.warm()

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        _compiled(expression, "eval")
        try:
            return self._bounded.evaluate(expression, context, external_context)
        except NotBounded:
            pass
        return self._remote("eval", expression, context, external_context)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        _compiled(script, "exec")
        try:
            return self._bounded.execute(script, context, external_context)
        except NotBounded:
            pass
        result = self._remote("exec", script, context, external_context)
        context.clear()
        context.update(result)
        return True

    def _remote(self, mode: str, source: str, context: dict, external_context: dict | None) -> Any:
        request = (
            mode,
            source,
            context,
            external_context or {},
            current_clock().now(),
            self.timezone_name,
            self.time_limit,
            self.max_memory_items,
        )
        try:
            data = frame(request)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ScriptError(f"the task data cannot be handed to the script: {exc}") from None
        reply = self._pool.run(data, self.time_limit)
        if reply[0] == "ok":
            return reply[1]
        _error, kind, name, args, message, line = reply
        exc = decode_error(kind, name, args, message, ScriptError)
        exc.script_line = line  # type: ignore[attr-defined]
        raise exc
