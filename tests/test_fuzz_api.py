"""Fuzzing: every API route of our OpenAPI document (schemathesis, through WSGI), the task form
validator with the real form schemas, and the task page's form post (hypothesis).

What must hold for any input: no 5xx, and a refused request (4xx) changes nothing in the
database. Examples are few and derandomized so the run stays fast and repeatable; to search
harder locally: ``FUZZ_EXAMPLES=100 FUZZ_RANDOM=1 pytest tests/test_fuzz_api.py``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from sqlalchemy import event

from webapp.extensions import db
from workflows.cases.forms import FORMAT_CHECKER, validate_submission, value_problems
from workflows.errors import Invalid
from workflows.people.users import add_user
from workflows.permissions import ROLES

from .conftest import PASSWORD, ROOT
from .security_world import World, deploy_test_model, fingerprint

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SLOW_OPERATIONS = {("POST", "/api/v1/token"): 2}  # each example checks a password (scrypt)
SKIPPED = {("DELETE", "/api/v1/token")}  # would revoke the fuzzer's own token; see test_security_auth
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzzer(app, session, rt) -> dict[str, Any]:
    """A user holding every role (so role checks let the fuzzer through) and real objects to aim at."""
    deploy_test_model(session, rt)
    world = World(app, session, rt)
    add_user(session, "fuzzer", PASSWORD, list(ROLES), now=rt.clock.now())
    session.commit()
    case_id, task_id = world.planning_case()
    doc_case, document_id = world.document()
    return {
        "token": world.token("fuzzer"),
        "ids": {
            "case_id": case_id,
            "task_id": task_id,
            "customer_id": world.customer(),
            "filter_id": world.saved_filter("fuzzer"),
            "key": "itinerary_planning",
        },
        "document": {"case_id": doc_case, "document_id": document_id},
        "world": world,
    }


def _aimed(path: str, names: list[str], fuzzer: dict[str, Any]) -> dict[str, Any]:
    """Path parameters that point at real objects, so the fuzzed bodies reach the services."""
    if "document_id" in names:
        return dict(fuzzer["document"])
    values = {n: fuzzer["ids"][n] for n in names if n in fuzzer["ids"]}
    if "name" in names:
        values["name"] = "itinerary_planning.bpmn" if "/files/" in path else "itinerary_changed"
    return values


class Unchanged:
    """Checks that a refused request changed nothing, reading the whole database once per request.

    The state after one request is the state before the next, so only a request that succeeded
    (and may have changed something) makes the next one read it again. The full read costs more
    than most requests, twice as much on PostgreSQL: this halves the fuzzing time there.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.known: str | None = None

    def before(self) -> None:
        if self.known is None:
            self.known = fingerprint(self.session)

    def after(self, status: int) -> bool:
        """False when a refused request (4xx) left the database different."""
        if status < 400:
            self.known = None
            return True
        now = fingerprint(self.session)
        same, self.known = now == self.known, now
        return same


def test_every_api_route_survives_fuzzing(app, session, fuzzer):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {fuzzer['token']}"}
    failures: list[str] = []
    operations = 0
    unchanged = Unchanged(session)
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIPPED:
            continue
        operations += 1
        names = [p.name for p in operation.path_parameters]
        aims = [None, _aimed(operation.path, names, fuzzer)] if names else [None]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for aim in aims:
                strategy = operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=aim)

                @given(case=strategy)
                @settings(FUZZ, max_examples=SLOW_OPERATIONS.get(key, EXAMPLES))
                def call(case: Any) -> None:
                    unchanged.before()
                    response = case.call()
                    status = response.status_code
                    if status >= 500:
                        failures.append(f"{status} {case.as_curl_command()}\n    {response.text[:300]}")
                    elif not unchanged.after(status):
                        failures.append(f"{status} but the database changed: {case.as_curl_command()}")

                try:
                    call()
                except Unsatisfiable:
                    pass  # no invalid input exists for an operation without parameters
    assert operations >= 40, f"only {operations} operations in the OpenAPI document"
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} fuzzed requests failed:\n" + "\n".join(unique[:30])


