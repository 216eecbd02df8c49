"""Fixtures: a fresh database per test, the real app and test client, users per role, factories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.extensions import db
from webapp.setup import deploy_directory, init_schema
from workflows.cases import operations as cases
from workflows.deploy.operations import SpecCache
from workflows.engine.clock import FixedClock
from workflows.models import Case, WorkItem
from workflows.people.users import add_user
from workflows.permissions import ROLES, Actor
from workflows.runtime import Runtime

from .sample_data import ITINERARY, NEEDS  # noqa: F401 - re-exported for the tests

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-battery"


def app_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SETUP_ON_START": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))


SHARED_SPECS = SpecCache()  # parsed bundles are keyed by content hash, so tests can share them


def prepare_database(url: str, clock: FixedClock) -> None:
    """Schema, the models of bpmn/ and one user per role (password PASSWORD)."""
    app = create_app(app_config(url), clock=clock)
    with app.app_context():
        init_schema(app)
        deploy_directory(app, ROOT / "bpmn")
        for role in ROLES:
            add_user(db.session, role, PASSWORD, [role], now=clock.now())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


SCENARIO_COVERAGE = pytest.StashKey[str]()  # the coverage table of tests/test_scenarios.py


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """``make test`` always shows the scenario coverage table (model, nodes, flows, percent)."""
    text = config.stash.get(SCENARIO_COVERAGE, None)
    if text:
        terminalreporter.write_sep("-", "scenario coverage of the models in bpmn/")
        terminalreporter.write_line(text)


TEST_DATABASE = os.environ.get("TRIPFLOW_TEST_DATABASE", "sqlite")  # or "postgresql"
TEMPLATE_CLOCK = FixedClock(datetime(2026, 11, 1, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated and deployed once per run; each test gets a copy (a file, or a PostgreSQL TEMPLATE)."""
    if TEST_DATABASE == "postgresql":
        from .postgres import create_template, drop_database

        name = create_template(lambda url: prepare_database(url, TEMPLATE_CLOCK))
        yield name
        drop_database(name)
        return
    path = tmp_path_factory.mktemp("template") / "tripflow.db"
    prepare_database(f"sqlite:///{path}", TEMPLATE_CLOCK)
    yield str(path)


@pytest.fixture
def database_url(tmp_path: Path, template_database: str) -> Iterator[str]:
    if TEST_DATABASE == "postgresql":
        from .postgres import fresh_database

        with fresh_database(template=template_database) as url:
            yield url
        return
    copy = tmp_path / "tripflow.db"
    shutil.copyfile(template_database, copy)
    yield f"sqlite:///{copy}"


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[Flask]:
    app = create_app(app_config(database_url), clock=clock)
    app.extensions["tripflow"].specs = SHARED_SPECS
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def rt(app: Flask) -> Runtime:
    return app.extensions["tripflow"]


@pytest.fixture
def session(app: Flask) -> Any:
    return db.session


def actor(role: str) -> Actor:
    return Actor(role, frozenset({role}))


@pytest.fixture
def start_case(session: Any, rt: Runtime) -> Callable[..., Case]:
    def start(process: str = "itinerary_planning", by: str = "account_manager", **data: Any) -> Case:
        return cases.start_case(session, rt, process, data, actor(by))

    return start


@pytest.fixture
def work(session: Any, rt: Runtime) -> Callable[..., Case]:
    """Complete the one open task ``task_id`` of a case as someone in its lane."""

    def complete(case: Case, task_id: str, by: str | None = None, **data: Any) -> Case:
        item = open_task(session, case.id, task_id)
        who = by or item.assignee or item.lane or "service_supervisor"
        return cases.complete_task(session, rt, item.id, data, actor(who))

    return complete


def insert_trip_case(session: Any, clock: FixedClock, status: str = "running") -> int:
    """A bare trip case row (no workflow state), for tests of what hangs off a case."""
    from sqlalchemy import select

    from workflows.models import ProcessVersion

    version = session.scalars(select(ProcessVersion).where(ProcessVersion.key == "trip")).first()
    case = Case(
        process_key="trip",
        process_version_id=version.id,
        status=status,
        started_at=clock.now(),
        started_by="test",
        updated_at=clock.now(),
        state=b"",
        serializer_version="",
        data={},
        element_counts={},
    )
    session.add(case)
    session.flush()
    return case.id


def open_task(session: Any, case_id: int, task_id: str) -> WorkItem:
    from sqlalchemy import select

    items = list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.case_id == case_id,
                WorkItem.bpmn_id == task_id,
                WorkItem.status.in_(("ready", "claimed")),
            )
        )
    )
    assert len(items) == 1, (
        f"expected one open {task_id} in case {case_id}, found {len(items)}: "
        f"{[(i.bpmn_id, i.status) for i in open_tasks(session, case_id)]}"
    )
    return items[0]


def open_tasks(session: Any, case_id: int) -> list[WorkItem]:
    from sqlalchemy import select

    return list(
        session.scalars(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.status.in_(("ready", "claimed")))
        )
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A JSON client that signs in with a bearer token per user."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def as_(self, username: str, password: str = PASSWORD) -> Api:
        if username not in self.tokens:
            response = self.client.post("/api/v1/token", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        self.user = username
        return self

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[self.user]}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(), **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(), **kw)

    def put(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.put(path, json=json, headers={**self._headers(), **(headers or {})}, **kw)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)
