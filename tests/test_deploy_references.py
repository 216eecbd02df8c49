"""Deploy refuses broken references inside a BPMN file with a 422 naming the element and its line."""

from __future__ import annotations

import pytest

from .test_deploy import model, simple, upload, versions

START_END = """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="t"/>
    <bpmn:endEvent id="end"/>
"""

BROKEN = {
    "flow to a missing element": (
        simple(
            "refs",
            '<bpmn:manualTask id="t"/>',
            '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="ghost"/>',
        ),
        "f3",
        ["goes to 'ghost'", "no element"],
    ),
    "flow from a missing element": (
        simple(
            "refs",
            '<bpmn:manualTask id="t"/>',
            '<bpmn:sequenceFlow id="f3" sourceRef="ghost" targetRef="t"/>',
        ),
        "f3",
        ["comes from 'ghost'"],
    ),
    "outgoing that names no flow": (
        model(
            "refs",
            """
    <bpmn:startEvent id="start"><bpmn:outgoing>f9</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>""",
        ),
        "start",
        ["lists f9 as outgoing", "does not list f1"],
    ),
    "incoming that disagrees": (
        model(
            "refs",
            """
    <bpmn:startEvent id="start"/>
    <bpmn:manualTask id="t"><bpmn:incoming>f2</bpmn:incoming></bpmn:manualTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="end"/>""",
        ),
        "t",
        ["lists f2 as incoming", "no such flow enters it"],
    ),
    "boundary event attached to nothing": (
        simple(
            "refs",
            '<bpmn:manualTask id="t"/>',
            '<bpmn:boundaryEvent id="b" attachedToRef="ghost"><bpmn:timerEventDefinition>'
            '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            '<bpmn:endEvent id="end2"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="end2"/>',
        ),
        "b",
        ["attached to 'ghost'"],
    ),
    "message reference to nothing": (
        simple("refs", '<bpmn:receiveTask id="t" messageRef="nowhere"/>'),
        "t",
        ["message 'nowhere'", "does not define"],
    ),
    "signal reference to nothing": (
        simple(
            "refs",
            '<bpmn:intermediateCatchEvent id="t"><bpmn:signalEventDefinition signalRef="nosignal"/>'
            "</bpmn:intermediateCatchEvent>",
        ),
        "t",
        ["signal 'nosignal'"],
    ),
    "error reference to nothing": (
        model(
            "refs",
            """
    <bpmn:startEvent id="start"/>
    <bpmn:endEvent id="end"><bpmn:errorEventDefinition id="ed" errorRef="noerror"/></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>""",
        ),
        "end",
        ["error 'noerror'"],
    ),
    "default flow of another element": (
        model(
            "refs",
            """
    <bpmn:startEvent id="start"/>
    <bpmn:exclusiveGateway id="gw" default="f1"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end"/>""",
        ),
        "gw",
        ["default flow", "'f1'", "not one of its outgoing"],
    ),
    "lane listing a missing step": (
        model(
            "refs",
            """
    <bpmn:laneSet id="ls"><bpmn:lane id="sales" name="sales">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>vanished</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>""",
        ),
        "sales",
        ["lists 'vanished'", "no step"],
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_references_are_refused_naming_the_element(api, session, name):
    content, element_id, words = BROKEN[name]
    before = versions(session)
    response = upload(api, ("refs.bpmn", content))
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["details"]
    detail = next((d for d in details if d.get("element_id") == element_id), None)
    assert detail is not None, details
    assert all(word in detail["message"] for word in words), detail
    assert detail["file"] == "refs.bpmn" and detail["line"] > 1
    assert versions(session) == before


def test_consistent_references_deploy(api):
    """The same shapes, with every reference right, deploy: the rules refuse only what is broken."""
    content = model(
        "refs_ok",
        """
    <bpmn:laneSet id="ls"><bpmn:lane id="sales" name="sales">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>b</bpmn:flowNodeRef><bpmn:flowNodeRef>end2</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="f2"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="t"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:endEvent id="end2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="t"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>
      False</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="end"/>
    <bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="end2"/>""",
    )
    response = upload(api, ("refs_ok.bpmn", content))
    assert response.status_code == 201, response.get_json()