# --------------------------------------------------------------------------- known hostile values


# What a random search rarely draws but an attacker tries first; most of it fails only on PostgreSQL
# (integers past its ``integer``, NUL in text), so this sweep is what makes the PostgreSQL pass count.
HOSTILE_PARAMETERS = [
    "\x00",
    "a\x01b",
    "\x1b[2J",
    "99999999999",
    "-99999999999",
    "9" * 30,
    "\u00b2",  # a digit to str.isdigit(), not to int()
    "1e400",
    "NaN",
    "x" * 5000,
]
HOSTILE_JSON: list[Any] = [
    2**31,
    -(2**31) - 1,
    2**63,
    10**30,
    1e308,
    "\x00",
    "a\x01b",
    "9" * 30,
    "99999999999",
    "\u00b2",
    "x" * 70_000,
    [],
    {},
    None,
]
HOSTILE_FILE_NAMES = ["a\x00.png", "a\x00b.bpmn", "a\x01.bpmn", "../../etc/passwd", "x" * 300 + ".bpmn", ""]
# variables that services read from case data as ids or user names
DATA_KEYS = ("customer_id", "trip_case_id", "dedicated_advisor", "trip_account_manager", "start_date")
BASE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/cases"): {"process": "itinerary_planning"},
    ("POST", "/api/v1/customers"): {"name": "Lin Wei"},
    ("POST", "/api/v1/customers/{customer_id}/contacts"): {"channel": "phone", "summary": "called"},
    ("POST", "/api/v1/cases/{case_id}/comments"): {"text": "a note"},
    ("POST", "/api/v1/tasks/{task_id}/comments"): {"text": "a note"},
    ("PATCH", "/api/v1/cases/{case_id}/data"): {"reason": "a fix", "set": {}},
}
NOT_SWEPT = SKIPPED | {("POST", "/api/v1/token")}  # a password check per request (scrypt)


def _requests(doc: dict[str, Any], fuzzer: dict[str, Any]) -> Any:
    """(method, path template, url, query, json body, file name) for each hostile value in each place."""
    from urllib.parse import quote

    for template, operations in doc["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or (method.upper(), template) in NOT_SWEPT:
                continue
            method = method.upper()
            parameters = operation.get("parameters", [])
            names = [p["name"] for p in parameters if p["in"] == "path"]
            aimed = {n: fuzzer["ids"].get(n, "x") for n in names} | _aimed(template, names, fuzzer)

            def url(values: dict[str, Any], template: str = template) -> str:
                return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})

            for parameter in parameters:
                for value in HOSTILE_PARAMETERS:
                    if parameter["in"] == "path":
                        yield method, template, url({**aimed, parameter["name"]: value}), {}, None, None
                    else:
                        yield method, template, url(aimed), {parameter["name"]: value}, None, None
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                for name in HOSTILE_FILE_NAMES:
                    yield method, template, url(aimed), {}, None, name
            schema = content.get("application/json", {}).get("schema", {})
            base = BASE_BODIES.get((method, template), {})
            for prop, spec in (schema.get("properties") or {}).items():
                for value in HOSTILE_JSON:
                    yield method, template, url(aimed), {}, {**base, prop: value}, None
                if prop == "data" and spec.get("type") == "object":
                    for key in DATA_KEYS:
                        for value in HOSTILE_JSON:
                            yield method, template, url(aimed), {}, {**base, "data": {key: value}}, None


