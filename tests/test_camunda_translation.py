"""Camunda 7 models come across: JUEL and FEEL translated to the Python Tripflow runs, the rest refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workflows.deploy import feel, juel
from workflows.engine.sandbox import check_expression

from .test_deploy import model, upload, versions

JUEL = {
    "${approved}": "approved",
    "${!approved}": "(not approved)",
    "${amount > 10000}": "(amount > 10000)",
    "${tier == 'A' && nights >= 3}": "((tier == 'A') and (nights >= 3))",
    "#{execution.getVariable('x') == \"yes\"}": "(x == 'yes')",
    "${empty note}": "(note is None or note == '' or note == [] or note == {})",
    "${not empty note}": "(not (note is None or note == '' or note == [] or note == {}))",
    "${a eq 1 or b ne 2 and not c}": "((a == 1) or ((b != 2) and (not c)))",
    "${x lt 1 || x gt 9 || x le 2 || x ge 3}": "((((x < 1) or (x > 9)) or (x <= 2)) or (x >= 3))",
    "${total / 2 + 3 * n - m % 4}": "(((total / 2) + (3 * n)) - (m % 4))",
    "${ok ? 'yes' : 'no'}": "('yes' if ok else 'no')",
    "${approved == true && reason != null}": "((approved == True) and (reason != None))",
}


@pytest.mark.parametrize("text", JUEL)
def test_common_juel_forms_become_python(text):
    python = juel.translate(text)
    assert python == JUEL[text]
    assert check_expression(python) == []


def test_the_translation_means_the_same():
    env = {"tier": "A", "nights": 3, "amount": 20000, "note": "", "x": "yes"}
    assert eval(juel.translate("${tier == 'A' && nights >= 3}"), {}, env) is True  # noqa: S307
    assert eval(juel.translate("${tier eq 'B' or nights lt 3}"), {}, env) is False  # noqa: S307
    assert eval(juel.translate("${empty note}"), {}, env) is True  # noqa: S307
    assert eval(juel.translate("${amount > 10000}"), {}, env) is True  # noqa: S307


@pytest.mark.parametrize(
    "text",
    [
        "${orderService.isValid(order)}",
        "${order.amount > 10}",
        "${execution.setVariable('x', 1)}",
        "Amount: ${amount}",
        "${a > }",
        "${x instanceof y}",
        "${list[0]}",
        "${in > 3}",
    ],
)
def test_unknown_juel_forms_are_refused(text):
    with pytest.raises(juel.JuelError):
        juel.translate(text)


FEEL = {
    "< 10": "? < 10",
    "[1..5]": "1 <= ? <= 5",
    "]1..5[": "1 < ? < 5",
    '"A","B"': '? in ("A", "B")',
    "-": "",
    'not("x")': 'not (? == "x")',
    'not("A", "B")': 'not (? in ("A", "B"))',
    ">= 3, < 0": "(? >= 3) or (? < 0)",
    "true": "? == True",
}


@pytest.mark.parametrize("text", FEEL)
def test_feel_simple_unary_tests_become_python_entries(text):
    assert feel.unary_tests(text) == FEEL[text]


@pytest.mark.parametrize("text", ["x > 3 and y", "some x in y satisfies x", "[1..]", "matches(x, 'a')"])
def test_unknown_feel_is_refused(text):
    with pytest.raises(feel.FeelError):
        feel.unary_tests(text)


def camunda_process(key: str, condition: str, *, extra: str = "", flow_id: str = 'id="f_yes" ') -> bytes:
    return model(
        key,
        f"""
    <bpmn:startEvent id="start" camunda:asyncBefore="true"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"/>
    <bpmn:userTask id="yes" camunda:candidateGroups="travel_advisor"/>
    <bpmn:userTask id="no" camunda:candidateGroups="travel_advisor"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow sourceRef="start" targetRef="gw"/>
    <bpmn:sequenceFlow {flow_id}sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no"/>
    <bpmn:sequenceFlow id="f3" sourceRef="yes" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="no" targetRef="end"/>
    {extra}""",
        extra_ns='xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    )


def test_a_camunda_model_deploys_with_notes_and_runs_the_translated_condition(api):
    content = camunda_process("juel_ok", "${tier == 'A' &amp;&amp; nights &gt;= 3}")
    response = upload(api, ("juel_ok.bpmn", content))
    assert response.status_code == 201, response.get_json()
    notes = " | ".join(n["message"] for n in response.get_json()["notes"])
    assert "((tier == 'A') and (nights >= 3))" in notes
    assert "had no id; it was given the id Flow_start_gw" in notes
    assert "camunda:asyncBefore was dropped on start" in notes
    assert all(n["file"] == "juel_ok.bpmn" for n in response.get_json()["notes"])
    stored = api.as_("process_owner").get("/api/v1/processes/juel_ok/bpmn")
    text = stored.get_data(as_text=True)
    assert "${" not in text and "asyncBefore" not in text and 'id="Flow_start_gw"' in text


def test_an_unknown_juel_form_is_refused_naming_the_element(api, session):
    before = versions(session)
    content = camunda_process("juel_bad", "${orderService.isValid(order)}")
    response = upload(api, ("juel_bad.bpmn", content))
    assert response.status_code == 422, response.get_json()
    detail = next(d for d in response.get_json()["details"] if d.get("element_id") == "f_yes")
    assert "Camunda expression language" in detail["message"]
    assert "calls a method" in detail["message"] and detail["line"] > 1
    assert versions(session) == before


def test_a_camunda_bare_iso_timer_is_quoted(api):
    timer = (
        '<bpmn:boundaryEvent id="late" attachedToRef="yes"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="end_late"/><bpmn:sequenceFlow id="f5" sourceRef="late" targetRef="end_late"/>'
    )
    response = upload(api, ("timer.bpmn", camunda_process("timer_ok", "${approved}", extra=timer)))
    assert response.status_code == 201, response.get_json()
    assert any('was quoted ("PT2H")' in n["message"] for n in response.get_json()["notes"])


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d"
    namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="discount" name="Discount">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in1" label="Nights">
        <inputExpression id="ie1" typeRef="integer"><text>nights</text></inputExpression></input>
      <input id="in2" label="Tier">
        <inputExpression id="ie2" typeRef="string"><text>tier</text></inputExpression></input>
      <output id="out1" name="discount" typeRef="integer"/>
      <output id="out2" name="vip" typeRef="boolean"/>
      <rule id="r1"><inputEntry id="e1"><text>[7..14]</text></inputEntry>
        <inputEntry id="e2"><text>"A","B"</text></inputEntry>
        <outputEntry id="o1"><text>15</text></outputEntry>
        <outputEntry id="o2"><text>true</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e3"><text>&lt; 3</text></inputEntry>
        <inputEntry id="e4"><text>not("C")</text></inputEntry>
        <outputEntry id="o3"><text>5</text></outputEntry>
        <outputEntry id="o4"><text>false</text></outputEntry></rule>
      <rule id="r3"><inputEntry id="e5"><text>-</text></inputEntry>
        <inputEntry id="e6"><text>-</text></inputEntry>
        <outputEntry id="o5"><text>0</text></outputEntry>
        <outputEntry id="o6"><text>false</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def test_a_feel_decision_table_deploys_translated():
    from lxml import etree

    from workflows.deploy.camunda_import import translate_model
    from workflows.deploy.dmn_checks import check_dmn_tree
    from workflows.engine.xml import parse_model_xml

    content = DMN.encode()
    translated, tree, notes = translate_model("d.dmn", content, parse_model_xml(content))
    assert check_dmn_tree("d.dmn", tree) == []
    texts = [t.text for t in tree.getroot().iter("{https://www.omg.org/spec/DMN/20191111/MODEL/}text")]
    assert "7 <= ? <= 14" in texts and '? in ("A", "B")' in texts and 'not (? == "C")' in texts
    assert "True" in texts and len(notes) == 6
    assert etree.fromstring(translated) is not None


def test_a_feel_decision_table_runs(api):
    """The translated table decides as FEEL would, in a real case run by SpiffWorkflow."""
    process = model(
        "feel_run",
        """
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="set" scriptFormat="python"><bpmn:script>nights = 9
tier = "B"</bpmn:script></bpmn:scriptTask>
    <bpmn:businessRuleTask id="decide" camunda:decisionRef="discount"/>
    <bpmn:userTask id="look" camunda:candidateGroups="travel_advisor"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="set"/>
    <bpmn:sequenceFlow id="f2" sourceRef="set" targetRef="decide"/>
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="look"/>
    <bpmn:sequenceFlow id="f4" sourceRef="look" targetRef="end"/>""",
    )
    response = upload(api, ("feel_run.bpmn", process), ("discount.dmn", DMN.encode()))
    assert response.status_code == 201, response.get_json()
    started = api.as_("process_owner").post("/api/v1/cases", json={"process": "feel_run", "data": {}})
    assert started.status_code == 201, started.get_json()
    case = api.as_("process_owner").get(f"/api/v1/cases/{started.get_json()['id']}").get_json()
    data = case["data"]
    assert data.get("discount") == 15 and data.get("vip") is True, case


def test_a_camunda8_feel_condition_becomes_python():
    assert feel.expression("=fraud") == "fraud"
    assert feel.expression('=amount > 100 and not(tier = "A")') == "((amount > 100) and (not (tier == 'A')))"
    with pytest.raises(feel.FeelError):
        feel.expression("=some(x in items satisfies x > 1)")


def _started(api, key: str, data: dict) -> dict:
    started = api.as_("process_owner").post("/api/v1/cases", json={"process": key, "data": data})
    assert started.status_code == 201, started.get_json()
    return api.as_("process_owner").get(f"/api/v1/cases/{started.get_json()['id']}").get_json()


def test_a_camunda8_condition_deploys_and_decides(api):
    response = upload(api, ("feel_cond.bpmn", camunda_process("feel_cond", '=tier = "A"')))
    assert response.status_code == 201, response.get_json()
    assert any("FEEL expression (Camunda 8)" in n["message"] for n in response.get_json()["notes"])
    assert [t["task_id"] for t in _started(api, "feel_cond", {"tier": "A"})["active_tasks"]] == ["yes"]
    assert [t["task_id"] for t in _started(api, "feel_cond", {"tier": "B"})["active_tasks"]] == ["no"]


def test_print_in_a_camunda_script_is_removed_and_the_rest_runs(api):
    process = model(
        "printing",
        """
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="show" name="Show"><bpmn:script>print("value", nights)
[print(n) for n in range(nights)]
shown = nights * 2</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="look" camunda:candidateGroups="travel_advisor"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="show"/>
    <bpmn:sequenceFlow id="f2" sourceRef="show" targetRef="look"/>
    <bpmn:sequenceFlow id="f3" sourceRef="look" targetRef="end"/>""",
    )
    response = upload(api, ("printing.bpmn", process))
    assert response.status_code == 201, response.get_json()
    [note] = [n for n in response.get_json()["notes"] if "print()" in n["message"]]
    assert note["element_id"] == "show"
    assert _started(api, "printing", {"nights": 3})["data"]["shown"] == 6


def test_a_camunda_collection_is_the_multi_instance_input(api):
    process = model(
        "each_guest",
        """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="check" camunda:candidateGroups="travel_advisor">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${guests}" camunda:elementVariable="guest"/>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>""",
    )
    response = upload(api, ("each_guest.bpmn", process))
    assert response.status_code == 201, response.get_json()
    assert any("one instance per item of guests" in n["message"] for n in response.get_json()["notes"])
    case = _started(api, "each_guest", {"guests": ["Li", "Wang", "Zhao"]})
    assert len(case["active_tasks"]) == 3, case["active_tasks"]


