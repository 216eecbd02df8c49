"""Issue 16 item 3 in the browser: references to nothing are named before upload.

bpmn-moddle drops a reference it cannot resolve, so bpmnlint never sees a message reference or a
lane ``flowNodeRef`` to nothing; the workbench reads the import's warnings instead and lists them
in the same panel as the lint and the server's 422. Here a Camunda-style file with both is opened
from disk in the workbench, and both are named, with their element, before anything is uploaded.
"""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import CHROMIUM_ARGS, browser, server, shot, sign_in  # noqa: F401 - fixtures
from .test_modeler_browser import open_workbench

pytestmark = pytest.mark.browser

BROKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs_refs" targetNamespace="http://tripflow.test">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool" name="Agency" processRef="refs_gone"/>
  </bpmn:collaboration>
  <bpmn:process id="refs_gone" name="Refs gone" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_advisor" name="travel_advisor">
        <bpmn:flowNodeRef>booking_in</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ghost_task</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="booking_in" name="Booking in">
      <bpmn:outgoing>flow_1</bpmn:outgoing>
      <bpmn:messageEventDefinition id="booking_def" messageRef="Msg_gone"/>
    </bpmn:startEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>flow_1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_1" sourceRef="booking_in" targetRef="done"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="collab">
      <bpmndi:BPMNShape id="pool_di" bpmnElement="pool" isHorizontal="true">
        <dc:Bounds x="100" y="80" width="500" height="200"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_di" bpmnElement="lane_advisor" isHorizontal="true">
        <dc:Bounds x="130" y="80" width="470" height="200"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="booking_in">
        <dc:Bounds x="200" y="162" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="done">
        <dc:Bounds x="450" y="162" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_1_di" bpmnElement="flow_1">
        <di:waypoint x="236" y="180"/><di:waypoint x="450" y="180"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_references_to_nothing_are_named_before_upload(server: str, browser: Any) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "process_owner")
    open_workbench(page, f"{server}/models/new?key=refs_gone&name=Refs%20gone")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method + " " + request.url))
    page.set_input_files(
        '[data-action="open-file"]',
        files=[{"name": "refs_gone.bpmn", "mimeType": "application/xml", "buffer": BROKEN}],
    )
    page.wait_for_selector("#problems .problem.error >> text=Msg_gone", timeout=10_000)
    message = page.locator("#problems .problem.error", has_text="Msg_gone").first.inner_text()
    assert "refers to the message 'Msg_gone', which the file does not define" in message
    assert "booking_in" in message
    lane = page.locator("#problems .problem.error", has_text="ghost_task").first.inner_text()
    assert "lists 'ghost_task', which is no step of the process" in lane and "lane_advisor" in lane
    assert "Opened refs_gone.bpmn" in page.locator("[data-status]").inner_text()
    assert page.locator("[data-dirty]:not([hidden])").count() == 1
    shot(page, "modeler-references-to-nothing")
    assert not [r for r in requests if r.startswith("POST")], requests  # named before any upload

    # the problem goes when it is fixed: the start event removed from the canvas
    page.click('g.djs-shape[data-element-id="booking_in"]')
    page.keyboard.press("Delete")
    page.wait_for_function(
        "() => !document.querySelector('#problems').textContent.includes('Msg_gone')", timeout=10_000
    )
    assert page.locator("#problems .problem.error", has_text="ghost_task").count() == 1
    assert not errors, errors
    context.close()
