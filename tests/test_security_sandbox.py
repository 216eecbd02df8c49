"""The script sandbox end to end: a model whose script tries to escape is refused at deploy (422,
naming the element); an escape that only data reveals puts the case in ``error`` at run time with
a clear message, and nothing else happens on the server.

tests/test_sandbox.py attacks the sandbox itself; these tests go through the API as people would.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from workflows.models import Document, ProcessVersion


def model(key: str, script: str, *, condition: str | None = None) -> bytes:
    """start → script task ``run_script`` → user task ``look`` (lane process_owner) → end."""
    flow = (
        f'<bpmn:sequenceFlow id="f2" sourceRef="run_script" targetRef="look">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        if condition
        else '<bpmn:sequenceFlow id="f2" sourceRef="run_script" targetRef="look"/>'
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_{key}"
                  targetNamespace="http://tripflow.test">
  <bpmn:process id="{key}" name="Hostile {key}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="process_owner" name="process_owner">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>run_script</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>look</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="run_script" name="Run the script" scriptFormat="python">
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="look" name="Look at the result"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="run_script"/>
    {flow}
    <bpmn:sequenceFlow id="f3" sourceRef="look" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(api: Any, key: str, content: bytes) -> Any:
    return api.as_("process_owner").post(
        "/api/v1/processes",
        data={"file": (io.BytesIO(content), f"{key}.bpmn")},
        content_type="multipart/form-data",
    )


def versions(session: Any) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(ProcessVersion))


# --------------------------------------------------------------------------- refused at deploy


STATIC_ESCAPES = {
    "subclasses walk": "x = ().__class__.__base__.__subclasses__()",
    "__import__": "os = __import__('os')\nos.system('touch /tmp/tripflow-escaped')",
    "import": "import subprocess",
    "eval": "x = eval('1 + 1')",
    "function globals": "f = lambda: 0\nx = f.__globals__",
    "generator frame": "x = (i for i in [1]).gi_frame",
}


@pytest.mark.parametrize("script", STATIC_ESCAPES.values(), ids=STATIC_ESCAPES.keys())
def test_an_escaping_script_is_refused_at_deploy(api, session, script):
    before = versions(session)
    response = deploy(api, "hostile_static", model("hostile_static", script))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_model"
    detail = next(d for d in body["details"] if d.get("element_id") == "run_script")
    assert detail["file"] == "hostile_static.bpmn" and detail["message"]
    assert versions(session) == before
    assert api.get("/api/v1/processes/hostile_static").status_code == 404


def test_an_escaping_condition_is_refused_at_deploy(api, session):
    response = deploy(
        api,
        "hostile_condition",
        model("hostile_condition", "x = 1", condition="().__class__.__bases__[0] is not None"),
    )
    assert response.status_code == 422
    assert any(d.get("element_id") == "f2" for d in response.get_json()["details"]), response.get_json()


def test_the_same_model_with_a_harmless_script_deploys(api):
    response = deploy(api, "harmless", model("harmless", "total = sum([1, 2, 3])"))
    assert response.status_code == 201, response.get_json()


# --------------------------------------------------------------------------- refused at run time


RUNTIME_ESCAPES = {
    # str.format with a template from the case data: the attribute walk is inside the text.
    "format template from data": (
        "leak = fmt.format(marker)",
        {"fmt": "{0.__class__.__base__.__subclasses__}"},
    ),
    "format_map template from data": (
        "leak = fmt.format_map({'m': marker})",
        {"fmt": "{m.__class__.__mro__}"},
    ),
    "memory bomb sized by data": ("leak = fmt * count", {"fmt": "x", "count": 10**12}),
    "endless loop bounded by data": ("n = 0\nwhile n < count:\n    n = n + 1\nleak = n", {"count": 10**15}),
    "repeat by data": ("leak = [fmt] * count", {"fmt": "x", "count": 10**10}),
    # Not refused at deploy (the names exist in Python), refused when run:
    "open": ("leak = open('/etc/passwd').read()", {}),
    "format on a literal": ("leak = '{0.__class__}'.format(marker)", {}),
}


@pytest.mark.parametrize("name", RUNTIME_ESCAPES)
def test_an_escape_seen_only_at_run_time_puts_the_case_in_error(api, session, tmp_path, name):
    script, data = RUNTIME_ESCAPES[name]
    assert deploy(api, "hostile_runtime", model("hostile_runtime", script)).status_code == 201
    documents_before = session.scalar(select(func.count()).select_from(Document))
    started = time.perf_counter()
    response = api.post("/api/v1/cases", json={"process": "hostile_runtime", "data": {**data, "marker": 1}})
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["status"] == "error"
    assert case["error"]["element_id"] == "run_script"
    assert case["error"]["message"] and "Traceback" not in case["error"]["message"]
    assert case["active_tasks"] == []
    # Nothing the script computed reached the case, and the server is unchanged and answering.
    detail = api.get(f"/api/v1/cases/{case['id']}").get_json()
    assert "leak" not in detail["data"] and detail["status"] == "error"
    assert not Path("/tmp/tripflow-escaped").exists()
    assert session.scalar(select(func.count()).select_from(Document)) == documents_before
    assert api.get("/api/v1/me").status_code == 200
    history = api.get(f"/api/v1/cases/{case['id']}/history").get_json()["items"]
    assert "case_error" in [e["kind"] for e in history]


def test_the_error_message_says_what_was_refused(api):
    deploy(api, "hostile_runtime", model("hostile_runtime", "leak = fmt.format(marker)"))
    case = api.post(
        "/api/v1/cases", json={"process": "hostile_runtime", "data": {"fmt": "{0.__class__}", "marker": 1}}
    ).get_json()
    assert "format" in case["error"]["message"]
    # The incident list shows it; a retry with the same data fails again (409) and changes nothing.
    incidents = api.as_("service_supervisor").get("/api/v1/incidents").get_json()["items"]
    assert case["id"] in [i["id"] for i in incidents]
    retried = api.post(f"/api/v1/cases/{case['id']}/retry")
    assert retried.status_code == 409
    assert api.get(f"/api/v1/cases/{case['id']}").get_json()["status"] == "error"


def test_a_fixed_case_runs_on_after_retry(api):
    """The incident path works: fix the data that made the script fail, retry, the case runs on."""
    deploy(api, "hostile_runtime", model("hostile_runtime", "leak = fmt * count"))
    case = api.post(
        "/api/v1/cases", json={"process": "hostile_runtime", "data": {"fmt": "x", "count": 10**12}}
    ).get_json()
    assert case["status"] == "error"
    supervisor = api.as_("service_supervisor")
    fixed = supervisor.patch(
        f"/api/v1/cases/{case['id']}/data", json={"set": {"count": 3}, "reason": "sane count"}
    )
    assert fixed.status_code == 200, fixed.get_json()
    retried = supervisor.post(f"/api/v1/cases/{case['id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    after = retried.get_json()
    assert after["status"] == "running" and after["data"]["leak"] == "xxx"