class CommittedWrites:
    """Counts the rows that committed INSERT, UPDATE and DELETE statements changed, from the engine's
    own events: as exact as comparing the whole database, for a fraction of its cost per request."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.committed = 0
        self._open: dict[int, list[int]] = {}  # connection -> rows written per (save)point level
        self._events = {
            "after_cursor_execute": self._executed,
            "commit": self._commit,
            "rollback": self._rollback,
            "savepoint": self._savepoint,
            "rollback_savepoint": self._rollback_savepoint,
            "release_savepoint": self._release_savepoint,
        }

    def __enter__(self) -> CommittedWrites:
        for name, listener in self._events.items():
            event.listen(self.engine, name, listener)
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, listener in self._events.items():
            event.remove(self.engine, name, listener)

    def _executed(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in ("INSERT", "UPDATE", "DELETE") and cursor.rowcount != 0:
            levels = self._open.setdefault(id(conn), [0])
            levels[-1] += max(cursor.rowcount, 1)

    def _commit(self, conn: Any) -> None:
        self.committed += sum(self._open.pop(id(conn), []))

    def _rollback(self, conn: Any) -> None:
        self._open.pop(id(conn), None)

    def _savepoint(self, conn: Any, _name: str) -> None:
        self._open.setdefault(id(conn), [0]).append(0)

    def _rollback_savepoint(self, conn: Any, _name: str, _context: Any) -> None:
        levels = self._open.get(id(conn))
        if levels and len(levels) > 1:
            levels.pop()

    def _release_savepoint(self, conn: Any, _name: str, _context: Any) -> None:
        levels = self._open.get(id(conn))
        if levels and len(levels) > 1:
            levels[-2] += levels.pop()


def test_every_api_route_survives_known_hostile_values(app, session, fuzzer):
    """Each query and path parameter, top-level JSON field, case variable and uploaded file name of
    every operation gets each value above: never a 5xx, and a refusal commits no change."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {fuzzer['token']}"}
    doc = client.get("/api/v1/openapi.json", headers=headers).get_json()
    failures: list[str] = []
    sent = 0
    with CommittedWrites(db.engine) as writes:
        for request in _requests(doc, fuzzer):
            sent += 1
            before = writes.committed
            status, shown, text = _send(client, headers, *request)
            if status >= 500:
                failures.append(f"{status} {shown}\n    {text[:200]}")
            elif status >= 400 and writes.committed != before:
                failures.append(f"{status} but {writes.committed - before} rows changed: {shown}")
    assert sent > 1000, f"only {sent} hostile requests"
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} hostile requests failed:\n" + "\n".join(unique[:30])


def _send(
    client: Any,
    headers: dict[str, str],
    method: str,
    template: str,
    url: str,
    query: dict[str, str],
    body: Any,
    file_name: str | None,
) -> tuple[int, str, str]:
    import io

    if file_name is not None:
        upload = {"file": (io.BytesIO(b"<x/>"), file_name)}
        response = client.open(
            url, method=method, data=upload, content_type="multipart/form-data", headers=headers
        )
    else:
        response = client.open(url, method=method, query_string=query, json=body, headers=headers)
    shown = f"{method} {template} url={url[:120]!r} query={str(query)[:80]} body={str(body)[:80]}"
    shown += f" file={file_name!r}" if file_name is not None else ""
    return response.status_code, shown, response.get_data().decode("utf-8", "replace")


# --------------------------------------------------------------------------- form validation


