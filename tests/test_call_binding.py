"""Issue 16, items 1 and 2: deploying one model changes no other; saving without a change makes no version.

A call activity binds to the called process's latest deployed version when the call starts
(Camunda's ``latest``); a subprocess keeps the version it started on; ``deployment`` and
``version`` bindings are honoured. Versions compare the canonical model, not the bytes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.models import ProcessVersion

from .conftest import ROOT, open_task
from .test_deploy import model, upload, versions

PLANNING = (ROOT / "bpmn" / "itinerary_planning.bpmn").read_bytes()
DIAGRAM_NS = (
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
)


def child(name: str = "Inside") -> bytes:
    """The called process: one user task, named ``name`` (a change of name is a change of model)."""
    return model(
        "bind_child",
        f"""
    <bpmn:startEvent id="c_start"/>
    <bpmn:userTask id="inside" name="{name}"/>
    <bpmn:endEvent id="c_end"/>
    <bpmn:sequenceFlow id="c1" sourceRef="c_start" targetRef="inside"/>
    <bpmn:sequenceFlow id="c2" sourceRef="inside" targetRef="c_end"/>""",
    )


def parent(key: str = "bind_parent", binding: str = "") -> bytes:
    """before (user task) → call bind_child → after (user task) → end."""
    return model(
        key,
        f"""
    <bpmn:startEvent id="p_start"/>
    <bpmn:userTask id="before" name="Before"/>
    <bpmn:callActivity id="call" name="Call child" calledElement="bind_child" {binding}/>
    <bpmn:userTask id="after" name="After"/>
    <bpmn:endEvent id="p_end"/>
    <bpmn:sequenceFlow id="p1" sourceRef="p_start" targetRef="before"/>
    <bpmn:sequenceFlow id="p2" sourceRef="before" targetRef="call"/>
    <bpmn:sequenceFlow id="p3" sourceRef="call" targetRef="after"/>
    <bpmn:sequenceFlow id="p4" sourceRef="after" targetRef="p_end"/>""",
    )


def start(api: Any, key: str = "bind_parent") -> int:
    response = api.as_("service_supervisor").post("/api/v1/cases", json={"process": key, "data": {}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def complete(api: Any, session: Any, case_id: int, task_id: str) -> dict[str, Any]:
    session.rollback()
    item = open_task(session, case_id, task_id)
    response = api.as_("service_supervisor").post(f"/api/v1/tasks/{item.id}/complete", json={"data": {}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def case(api: Any, case_id: int) -> dict[str, Any]:
    response = api.as_("service_supervisor").get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    return response.get_json()


def deployed(api: Any, *files: tuple[str, bytes]) -> dict[str, int]:
    response = upload(api, *files)
    assert response.status_code in (200, 201), response.get_json()
    return {i["key"]: i["version"] for i in response.get_json()["items"] if i["created"]}


def latest(session: Any, key: str) -> int:
    session.rollback()
    return max(session.scalars(select(ProcessVersion.version).where(ProcessVersion.key == key)))


# --- item 1: deploying one model changes no other model ---------------------------------------


def test_deploying_itinerary_planning_alone_makes_no_new_trip_version(api, session):
    trip_before, planning_before = latest(session, "trip"), latest(session, "itinerary_planning")
    changed = PLANNING.replace(b'name="dueIn" value="P1D"', b'name="dueIn" value="P2D"', 1)  # one due time
    assert changed != PLANNING
    response = upload(api, ("itinerary_planning.bpmn", changed))
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    # the answer lists exactly what got a new version: planning, not trip
    assert [(i["key"], i["version"], i["created"]) for i in items] == [
        ("itinerary_planning", planning_before + 1, True)
    ]
    assert latest(session, "trip") == trip_before
    assert latest(session, "itinerary_planning") == planning_before + 1


def test_a_call_binds_to_the_latest_version_when_it_starts_and_a_running_one_keeps_its_version(api, session):
    assert deployed(api, ("bind_child.bpmn", child()), ("bind_parent.bpmn", parent())) == {
        "bind_child": 1,
        "bind_parent": 1,
    }
    waiting = start(api)  # started before the new child version, reaches the call after it
    inside = start(api)
    complete(api, session, inside, "before")  # already in the child, on version 1
    assert case(api, inside)["called_versions"] == {"bind_child": 1}
    assert case(api, waiting)["called_versions"] == {}

    assert deployed(api, ("bind_child.bpmn", child("Inside, version 2"))) == {"bind_child": 2}
    assert versions(session, "bind_parent") == 1  # no new parent version

    complete(api, session, waiting, "before")
    assert case(api, waiting)["called_versions"] == {"bind_child": 2}
    session.rollback()
    assert open_task(session, waiting, "inside").name == "Inside, version 2"
    assert case(api, inside)["called_versions"] == {"bind_child": 1}
    assert open_task(session, inside, "inside").name == "Inside"

    for case_id in (inside, waiting):  # both run to the end on their own child version
        complete(api, session, case_id, "inside")
        complete(api, session, case_id, "after")
        assert case(api, case_id)["status"] == "completed"
    assert case(api, inside)["called_versions"] == {"bind_child": 1}
    assert case(api, waiting)["called_versions"] == {"bind_child": 2}


def test_the_case_page_shows_the_called_version(api, session):
    deployed(api, ("bind_child.bpmn", child()), ("bind_parent.bpmn", parent()))
    case_id = start(api)
    complete(api, session, case_id, "before")
    page = api.as_("service_supervisor").get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert 'data-process="bind_child"' in page.get_data(as_text=True)


def test_binding_deployment_runs_the_version_deployed_with_the_caller(api, session):
    binding = 'camunda:calledElementBinding="deployment"'
    deployed(api, ("bind_child.bpmn", child()), ("bind_parent.bpmn", parent(binding=binding)))
    assert deployed(api, ("bind_child.bpmn", child("Inside, version 2"))) == {"bind_child": 2}
    case_id = start(api)
    complete(api, session, case_id, "before")
    assert case(api, case_id)["called_versions"] == {"bind_child": 1}
    assert open_task(session, case_id, "inside").name == "Inside"


def test_binding_version_runs_the_named_version(api, session):
    deployed(api, ("bind_child.bpmn", child()))
    deployed(api, ("bind_child.bpmn", child("Inside, version 2")))
    deployed(api, ("bind_child.bpmn", child("Inside, version 3")))
    binding = 'camunda:calledElementBinding="version" camunda:calledElementVersion="2"'
    deployed(api, ("bind_parent.bpmn", parent(binding=binding)))
    case_id = start(api)
    complete(api, session, case_id, "before")
    assert case(api, case_id)["called_versions"] == {"bind_child": 2}
    assert open_task(session, case_id, "inside").name == "Inside, version 2"


def test_binding_version_to_a_missing_version_is_an_incident_naming_the_call(api, session):
    deployed(api, ("bind_child.bpmn", child()))
    binding = 'camunda:calledElementBinding="version" camunda:calledElementVersion="7"'
    deployed(api, ("bind_parent.bpmn", parent(binding=binding)))
    case_id = start(api)
    session.rollback()
    item = open_task(session, case_id, "before")
    response = api.as_("service_supervisor").post(f"/api/v1/tasks/{item.id}/complete", json={"data": {}})
    assert response.status_code == 200, response.get_json()
    error = case(api, case_id)["error"]
    assert error["element_id"] == "call" and "no deployed version 7" in error["message"]


# --- item 2: saving without a change makes no version -----------------------------------------


def with_diagram(content: bytes, x: int) -> bytes:
    """The model with a diagram: the 'before' task's shape at ``x``."""
    diagram = f"""<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="bind_parent">
      <bpmndi:BPMNShape id="s_before" bpmnElement="before"><dc:Bounds x="{x}" y="80" width="100" height="80"/>
      </bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"""
    text = content.decode().replace(
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ' + DIAGRAM_NS,
    )
    return text.replace("</bpmn:definitions>", diagram + "\n</bpmn:definitions>").encode()