def test_a_java_due_date_from_now_becomes_a_duration(api, clock):
    process = model(
        "due_java",
        """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review" camunda:candidateGroups="travel_advisor"
        camunda:dueDate="${dateTime().plusDays(2).plusHours(3).toDate()}"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>""",
    )
    response = upload(api, ("due_java.bpmn", process))
    assert response.status_code == 201, response.get_json()
    assert any("due P2DT3H after the task is created" in n["message"] for n in response.get_json()["notes"])
    [task] = _started(api, "due_java", {})["active_tasks"]
    due = datetime.fromisoformat(task["due_at"])
    assert due == clock.now() + timedelta(days=2, hours=3)


def test_a_missing_form_of_a_camunda_model_is_stood_in_for(api):
    process = model(
        "no_form_file",
        """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="ask" name="Ask" camunda:candidateGroups="travel_advisor">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="absent.json"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="end"/>""",
    )
    response = upload(api, ("no_form_file.bpmn", process))
    assert response.status_code == 201, response.get_json()
    assert any("generated form without fields" in n["message"] for n in response.get_json()["notes"])
    [task] = _started(api, "no_form_file", {})["active_tasks"]
    done = api.as_("travel_advisor").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
    assert done.status_code == 200, done.get_json()
    # the stand-in is not taken for the real file: the same upload again still says so
    again = upload(api, ("no_form_file.bpmn", process))
    assert any("generated form without fields" in n["message"] for n in again.get_json()["notes"])


