"""``flask worker``: fire due timers in a loop, in a child process a watchdog can stop.

A timer step runs in the worker's database transaction (on SQLite it holds the write lock).
Scripts are bounded by the evaluator pool, but a step can still run on: a model that loops
without a wait state, a handler that never returns. So ``flask worker`` is a small supervisor:
it runs the real loop in a child, killed with the supervisor through PR_SET_PDEATHSIG, which
reports on a pipe when a round starts and ends and when each case's step starts (after its
lock) and ends. The child is forked from the supervisor, which has one thread and closes its
database connections first, so nothing that cannot cross a fork does (and a restart costs no
second app start); should the supervisor ever have other threads, the child is a fresh
interpreter instead (``flask worker --runner-fd N``). When a step runs longer than
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
import threading
import time
import traceback
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
    from workflows.cases.timer_hold import timers_held

    rt = app.extensions["tripflow"]
    if report is not None:
        rt.engine.warm()  # forked from a supervisor that ended its evaluators
        click.echo(f"timer rounds running in process {os.getpid()}")
    while True:
        if report is not None:
            report.round_started()
        try:
            if timers_held(db.session):
                db.session.rollback()  # the demo is simulating a year: its timers, its notices wait
            else:
                run_schedules(db.session, rt)
                fired = fire_due_timers(db.session, rt, SYSTEM, watch=report)
                if fired:
                    click.echo(f"fired timers of {len(fired)} case(s): {fired}")
                _after_commit(app, rt)  # notices and PDFs even while timers keep firing
                if fired:
                    continue
        except Exception as exc:  # noqa: BLE001 - a worker keeps going; the failure is logged
            db.session.rollback()
            app.logger.exception("timer round failed: %s", exc)
        if report is not None:
            report.round_ended()
        time.sleep(interval)


def _after_commit(app: Flask, rt: object) -> None:
    """E-mails, robot posts and PDFs, sent after the steps that asked for them committed."""
    from .after_commit import after_commit_round

    done = after_commit_round(app, rt)
    if any(done.values()):
        click.echo(", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in done.items()))


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


class _Forked:
    """A forked child, with the part of ``subprocess.Popen``'s interface the supervisor uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)


def _fork_runner(app: Flask, interval: float, fd: int) -> _Forked:
    """Fork the timer loop. Safe here: one thread, and no database connection crosses the fork."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the child opens its own connections; the parent reopens on its next use
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return _Forked(pid)
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        die_with_parent(parent)
        with app.app_context():
            run_rounds(app, interval, PipeReport(fd))
    except KeyboardInterrupt:
        code = 0
    except BaseException:  # noqa: BLE001 - the child reports and ends; the supervisor starts another
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # never return into the supervisor's code


def _start_runner(app: Flask, app_import: str, interval: float, fd: int) -> Any:
    """The timer loop as a child: forked when this process has one thread, else a fresh ``flask worker``."""
    if threading.active_count() == 1:
        return _fork_runner(app, interval, fd)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        _runner_command(app_import, interval, fd), pass_fds=(fd,), env=_runner_env()
    )


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


def _watch_child(child: Any, fd: int, limit: float) -> tuple[str, _Watch]:
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
        child = _start_runner(app, app_import, interval, write_end)
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