def reformatted(content: bytes) -> bytes:
    """What another modeler writes for the same model: other prefix, attribute order and indentation."""
    text = content.decode().replace("bpmn:", "bpmn2:").replace("xmlns:bpmn=", "xmlns:bpmn2=")
    before = '<bpmn2:userTask   name="Before"\n       id="before" />'
    text = text.replace('<bpmn2:userTask id="before" name="Before"/>', before)
    text = text.replace('exporter="x"', "")
    lines = text.splitlines()
    return "\n".join([lines[0]] + ["\t" + line.strip() for line in lines[1:]]).encode()


def test_redeploying_the_same_model_reformatted_makes_no_version(api, session):
    deployed(api, ("bind_child.bpmn", child()))
    original = with_diagram(parent(), 100)
    assert deployed(api, ("bind_parent.bpmn", original)) == {"bind_parent": 1}
    same = reformatted(original)
    assert same != original and b"bpmn2:" in same
    response = upload(api, ("bind_parent.bpmn", same))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == [{"key": "bind_parent", "version": 1, "created": False}]

    moved = reformatted(with_diagram(parent(), 340))  # only the shapes moved: same version, new drawing
    response = upload(api, ("bind_parent.bpmn", moved))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == [
        {"key": "bind_parent", "version": 1, "created": False, "layout_updated": True}
    ]
    assert versions(session, "bind_parent") == 1
    shown = api.as_("process_owner").get("/api/v1/processes/bind_parent/bpmn")
    assert shown.status_code == 200 and b'x="340"' in shown.get_data()  # the stored drawing is the new one

    real = with_diagram(parent().replace(b'name="Before"', b'name="Before the call"'), 340)
    response = upload(api, ("bind_parent.bpmn", real))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["items"] == [{"key": "bind_parent", "version": 2, "created": True}]


def test_migrating_the_caller_leaves_a_running_subprocess_on_its_version(api, session):
    deployed(api, ("bind_child.bpmn", child()), ("bind_parent.bpmn", parent()))
    case_id = start(api)
    complete(api, session, case_id, "before")  # in bind_child version 1
    longer = (
        child()
        .replace(b'targetRef="c_end"', b'targetRef="extra"')
        .replace(
            b'<bpmn:endEvent id="c_end"/>',
            b'<bpmn:userTask id="extra" name="Extra"/><bpmn:endEvent id="c_end"/>'
            b'<bpmn:sequenceFlow id="c3" sourceRef="extra" targetRef="c_end"/>',
        )
    )
    deployed(api, ("bind_child.bpmn", longer))  # version 2 has one more task
    changed = parent().replace(b'name="After"', b'name="After the call"')
    assert deployed(api, ("bind_parent.bpmn", changed)) == {"bind_parent": 2}
    response = api.as_("process_owner").post(
        "/api/v1/processes/bind_parent/migrate", json={"cases": [case_id], "dry_run": False}
    )
    assert response.status_code == 200, response.get_json()
    [done] = response.get_json()["items"]
    assert done["status"] == "migrated", done
    assert case(api, case_id)["called_versions"] == {"bind_child": 1}
    complete(api, session, case_id, "inside")  # version 1 of the child ends here: no "extra"
    session.rollback()
    assert open_task(session, case_id, "after").name == "After the call"  # the caller's new version runs on
