"""Real processes on a real database: what the benchmarks and the kill test drive.

A throwaway database (a SQLite file or a fresh PostgreSQL database), made ready the way
``flask init-db`` would (schema, the models in bpmn/, one user per role), the web server
(gunicorn) and timer workers (``flask worker``) as subprocesses on it, and a small HTTP client.
Everything listens and connects on 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-1"
POSTGRES = os.environ.get("TRIPFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LANE_USERS = (
    "account_manager",
    "travel_advisor",
    "project_manager",
    "customer_service",
    "service_supervisor",
    "data_analyst",
    "process_owner",
    "admin",
)


# --- databases ------------------------------------------------------------------------------


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        POSTGRES.replace("postgresql+psycopg", "postgresql"), autocommit=True, connect_timeout=3
    )


def postgres_available() -> bool:
    try:
        with _admin():
            return True
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False


@contextmanager
def postgres_database(prefix: str = "tripflow_bench") -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(kind: str, workdir: Path, name: str = "tripflow") -> Iterator[str]:
    """A fresh database of ``kind`` ("sqlite" or "postgresql"); yields its URL."""
    if kind == "sqlite":
        path = workdir / (name + ".db")
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
    else:
        with postgres_database() as url:
            yield url


def app_config(url: str) -> dict[str, Any]:
    return {
        "SETUP_ON_START": False,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }


def make_app(url: str, clock: Any = None):  # type: ignore[no-untyped-def]
    """The Flask app on ``url``, in this process (for preparing data and checking results)."""
    import logging

    from webapp import create_app

    app = create_app(app_config(url), clock=clock)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def prepare(url: str) -> None:
    """Schema, the models in bpmn/ and one user per role (user name = role, password ``PASSWORD``)."""
    from webapp.extensions import db
    from webapp.setup import deploy_directory, init_schema
    from workflows.people.users import add_user

    app = make_app(url)
    with app.app_context():
        init_schema(app)
        deploy_directory(app, ROOT / "bpmn")
        now = app.extensions["tripflow"].clock.now()
        for role in LANE_USERS:
            add_user(db.session, role, PASSWORD, [role], now=now)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        TRIPFLOW_SETUP_ON_START="0",
        TRIPFLOW_DEMO_USERS="0",
        SECRET_KEY="bench-secret",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    """A subprocess whose output goes to a log file; stopped by its own id only."""

    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None
    name: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        """Process ids of this process's children (gunicorn's workers)."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _spawn(args: list[str], env: dict[str, str], log: Path, **kw: Any) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 - the child keeps it open
    try:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw
        )
    finally:
        handle.close()


def start_gunicorn(
    url: str,
    workdir: Path,
    *,
    workers: int = 1,
    app: str = "webapp:create_app()",
    name: str = "web",
    extra_env: dict[str, str] | None = None,
) -> Proc:
    """gunicorn with ``workers`` sync workers on a free loopback port, ready to answer."""
    port = free_port()
    log = workdir / f"{name}-{port}.log"
    args = [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "webapp" / "gunicorn.conf.py"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    proc = Proc(_spawn(args, server_env(url, **(extra_env or {})), log), log, port, name)
    wait_ready(proc)
    return proc


def start_timer_worker(url: str, workdir: Path, *, interval: float = 0.2, name: str = "timers") -> Proc:
    log = workdir / f"{name}-{uuid.uuid4().hex[:6]}.log"
    args = [str(BIN / "flask"), "--app", "webapp", "worker", "--interval", str(interval)]
    return Proc(_spawn(args, server_env(url), log), log, None, name)


def wait_ready(proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        try:
            if Http(proc.base).request("GET", "/api/v1/me").status == 401:
                return
        except OSError:
            pass
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"{proc.name} did not answer within {timeout:g} s:\n{proc.tail()}")


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def server_ms(self) -> float | None:
        """The app's own time for this request, from the ``Server-Timing`` header of bench.server."""
        timing = self.headers.get("server-timing", "")
        for part in timing.split(","):
            name, _, rest = part.strip().partition(";dur=")
            if name == "app" and rest:
                return float(rest)
        return None


class Http:
    """A tiny JSON client over loopback: a new connection per request (gunicorn's sync workers close them)."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.timeout = host, int(port), timeout

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Response:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            elapsed = time.perf_counter() - started
            answer = {k.lower(): v for k, v in raw.getheaders()}
        finally:
            conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return Response(raw.status, parsed, answer, elapsed)

    def token(self, username: str, password: str = PASSWORD) -> str:
        answer = self.request("POST", "/api/v1/token", {"username": username, "password": password})
        if answer.status != 200:
            raise RuntimeError(f"no token for {username}: {answer.status} {answer.body}")
        return str(answer.body["token"])