FORM_FILES = sorted((ROOT / "bpmn" / "forms").glob("*.schema.json"))

ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "\ud800", "2026-02-30", "x" * 70_000]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _value_for(prop: Any) -> st.SearchStrategy[Any]:
    """Values near what a field takes (so that valid submissions happen too), and anything else."""
    if not isinstance(prop, dict):
        return ANY_JSON
    near: list[st.SearchStrategy[Any]] = []
    if "enum" in prop:
        near.append(st.sampled_from(prop["enum"]))
    kinds = prop.get("type", [])
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "string" and prop.get("format") == "date":
            near.append(st.dates().map(str) | st.sampled_from(["2026-02-30", "26-1-1", "0000-01-01"]))
        elif kind == "string" and prop.get("format") == "date-time":
            near.append(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
        elif kind == "string":
            near.append(st.text(max_size=prop.get("maxLength", 30)))
        elif kind == "integer":
            near.append(st.integers(min_value=-10, max_value=10**6) | st.integers())
        elif kind == "number":
            near.append(st.floats(allow_nan=True, allow_infinity=True) | st.integers(0, 10**6))
        elif kind == "boolean":
            near.append(st.booleans())
        elif kind == "array":
            near.append(st.lists(_value_for(prop.get("items")), max_size=3))
        elif kind == "object":
            props = prop.get("properties") or {}
            near.append(st.fixed_dictionaries({}, optional={k: _value_for(v) for k, v in props.items()}))
    return st.one_of(*near, ANY_JSON) if near else ANY_JSON


def _submissions(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties") or {}
    known = st.fixed_dictionaries({}, optional={k: _value_for(v) for k, v in props.items()})
    unknown = st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


@pytest.mark.parametrize("path", FORM_FILES, ids=[p.name.removesuffix(".schema.json") for p in FORM_FILES])
@given(data=st.data())
@settings(FUZZ, max_examples=4 * EXAMPLES)
def test_form_validation_accepts_only_valid_data_and_never_crashes(path: Path, data: Any) -> None:
    schema = json.loads(path.read_text())
    submitted = data.draw(_submissions(schema))
    before = repr(copy.deepcopy(submitted))
    try:
        accepted = validate_submission(schema, submitted)
    except Invalid as exc:
        assert exc.details, exc.message
        for detail in exc.details:
            assert isinstance(detail["field"], str) and detail["field"]
            assert isinstance(detail["message"], str) and detail["message"]
    else:
        assert set(accepted) <= set(schema.get("properties") or {}), "a field that is not in the form got in"
        assert Draft202012Validator(schema, format_checker=FORMAT_CHECKER).is_valid(accepted)
        assert value_problems(accepted) == []
        json.dumps(accepted, allow_nan=False).encode("utf-8")  # storable as it is
    assert repr(submitted) == before, "validation changed what was submitted"


def test_the_form_validator_refuses_what_no_store_can_hold():
    schema = json.loads((ROOT / "bpmn" / "forms" / "collect_needs.schema.json").read_text())
    for bad in (
        {"travellers": 2**70},
        {"budget": float("inf")},
        {"budget": float("nan")},
        {"preferences": "x" * 70_000},
        {"preferences": "\ud800"},
        {"destination": "a\udfffb"},
    ):
        with pytest.raises(Invalid) as caught:
            validate_submission(schema, bad)
        assert [d["field"] for d in caught.value.details] == list(bad), caught.value.details


# --------------------------------------------------------------------------- the task page's form


PAGE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "9" * 400,
            "NaN",
            "2026-02-30",
            "0000-01-01",
            "\x00",
            "%00",
            "1,000,000",
            "１２３",
        ]
    ),
)


@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "destination",
                "purpose",
                "start_date",
                "end_date",
                "travellers",
                "budget",
                "preferences",
                "customer_id",
                "new_customer.name",
                "new_customer.email",
                "new_customer.segment",
                "new_customer",
                "unknown",
            ]
        ),
        PAGE_TEXT,
        max_size=8,
    )
)
@settings(FUZZ, max_examples=3 * EXAMPLES)
def test_the_task_page_survives_any_form_post(fuzz_page: Any, fields: dict[str, str]) -> None:
    client, session, task_id = fuzz_page
    before = fingerprint(session)
    response = client.post(f"/tasks/{task_id}", data=fields)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert fingerprint(session) == before


@pytest.fixture
def fuzz_page(app, session, rt) -> Any:
    world = World(app, session, rt)
    _, task_id = world.planning_case()
    client = app.test_client()
    client.post("/login", data={"username": "account_manager", "password": PASSWORD})
    return client, db.session, task_id
