"""A warm pool of evaluator processes: where model scripts run so the OS can stop them.

Signals and tracing cannot stop a script that runs on inside one C call (``any(map(x.append,
x))``), so scripts run in separate processes (``evaluator``) with RLIMIT_AS and RLIMIT_CPU set.
The engine waits for an answer at most the time limit plus ``GRACE``; then it kills the
evaluator, reports the script as having run too long, and starts a replacement at once, so the
next script finds a warm process. An evaluator that ends by itself (memory limit, a crash) makes
the same report. Nothing of the engine's process waits longer than that, and nothing of it is
shared with an evaluator: they are fresh interpreters started with ``subprocess`` (fork + exec),
not forks of a process that holds database connections and threads.

One pool serves every engine of a process (per memory limit); an evaluator serves one request at
a time, and a pool grows on demand when several threads evaluate at once (the development
server), keeping up to ``MAX_IDLE`` idle ones. The engine starts the first evaluator when it is
created (``warm``, without waiting for it), and a replacement starts as soon as one is killed or
retires. A forked child of the process (a gunicorn worker forked after the pool started) starts
its own.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workflows.engine.evaluator_wire import (
    EvaluatorGone,
    EvaluatorTimeout,
    read_frame,
    trusted_loads,
    write_all,
)
from workflows.engine.sandbox import ScriptError

__all__ = ["GRACE", "EvaluatorPool", "close_all", "pool_for"]

log = logging.getLogger(__name__)

GRACE = 0.25
"""Seconds past the time limit the engine waits for an answer before it kills the evaluator."""
STARTUP_TIMEOUT = 60.0
"""Seconds a new evaluator may take to import the sandbox (a loaded machine is slow to start Python)."""
MAX_IDLE = 4
READY = b"ready"

_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    "from workflows.engine.evaluator import serve; serve(int(sys.argv[1]))"
)


def _evaluator_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key in ("PATH", "LANG", "LC_ALL", "TZ")}


class Evaluator:
    """One evaluator process and its two pipes."""

    def __init__(self, memory_limit: int) -> None:
        self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", _BOOT, str(memory_limit), _ROOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,  # no database socket or other file of the engine
            env=_evaluator_env(),  # no DATABASE_URL, SECRET_KEY or other secret of the engine
            start_new_session=True,  # Ctrl-C on a terminal is for the engine, which closes the pipes
        )
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self._to = self.popen.stdin.fileno()
        self._from = self.popen.stdout.fileno()
        os.set_blocking(self._to, False)
        self.ready = False

    def wait_ready(self, deadline: float) -> None:
        if not self.ready:
            if trusted_loads(read_frame(self._from, deadline)) != READY:
                raise EvaluatorGone("no ready signal")
            self.ready = True

    def send(self, data: bytes, deadline: float) -> None:
        write_all(self._to, data, deadline)

    def receive(self, deadline: float) -> Any:
        return trusted_loads(read_frame(self._from, deadline))

    def end_reason(self) -> str:
        try:
            code = self.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            return {"SIGXCPU": "its CPU time ran out", "SIGKILL": "it was killed"}.get(name, f"{name}")
        return f"exit status {code}"

    def close(self, kill: bool = False) -> None:
        if kill and self.popen.poll() is None:
            self.popen.kill()
        for pipe in (self.popen.stdin, self.popen.stdout):
            if pipe is not None:
                pipe.close()
        # always reap: an evaluator left running when its Popen is dropped is a leaked process (and
        # a ResourceWarning); a retired one ends by itself once its input closes
        try:
            self.popen.wait(timeout=None if kill else 2)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class EvaluatorPool:
    """Evaluator processes with one memory limit, lent to one request at a time."""

    def __init__(self, memory_limit: int) -> None:
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._idle: list[Evaluator] = []
        self._pid = os.getpid()

    def _owned(self) -> None:
        if self._pid != os.getpid():  # forked: the evaluators are the parent's
            self._lock = threading.Lock()
            self._idle = []
            self._pid = os.getpid()

    def warm(self) -> None:
        """Start one evaluator now, without waiting for it to be ready, unless one is idle already."""
        self._owned()
        with self._lock:
            if not self._idle:
                self._idle.append(Evaluator(self.memory_limit))

    def close(self) -> None:
        """End the idle evaluators (a process that will not run scripts, such as a supervisor)."""
        self._owned()
        with self._lock:
            idle, self._idle = self._idle, []
        for evaluator in idle:
            evaluator.close(kill=True)

    def _take(self) -> Evaluator:
        self._owned()
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return Evaluator(self.memory_limit)

    def _give_back(self, evaluator: Evaluator) -> None:
        self._owned()
        with self._lock:
            if len(self._idle) < MAX_IDLE:
                self._idle.append(evaluator)
                return
        evaluator.close()

    def _replace(self, evaluator: Evaluator, kill: bool) -> None:
        evaluator.close(kill=kill)
        self.warm()

    def run(self, data: bytes, time_limit: float) -> tuple[Any, ...]:
        """Send one framed request, return the evaluator's reply; ScriptError when it overran or ended."""
        for attempt in (1, 2):
            evaluator = self._take()
            waited = time.monotonic()
            try:
                evaluator.wait_ready(waited + STARTUP_TIMEOUT)
            except (EvaluatorTimeout, EvaluatorGone, OSError) as exc:
                evaluator.close(kill=True)
                reason = str(exc) or type(exc).__name__
                raise ScriptError(f"no script evaluator could be started ({reason})") from None
            sent = time.monotonic()
            if sent - waited > 0.5:
                log.info("waited %.2f s for script evaluator %s to start", sent - waited, evaluator.popen.pid)
            deadline = sent + time_limit + GRACE
            try:
                evaluator.send(data, deadline)
            except EvaluatorGone:  # it ended while idle (killed from outside): try a fresh one
                evaluator.close(kill=True)
                if attempt == 1:
                    continue
                raise ScriptError("the script evaluator ended before it read the script") from None
            except EvaluatorTimeout:
                self._replace(evaluator, kill=True)
                raise ScriptError(f"script ran longer than {time_limit} s") from None
            try:
                reply = evaluator.receive(deadline)
            except EvaluatorTimeout:
                log.warning(
                    "script evaluator %s killed after %.2f s", evaluator.popen.pid, time.monotonic() - sent
                )
                self._replace(evaluator, kill=True)
                raise ScriptError(f"script ran longer than {time_limit} s") from None
            except EvaluatorGone:
                reason = evaluator.end_reason()
                self._replace(evaluator, kill=True)
                raise ScriptError(f"the script ended its evaluator process ({reason})") from None
            if reply[-1]:  # retire: it grew; the next request gets a fresh one
                self._replace(evaluator, kill=False)
            else:
                self._give_back(evaluator)
            return tuple(reply[:-1])
        raise AssertionError("unreachable")


_pools: dict[int, EvaluatorPool] = {}
_pools_lock = threading.Lock()


def pool_for(memory_limit: int) -> EvaluatorPool:
    """The process's pool for ``memory_limit`` bytes (one per process, shared by every engine)."""
    with _pools_lock:
        pool = _pools.get(memory_limit)
        if pool is None:
            pool = _pools[memory_limit] = EvaluatorPool(memory_limit)
        return pool


def close_all() -> None:
    """End every idle evaluator of this process."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