def test_translation_notes_are_kept_with_the_version(api, client):
    """The deploy answer's notes stay with the version: in the API's process view and on the model page."""
    v1 = upload(api, ("kept_notes.bpmn", camunda_process("kept_notes", "${approved}")))
    assert v1.status_code == 201, v1.get_json()
    said = {(n.get("element_id"), n["message"]) for n in v1.get_json()["notes"]}
    assert any("JUEL expression '${approved}'" in m for _, m in said)
    v2 = upload(api, ("kept_notes.bpmn", camunda_process("kept_notes", "${!approved}")))
    assert v2.get_json()["items"][0]["version"] == 2

    detail = api.as_("process_owner").get("/api/v1/processes/kept_notes").get_json()
    assert any("(not approved)" in n["message"] for n in detail["translation_notes"])
    first = next(v for v in detail["versions"] if v["version"] == 1)
    assert {(n.get("element_id"), n["message"]) for n in first["translation_notes"]} == said
    assert all(n["file"] == "kept_notes.bpmn" for n in first["translation_notes"])
    native = api.get("/api/v1/processes/complaint_handling").get_json()
    assert native["translation_notes"] == []

    from .test_deploy import _login

    _login(client, "travel_advisor")
    page = client.get("/models/kept_notes?version=1", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Translation notes of version 1" in text
    assert "translated to Python: approved" in text and "(not approved)" not in text
    plain = client.get("/models/complaint_handling", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Translation notes" not in plain
