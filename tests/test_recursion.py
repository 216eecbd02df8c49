"""A process that calls itself deploys and runs when a choice can end it; straight recursion is refused."""

from __future__ import annotations

from .test_deploy import model, upload, versions

GUARDED = """
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="count" scriptFormat="python">
      <bpmn:script>depth = depth + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="deeper" default="enough"/>
    <bpmn:callActivity id="again" calledElement="plan_legs"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count"/>
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="deeper"/>
    <bpmn:sequenceFlow id="more" sourceRef="deeper" targetRef="again">
      <bpmn:conditionExpression>depth &lt; 3</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="enough" sourceRef="deeper" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="again" targetRef="end"/>"""

STRAIGHT = """
    <bpmn:startEvent id="start"/>
    <bpmn:callActivity id="again" name="Again" calledElement="loop_forever"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again"/>
    <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="end"/>"""


def test_a_process_calling_itself_behind_a_condition_deploys_and_ends(api):
    response = upload(api, ("plan_legs.bpmn", model("plan_legs", GUARDED)))
    assert response.status_code == 201, response.get_json()
    started = api.as_("process_owner").post(
        "/api/v1/cases", json={"process": "plan_legs", "data": {"depth": 0}}
    )
    assert started.status_code == 201, started.get_json()
    case = api.as_("process_owner").get(f"/api/v1/cases/{started.get_json()['id']}").get_json()
    assert case["status"] == "completed", case
    assert case["data"]["depth"] == 3, case["data"]  # three levels: the outer case and two calls


def test_a_process_calling_itself_straight_from_the_start_is_refused(api, session):
    before = versions(session)
    response = upload(api, ("loop_forever.bpmn", model("loop_forever", STRAIGHT)))
    assert response.status_code == 422, response.get_json()
    [detail] = response.get_json()["details"]
    assert detail["element_id"] == "again" and detail["line"] > 1
    assert "calls its own process straight from the start" in detail["message"]
    assert versions(session) == before


def test_a_cycle_through_two_processes_deploys_when_one_call_chooses(api):
    ping = GUARDED.replace("plan_legs", "pong_side")
    pong = STRAIGHT.replace("loop_forever", "ping_side")
    response = upload(
        api, ("ping_side.bpmn", model("ping_side", ping)), ("pong_side.bpmn", model("pong_side", pong))
    )
    assert response.status_code == 201, response.get_json()
    started = api.as_("process_owner").post(
        "/api/v1/cases", json={"process": "ping_side", "data": {"depth": 0}}
    )
    case = api.as_("process_owner").get(f"/api/v1/cases/{started.get_json()['id']}").get_json()
    assert case["status"] == "completed" and case["data"]["depth"] == 3, case
