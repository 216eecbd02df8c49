"""Hardened model uploads (POST /api/v1/processes): external entities, entity bombs and oversized
files are refused quickly, nothing is deployed, and no file on the server is ever read.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.models import ModelFile, ProcessVersion

QUICK = 2.0  # seconds

BPMN_HEAD = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
    'targetNamespace="http://tripflow.test">'
)
PROCESS = (
    '<bpmn:process id="hostile" isExecutable="true"><bpmn:startEvent id="start" name="{name}"/>'
    '<bpmn:endEvent id="end"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/></bpmn:process>'
)


def bpmn(name: str = "start", prolog: str = "") -> str:
    body = PROCESS.format(name=name)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}{BPMN_HEAD}{body}</bpmn:definitions>'


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-PASSPHRASE")
    return path


def upload(api: Any, name: str, content: bytes | str) -> tuple[Any, float]:
    data = content.encode("utf-8") if isinstance(content, str) else content
    started = time.perf_counter()
    response = api.as_("process_owner").post(
        "/api/v1/processes",
        json=None,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return response, time.perf_counter() - started


def deployed(session: Any) -> tuple[int, int]:
    session.rollback()
    return (
        session.scalar(select(func.count()).select_from(ProcessVersion)),
        session.scalar(select(func.count()).select_from(ModelFile)),
    )


INTERNAL_ENTITY = '<!DOCTYPE d [<!ENTITY x "EXPANDED">]>\n'


def hostile_uploads(secret: Path) -> dict[str, str | bytes]:
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    return {
        "external entity (file)": bpmn("&xxe;", f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'),
        "external entity (network)": bpmn(
            "&xxe;", '<!DOCTYPE d [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>\n'
        ),
        "parameter entity": bpmn("x", f'<!DOCTYPE d [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>\n'),
        "external DTD": bpmn("x", f'<!DOCTYPE d SYSTEM "file://{secret}">\n'),
        "billion laughs": bpmn("&lol9;", f"<!DOCTYPE d [{laughs}]>\n"),
        "quadratic blowup": bpmn("&a;" * 5000, f'<!DOCTYPE d [<!ENTITY a "{"x" * 50000}">]>\n'),
        "undeclared entity": bpmn("&xxe;"),
        "billion laughs in UTF-16": bpmn("&lol9;", f"<!DOCTYPE d [{laughs}]>\n")
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16"),
        "external entity in UTF-16": bpmn("&xxe;", f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>\n')
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16"),
        "internal entity in UTF-16": _encoded(
            bpmn("&x;", '<!DOCTYPE d [<!ENTITY x "EXPANDED">]>\n'), "UTF-16"
        ),
        "internal entity in UTF-32": _encoded(
            bpmn("&x;", '<!DOCTYPE d [<!ENTITY x "EXPANDED">]>\n'), "UTF-32"
        ),
        "bare DTD in UTF-16LE": _encoded(bpmn("x", "<!DOCTYPE d>\n"), "UTF-16LE"),
    }


def _encoded(document: str, encoding: str) -> bytes:
    """The document declared and written in ``encoding``: no ASCII ``<!DOCTYPE`` in its bytes."""
    return document.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding.lower())


HOSTILE = list(hostile_uploads(Path("/x")))


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_xml_is_refused_quickly(api, session, secret_file, kind):
    before = deployed(session)
    response, elapsed = upload(api, "hostile.bpmn", hostile_uploads(secret_file)[kind])
    assert elapsed < QUICK, f"{kind}: {elapsed:.2f} s"
    assert response.status_code == 422, (kind, response.get_json())
    body = response.get_json()
    assert body["error"] == "invalid_model" and body["details"][0]["file"] == "hostile.bpmn"
    assert "TOP-SECRET" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert deployed(session) == before


def test_xinclude_is_never_followed(api, secret_file):
    """XInclude is not an entity: the model deploys, but the include is kept as text, never read."""
    content = bpmn("x").replace(
        "<bpmn:process",
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{secret_file}" '
        'parse="text"/><bpmn:process',
    )
    response, elapsed = upload(api, "hostile.bpmn", content)
    assert response.status_code in (201, 422) and elapsed < QUICK
    for path in ("/api/v1/processes/hostile", "/api/v1/processes/hostile/bpmn", "/processes/hostile"):
        assert "TOP-SECRET" not in api.get(path).get_data(as_text=True)


def test_hostile_dmn_is_refused_too(api, session, secret_file):
    dmn = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="&xxe;"/>'
    )
    response, elapsed = upload(api, "hostile.dmn", dmn)
    assert response.status_code == 422 and elapsed < QUICK
    assert "TOP-SECRET" not in response.get_data(as_text=True)


def test_the_refusal_names_the_problem(api, secret_file):
    response, _ = upload(api, "hostile.bpmn", hostile_uploads(secret_file)["external entity (file)"])
    assert "DTD" in response.get_json()["details"][0]["message"]


def test_a_file_over_4_mb_is_refused_with_413(api, session):
    before = deployed(session)
    padding = "<!--" + "x" * (4 * 1024 * 1024) + "-->"
    response, elapsed = upload(api, "huge.bpmn", bpmn().replace(BPMN_HEAD, BPMN_HEAD + padding))
    assert response.status_code == 413, response.get_json()
    assert response.get_json()["error"] == "too_large" and "4 MB" in response.get_json()["message"]
    assert elapsed < QUICK
    assert deployed(session) == before


def test_a_request_over_the_body_limit_is_refused_with_413(app, api, session):
    before = deployed(session)
    response, elapsed = upload(api, "huge.bpmn", b"<" + b"x" * app.config["MAX_CONTENT_LENGTH"])
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert elapsed < QUICK
    assert deployed(session) == before


def test_a_deeply_nested_model_is_refused(api, session):
    nested = "<a>" * 100_000 + "</a>" * 100_000
    response, elapsed = upload(api, "deep.bpmn", bpmn().replace(BPMN_HEAD, BPMN_HEAD + nested))
    assert response.status_code == 422 and elapsed < QUICK


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000, '{"a":' * 100_000, '{"not":' * 900 + "{}" + "}" * 900, "NaN", "\ud800"],
    ids=["deep array", "deep object", "deep schema", "NaN", "lone surrogate"],
)
def test_hostile_form_files_are_refused(api, session, content):
    before = deployed(session)
    data = content.encode("utf-8", "surrogatepass")
    response, elapsed = upload(api, "hostile.schema.json", data)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert elapsed < QUICK
    assert deployed(session) == before


def test_one_bad_file_deploys_nothing(api, session, secret_file):
    good = Path(__file__).parent / "bpmn" / "ratio_check.bpmn"
    before = deployed(session)
    response = api.as_("process_owner").post(
        "/api/v1/processes",
        data={
            "file": [
                (io.BytesIO(good.read_bytes()), "ratio_check.bpmn"),
                (io.BytesIO(hostile_uploads(secret_file)["billion laughs"].encode()), "hostile.bpmn"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert deployed(session) == before
