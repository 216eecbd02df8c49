"""``flask worker``: fire due timers in a loop, in a child process a watchdog can stop.

A timer step runs in the worker's database transaction (on SQLite it holds the write lock).
Scripts are bounded by the evaluator pool, but a step can still run on: a model that loops
without a wait state, a handler that never returns. So ``flask worker`` is a small supervisor:
it starts the real loop as a child (``flask worker --runner-fd N``, a fresh interpreter, killed
with the supervisor through PR_SET_PDEATHSIG), which reports on a pipe when a round starts and
ends and when each case's step starts (after its lock) and ends. When a step runs longer than
``TIMER_STEP_TIMEOUT`` seconds, or the child dies inside one, the supervisor kills the child
(the database rolls the step back and drops its locks), turns that case into an incident naming
the timer (``workflows.cases.timer_incidents``) and starts a fresh child: the timer fails once
into an incident and never stays due to hang the next worker. A round that makes no progress
for as long (a stuck query) gets the child restarted without blaming a case.

``TIMER_STEP_TIMEOUT=0`` runs the loop in this process without a watchdog.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask

from workflows.permissions import SYSTEM

from .extensions import db

PR_SET_PDEATHSIG = 1


class PipeReport:
    """The child's side: one line per event on the pipe to the supervisor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _send(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def round_started(self) -> None:
        self._send("busy")

    def round_ended(self) -> None:
        self._send("idle")

    def step_started(self, case_id: int, bpmn_ids: list[str]) -> None:
        self._send(f"step {case_id} {','.join(bpmn_ids)}")

    def step_ended(self, case_id: int) -> None:
        self._send(f"done {case_id}")


def run_rounds(app: Flask, interval: float, report: PipeReport | None = None) -> None:
    """The timer loop: start scheduled cases, fire due timers, sleep when nothing was due."""
    from workflows.cases.operations import fire_due_timers
    from workflows.cases.schedules import run_schedules

    rt = app.extensions["tripflow"]
    if report is not None:
        click.echo(f"timer rounds running in process {os.getpid()}")
    while True:
        if report is not None:
            report.round_started()
        try:
            run_schedules(db.session, rt)
            fired = fire_due_timers(db.session, rt, SYSTEM, watch=report)
            if fired:
                click.echo(f"fired timers of {len(fired)} case(s): {fired}")
                continue
        except Exception as exc:  # noqa: BLE001 - a worker keeps going; the failure is logged
            db.session.rollback()
            app.logger.exception("timer round failed: %s", exc)
        if report is not None:
            report.round_ended()
        time.sleep(interval)


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when the supervisor ends, however it ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


# --------------------------------------------------------------------------- the supervisor


@dataclass
class _Watch:
    """What the supervisor knows of its child's progress."""

    busy: bool = False
    last: float = field(default_factory=time.monotonic)
    step: tuple[int, list[str]] | None = None
    step_since: float = 0.0
    pending: bytes = b""

    def feed(self, data: bytes) -> None:
        now = time.monotonic()
        self.last = now
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        for raw in lines:
            kind, _, rest = raw.decode().partition(" ")
            if kind == "busy":
                self.busy = True
            elif kind == "idle":
                self.busy, self.step = False, None
            elif kind == "step":
                case_id, _, ids = rest.partition(" ")
                self.step, self.step_since = (int(case_id), [i for i in ids.split(",") if i]), now
            elif kind == "done":
                self.step = None

    def wait_for(self, limit: float) -> float | None:
        """Seconds until the current step or round overruns; None while idle."""
        now = time.monotonic()
        if self.step is not None:
            return self.step_since + limit - now
        if self.busy:
            return self.last + limit - now
        return None


def _runner_command(app_import: str, interval: float, fd: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flask",
        "--app",
        app_import,
        "worker",
        "--interval",
        repr(interval),
        "--runner-fd",
        str(fd),
        "--supervisor-pid",
        str(os.getpid()),
    ]


def _runner_env() -> dict[str, str]:
    """This process's environment, with the code it runs first on the path (``python -m`` adds the cwd)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _watch_child(child: subprocess.Popen[bytes], fd: int, limit: float) -> tuple[str, _Watch]:
    """Follow the child until it ends ("ended") or overruns ("overran" in a step, "stalled" outside)."""
    watch = _Watch()
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        remaining = watch.wait_for(limit)
        if remaining is not None and remaining <= 0:
            child.kill()
            child.wait()
            return ("overran" if watch.step is not None else "stalled"), watch
        events = poller.poll(None if remaining is None else max(remaining, 0.0) * 1000 + 1)
        if events:
            data = os.read(fd, 65536)
            if not data:
                child.wait()
                return "ended", watch
            watch.feed(data)


def supervise(app: Flask, app_import: str, interval: float, limit: float) -> None:
    """Run the timer loop in a child process; stop a step that overruns and make it an incident."""
    from workflows.cases.timer_incidents import stop_timer_step
    from workflows.engine.evaluator_pool import close_all

    close_all()  # the supervisor runs no scripts: only its child does

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"timer worker started, every {interval:g} s, steps stopped after {limit:g} s")
    while True:
        read_end, write_end = os.pipe()
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            _runner_command(app_import, interval, write_end), pass_fds=(write_end,), env=_runner_env()
        )
        os.close(write_end)
        try:
            outcome, watch = _watch_child(child, read_end, limit)
        finally:
            os.close(read_end)
            if child.poll() is None:  # the supervisor is stopping: stop the child with it
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if watch.step is not None:
            case_id, bpmn_ids = watch.step
            if outcome == "overran":
                reason = f"the timer step ran longer than {limit:g} s and was stopped by the timer worker"
            else:
                reason = f"the timer worker process ended during this step (exit status {child.returncode})"
            rt = app.extensions["tripflow"]
            try:
                marked = stop_timer_step(db.session, rt, case_id, bpmn_ids, reason, SYSTEM)
            finally:
                db.session.remove()
            app.logger.error("case %s: %s%s", case_id, reason, "" if marked else " (it was not running)")
        elif outcome == "stalled":
            app.logger.error("timer round made no progress for %g s: worker restarted", limit)
        else:
            app.logger.error("timer worker process ended (exit status %s): restarted", child.returncode)
            time.sleep(min(interval, 1.0))
