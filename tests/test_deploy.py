"""Deploying through the API: all or nothing, versions, the traps refused in plain words, Camunda attributes.

The issue's done-when is here too: a process owner changes the complaint SLA from 2 to 3 hours by
deploying a new version; a new complaint escalates at 3 hours while one already running keeps 2.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.extensions import db
from workflows.cases import operations as cases
from workflows.deploy import operations as deploy_service
from workflows.models import Case, ProcessVersion, WorkItem
from workflows.permissions import SYSTEM

from .conftest import ROOT, SHARED_SPECS, actor, app_config, open_task, open_tasks

COMPLAINT = (ROOT / "bpmn" / "complaint_handling.bpmn").read_bytes()


def upload(
    api: Any, *files: tuple[str, bytes], path: str = "/api/v1/processes", user: str = "process_owner"
) -> Any:
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return api.as_(user).post(path, data=data, content_type="multipart/form-data")


def versions(session: Any, key: str | None = None) -> int:
    session.rollback()
    query = select(func.count()).select_from(ProcessVersion)
    if key:
        query = query.where(ProcessVersion.key == key)
    return session.scalar(query)


def model(
    key: str, body: str, *, extra_ns: str = "", definitions: str = "", executable: str = "true"
) -> bytes:
    """A process ``key`` with ``body`` as its content (start and end events are the caller's)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" {extra_ns}
    id="defs_{key}" targetNamespace="http://tripflow.test">
  {definitions}
  <bpmn:process id="{key}" name="Test {key}" isExecutable="{executable}">
{body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def simple(key: str, middle: str, flows: str = "") -> bytes:
    """start → ``middle`` (an element with id ``t``) → end, plus ``flows``."""
    return model(
        key,
        f"""
    <bpmn:startEvent id="start"/>
    {middle}
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>
    {flows}""",
    )


# --- the done-when ----------------------------------------------------------------------------


def test_complaint_sla_change_applies_to_new_cases_only(api, session, rt, clock):
    """SLA 2 h → 3 h for urgent complaints: old cases keep 2 h, new cases get 3 h (the issue's done-when)."""
    cs = api.as_("customer_service")
    old = cs.post(
        "/api/v1/cases", json={"process": "complaint_handling", "data": {"urgency": "urgent"}}
    ).get_json()
    assert old["version"] == 1

    edited = COMPLAINT.replace(b'2 if urgency == "urgent" else 24', b'3 if urgency == "urgent" else 24')
    assert edited != COMPLAINT
    response = upload(api, ("complaint_handling.bpmn", edited))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["key"] == "complaint_handling" and response.get_json()["version"] == 2
    stored = api.get("/api/v1/processes/complaint_handling/bpmn")
    assert stored.data == edited  # byte for byte as uploaded
    assert api.get("/api/v1/processes/complaint_handling/bpmn?version=1").data == COMPLAINT

    new = (
        cs.as_("customer_service")
        .post("/api/v1/cases", json={"process": "complaint_handling", "data": {"urgency": "urgent"}})
        .get_json()
    )
    assert new["version"] == 2
    started = clock.now()
    assert old["data"]["escalate_at"] != new["data"]["escalate_at"]

    clock.advance(hours=2)
    assert cases.fire_due_timers(session, rt, SYSTEM) == [old["id"]]
    session.expire_all()
    assert open_task(session, old["id"], "escalate_complaint")
    assert not [t for t in open_tasks(session, new["id"]) if t.bpmn_id == "escalate_complaint"]

    clock.advance(minutes=59)
    assert cases.fire_due_timers(session, rt, SYSTEM) == []
    clock.advance(minutes=1)
    assert clock.now() - started == __import__("datetime").timedelta(hours=3)
    assert cases.fire_due_timers(session, rt, SYSTEM) == [new["id"]]
    session.expire_all()
    assert open_task(session, new["id"], "escalate_complaint")
    assert session.get(Case, old["id"]).version.version == 1


# --- the deploy contract -----------------------------------------------------------------------


def test_only_process_owners_deploy_validate_and_migrate(api, client):
    body = simple("who_may", '<bpmn:task id="t"/>')
    assert upload(api, ("who_may.bpmn", body), user="account_manager").status_code == 403
    assert (
        upload(
            api, ("who_may.bpmn", body), path="/api/v1/processes/who_may/validate", user="service_supervisor"
        ).status_code
        == 403
    )
    assert (
        api.as_("account_manager").post("/api/v1/processes/trip/migrate", json={"cases": "all"}).status_code
        == 403
    )
    assert client.post("/api/v1/processes", data={}).status_code == 401


def test_same_content_again_is_200_and_no_new_version(api, session):
    before = versions(session)
    response = upload(api, ("complaint_handling.bpmn", COMPLAINT))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 1 and response.get_json()["items"][0]["created"] is False
    assert versions(session) == before


def test_nothing_is_deployed_unless_every_file_is_valid(api, session):
    good = simple("good_one", '<bpmn:task id="t"/>')
    bad = simple("bad_one", '<bpmn:serviceTask id="t" name="Charge card"/>')
    before = versions(session)
    response = upload(api, ("good_one.bpmn", good), ("bad_one.bpmn", bad))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_model"
    [detail] = body["details"]
    assert detail == {"file": "bad_one.bpmn", "line": 10, "element_id": "t", "message": detail["message"]}
    assert 'Service task "Charge card" (t) has no implementation' in detail["message"]
    assert versions(session) == before
    assert api.get("/api/v1/processes/good_one").status_code == 404
    assert upload(api, ("good_one.bpmn", good)).status_code == 201


def test_validate_checks_and_deploys_nothing(api, session):
    before = versions(session)
    ok = upload(
        api,
        ("checked.bpmn", simple("checked", '<bpmn:task id="t"/>')),
        path="/api/v1/processes/checked/validate",
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["valid"] is True and ok.get_json()["items"] == [
        {"key": "checked", "version": 1, "created": True}
    ]
    bad = upload(
        api,
        (
            "checked.bpmn",
            simple(
                "checked",
                '<bpmn:task id="t"/>',
                '<bpmn:sequenceFlow id="f9" sourceRef="t" targetRef="ghost"/>',
            ),
        ),
        path="/api/v1/processes/checked/validate",
    )
    assert bad.status_code == 422
    assert "goes to 'ghost'" in bad.get_json()["details"][0]["message"]
    assert versions(session) == before


def test_too_large_is_413(api):
    huge = simple("huge", '<bpmn:task id="t"/>') + b"<!--" + b"x" * (4 * 1024 * 1024) + b"-->"
    assert upload(api, ("huge.bpmn", huge)).status_code == 413


def test_a_dependent_process_gets_a_new_version_when_its_decision_table_changes(api, session):
    dmn = (ROOT / "bpmn" / "feedback_routing.dmn").read_bytes()
    before = {
        p["key"]: p["version"] for p in api.as_("process_owner").get("/api/v1/processes").get_json()["items"]
    }
    changed = dmn.replace(b"&gt; 10000", b"&gt; 8000")
    response = upload(api, ("feedback_routing.dmn", changed))
    assert response.status_code == 201, response.get_json()
    bumped = {i["key"]: i["version"] for i in response.get_json()["items"]}
    # trip calls trip_feedback, but binds to its latest version when the call starts: trip stays put
    assert bumped == {"trip_feedback": before["trip_feedback"] + 1}
    again = upload(api, ("feedback_routing.dmn", changed))
    assert again.status_code == 200 and again.get_json()["items"] == []


def test_unused_upload_is_noted(api):
    response = upload(api, ("lonely.schema.json", json.dumps({"type": "object"}).encode()))
    assert response.status_code == 200
    assert "No deployed process uses the uploaded files" in response.get_json()["notes"][0]["message"]


# --- the traps, refused with a sentence naming the element and the construct -------------------


TRAPS: dict[str, tuple[bytes, str, list[str]]] = {
    "not executable": (
        model("trap", '<bpmn:startEvent id="s"/>', executable="false"),
        "trap",
        ['isExecutable="false"', "skip it silently"],
    ),
    "duplicate ids": (
        simple("trap", '<bpmn:task id="t"/><bpmn:task id="t" name="Again"/>'),
        "t",
        ["id 't' is used twice"],
    ),
    "service task without implementation": (
        simple("trap", '<bpmn:serviceTask id="t" name="Book"/>'),
        "t",
        ['Service task "Book" (t) has no implementation'],
    ),
    "java service task": (
        simple("trap", '<bpmn:serviceTask id="t" camunda:class="org.Foo"/>'),
        "t",
        ["camunda:class 'org.Foo'", "Java"],
    ),
    "data store": (
        simple("trap", '<bpmn:task id="t"/><bpmn:dataStoreReference id="ds" name="CRM"/>'),
        "ds",
        ['Data store "CRM" (ds)', "not support"],
    ),
    "timer without time": (
        simple(
            "trap",
            '<bpmn:intermediateCatchEvent id="t" name="Wait">'
            '<bpmn:timerEventDefinition id="td"/></bpmn:intermediateCatchEvent>',
        ),
        "t",
        ['"Wait" (t) is a timer without a time'],
    ),
    "camunda condition": (
        model(
            "trap",
            """
        <bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="no"/>
        <bpmn:endEvent id="end"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
        <bpmn:sequenceFlow id="yes" name="Approved" sourceRef="gw" targetRef="end">
          <bpmn:conditionExpression>${svc.approved()}</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="no" sourceRef="gw" targetRef="end"/>""",
        ),
        "yes",
        ["'${svc.approved()}'", '"Approved" (yes)', "Camunda expression language", "calls a method"],
    ),
    "groovy script": (
        simple(
            "trap",
            '<bpmn:scriptTask id="t" scriptFormat="groovy"><bpmn:script>x = 1'
            "</bpmn:script></bpmn:scriptTask>",
        ),
        "t",
        ["'groovy'", "Python scripts only"],
    ),
    "escaping script": (
        simple("trap", '<bpmn:scriptTask id="t"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'),
        "t",
        ["script sandbox"],
    ),
    "escaping pre-script": (
        simple(
            "trap",
            '<bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:preScript>'
            "x = ().__class__</spiffworkflow:preScript></bpmn:extensionElements>"
            "</bpmn:userTask>",
        ),
        "t",
        ["preScript", "sandbox"],
    ),
    "missing called process": (
        simple("trap", '<bpmn:callActivity id="t" calledElement="nowhere"/>'),
        "t",
        ["calls process 'nowhere'", "neither in the upload nor deployed"],
    ),
    "calls itself": (
        simple("trap", '<bpmn:callActivity id="t" name="Again" calledElement="trap"/>'),
        "t",
        ['"Again" (t) calls its own process', "again forever"],
    ),
    "rule task without decision": (
        simple("trap", '<bpmn:businessRuleTask id="t" name="Decide"/>'),
        "t",
        ['"Decide" (t) names no decision table'],
    ),
    "message ref with prefix": (
        simple(
            "trap",
            '<bpmn:intermediateCatchEvent id="t"><bpmn:messageEventDefinition '
            'id="md" messageRef="bpmn:msg"/></bpmn:intermediateCatchEvent>',
        ),
        "t",
        ["'bpmn:msg'", "namespace prefix"],
    ),
    "camunda assignee expression": (
        simple("trap", '<bpmn:userTask id="t" camunda:assignee="${svc.pick(x)}"/>'),
        "t",
        ["camunda:assignee '${svc.pick(x)}'", "cannot evaluate"],
    ),
    "execution listener": (
        simple(
            "trap",
            '<bpmn:userTask id="t"><bpmn:extensionElements><camunda:executionListener '
            'class="org.Audit" event="start"/></bpmn:extensionElements>'
            "</bpmn:userTask>",
        ),
        "t",
        ["execution listener (org.Audit)"],
    ),
    "empty file": (b"", "", ["empty"]),
    "not XML": (b"<bpmn:definitions", "", ["not well-formed XML"]),
    "entities": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "", ["DTD or entities"]),
}


@pytest.mark.parametrize("name", TRAPS)
def test_traps_are_refused_naming_the_element(api, session, name):
    content, element_id, words = TRAPS[name]
    before = versions(session)
    started = time.monotonic()
    response = upload(api, ("trap.bpmn", content))
    assert time.monotonic() - started < 5
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["details"]
    assert all(d["file"] == "trap.bpmn" for d in details)
    detail = next((d for d in details if d.get("element_id", "") == element_id), details[0])
    assert all(word in detail["message"] for word in words), details
    if element_id:
        assert detail["line"] > 1
    assert versions(session) == before


def test_a_call_cycle_through_two_processes_is_refused(api):
    first = simple("ping", '<bpmn:callActivity id="t" calledElement="pong"/>')
    second = simple("pong", '<bpmn:callActivity id="t" calledElement="ping"/>')
    response = upload(api, ("ping.bpmn", first), ("pong.bpmn", second))
    assert response.status_code == 422
    messages = [d["message"] for d in response.get_json()["details"]]
    assert any("calls back into 'ping' → 'pong'" in m or "back into" in m for m in messages), messages


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D" namespace="http://t">
  <decision id="pick" name="Pick">
    <decisionTable id="table" hitPolicy="{policy}">
      <input id="i1" label="Amount">
        <inputExpression id="ie1" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <output id="o1" name="route" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="e1"><text>{entry}</text></inputEntry>
        <outputEntry id="x1"><text>{output}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""


@pytest.mark.parametrize(
    ("entry", "output", "policy", "element_id", "words"),
    [
        ("[5..]", '"a"', "UNIQUE", "e1", ["Input entry '[5..]' of rule 1", "not Python"]),
        ("&gt; 5", "__import__('os')", "UNIQUE", "x1", ["Output entry", "sandbox"]),
        ("&gt; 5", '"a"', "RULE ORDER", "table", ["hit policy RULE ORDER"]),
    ],
)
def test_dmn_entries_are_checked_as_the_engine_composes_them(api, entry, output, policy, element_id, words):
    content = DMN.format(entry=entry, output=output, policy=policy).encode()
    response = upload(api, ("pick.dmn", content))
    assert response.status_code == 422, response.get_json()
    detail = next(d for d in response.get_json()["details"] if d.get("element_id") == element_id)
    assert all(w in detail["message"] for w in words), detail


def test_a_good_dmn_entry_with_question_mark_passes(api):
    content = DMN.format(entry="5 &lt;= ? &lt;= 8", output='"a"', policy="FIRST").encode()
    assert upload(api, ("pick.dmn", content)).status_code == 200


# --- Camunda attributes translated -------------------------------------------------------------


CAMUNDA_TASK = """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="t" name="Check visa" camunda:candidateGroups="sales, travel_advisor"
                   camunda:assignee="{assignee}" camunda:dueDate="2026-12-01T18:00:00">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="passport" label="Passport number" type="string">
            <camunda:validation>
              <camunda:constraint name="required"/><camunda:constraint name="maxlength" config="12"/>
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="nights" label="Nights" type="long" defaultValue="3"/>
          <camunda:formField id="approved" label="Approved" type="boolean"/>
          <camunda:formField id="travel_date" label="Travel date" type="date"/>
          <camunda:formField id="visa" label="Visa" type="enum">
            <camunda:value id="tourist" name="Tourist"/><camunda:value id="business" name="Business"/>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>"""


def test_running_cases_loads_no_deploy_checks():
    """A case step reads its specs from the engine's cache; the deploy checker is upload-time only."""
    code = (
        "import sys, workflows.cases.operations, workflows.cases.step, workflows.inbox.tasks; "
        "print(sorted(m for m in sys.modules if m.startswith('workflows.deploy.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "workflows.deploy.checks" not in loaded and "workflows.deploy.operations" not in loaded, loaded


def test_camunda_due_date_is_read_in_the_configured_time_zone(database_url, clock):
    """A ``camunda:dueDate`` without an offset is a local time of the agency's configured zone.

    The spec cache once parsed bundles without the zone, so a Berlin agency got Shanghai due dates;
    the cache is also shared with the Shanghai tests here, as a server's would be between zones.
    """
    app = create_app({**app_config(database_url), "TIMEZONE": "Europe/Berlin"}, clock=clock)
    app.extensions["tripflow"].specs = SHARED_SPECS
    with app.app_context():
        rt = app.extensions["tripflow"]
        content = model("visa_check", CAMUNDA_TASK.format(assignee="travel_advisor"))
        deploy_service.deploy(
            db.session,
            [("visa_check.bpmn", content)],
            author="process_owner",
            now=clock.now(),
            handler_names=rt.handler_names,
        )
        db.session.commit()
        case = cases.start_case(db.session, rt, "visa_check", {}, actor("process_owner"))
        due = db.session.scalars(select(WorkItem.due_at).where(WorkItem.case_id == case.id)).one()
        db.session.remove()
        db.engine.dispose()
    assert due.astimezone(UTC) == datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(
        UTC
    )


def test_camunda_user_task_maps_to_lane_assignee_due_and_form(api, session):
    content = model("visa_check", CAMUNDA_TASK.format(assignee="travel_advisor"))
    response = upload(api, ("visa_check.bpmn", content))
    assert response.status_code == 201, response.get_json()
    notes = " ".join(n["message"] for n in response.get_json()["notes"])
    assert "candidateGroups" not in notes or "several roles" not in notes
    assert api.get("/api/v1/processes/visa_check/bpmn").data == content

    detail = api.get("/api/v1/processes/visa_check").get_json()
    [task] = detail["user_tasks"]
    assert task["lane"] == "travel_advisor"
    schema = task["form"]["schema"]
    assert schema["required"] == ["passport"]
    assert schema["properties"]["passport"] == {
        "type": "string",
        "title": "Passport number",
        "minLength": 1,
        "maxLength": 12,
    }
    assert schema["properties"]["nights"] == {"type": "integer", "title": "Nights", "default": 3}
    assert schema["properties"]["approved"]["type"] == "boolean"
    assert schema["properties"]["travel_date"] == {"type": "string", "format": "date", "title": "Travel date"}
    assert schema["properties"]["visa"]["enum"] == ["tourist", "business"]
    assert any(f.endswith(".camunda-form.json") for f in detail["files"])

    case = (
        api.as_("process_owner").post("/api/v1/cases", json={"process": "visa_check", "data": {}}).get_json()
    )
    [item] = case["active_tasks"]
    assert item["lane"] == "travel_advisor" and item["assignee"] == "travel_advisor"
    assert item["due_at"].startswith("2026-12-01T18:00:00+08:00") or item["due_at"].startswith(
        "2026-12-01T10:00"
    )
    bad = api.as_("travel_advisor").post(
        f"/api/v1/tasks/{item['id']}/complete", json={"data": {"passport": "", "nights": "many"}}
    )
    assert bad.status_code == 400
    assert {d["field"] for d in bad.get_json()["details"]} >= {"passport", "nights"}
    done = api.post(
        f"/api/v1/tasks/{item['id']}/complete",
        json={"data": {"passport": "E1234567", "nights": 4, "visa": "tourist"}},
    )
    assert done.status_code == 200, done.get_json()


def test_camunda_assignee_variable_routes_to_that_user(api):
    content = model("visa_check2", CAMUNDA_TASK.format(assignee="${advisor}"))
    assert upload(api, ("visa_check2.bpmn", content)).status_code == 201
    api.as_("process_owner")
    case = api.post("/api/v1/cases", json={"process": "visa_check2", "data": {"advisor": "travel_advisor"}})
    assert case.get_json()["active_tasks"][0]["assignee"] == "travel_advisor"
    # a user outside the task's candidate group is not handed it (tests/test_assignment.py)
    case = api.post("/api/v1/cases", json={"process": "visa_check2", "data": {"advisor": "project_manager"}})
    assert case.get_json()["active_tasks"][0]["assignee"] is None


def test_camunda_business_rule_task_uses_decision_ref(api):
    dmn = DMN.format(entry="&gt; 5", output='"big"', policy="UNIQUE").encode()
    bpmn = simple("decide", '<bpmn:businessRuleTask id="t" camunda:decisionRef="pick"/>')
    response = upload(api, ("decide.bpmn", bpmn), ("pick.dmn", dmn))
    assert response.status_code == 201, response.get_json()
    case = api.post("/api/v1/cases", json={"process": "decide", "data": {"amount": 9}}).get_json()
    assert case["status"] == "completed" and case["data"]["route"] == "big", case


# --- the workbench pages ------------------------------------------------------------------------


def _login(client: Any, username: str) -> None:
    from .conftest import PASSWORD

    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_workbench_pages_employees_look_owners_edit(client):
    en = {"Accept-Language": "en"}
    _login(client, "travel_advisor")
    index = client.get("/models", headers=en)
    assert index.status_code == 200 and b"complaint_handling" in index.data
    show = client.get("/models/complaint_handling?version=1", headers=en)
    assert (
        show.status_code == 200
        and b"complaint_handling.bpmn" in show.data
        and b"Edit in the modeler" not in show.data
    )
    assert client.get("/models/complaint_handling/edit", headers=en).status_code == 403
    assert client.get("/models/nope", headers=en).status_code == 404

    client.post("/logout")
    _login(client, "process_owner")
    edit = client.get("/models/trip_feedback/edit", headers=en)
    assert edit.status_code == 200
    html = edit.get_data(as_text=True)
    assert 'id="workbench-data"' in html and "feedback_routing.dmn" in html and 'name="csrf-token"' in html
    blank = client.get("/models/new?key=visa_service&name=Visa", headers=en)
    assert blank.status_code == 200 and "visa_service.bpmn" in blank.get_data(as_text=True)
    assert b"letters, digits" in client.get("/models/new?key=9bad", headers=en).data


def test_form_preview_uses_the_task_form_renderer(client):
    _login(client, "process_owner")
    schema = {
        "type": "object",
        "properties": {
            "passport": {"type": "string", "title": "Passport number"},
            "visa": {"type": "string", "enum": ["tourist", "business"]},
        },
        "required": ["passport"],
    }
    response = client.post("/models/forms/preview", json={"schema": schema, "ui_schema": {}})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Passport number" in html and 'name="passport"' in html and "tourist" in html
    broken = client.post("/models/forms/preview", json={"schema": {"type": 12}})
    assert broken.status_code == 200 and "alert-error" in broken.get_data(as_text=True)
    assert client.post("/models/forms/preview", json=[]).status_code == 400
