"""Static checks of the process models in bpmn/: they parse with SpiffWorkflow,
carry a complete, tidy diagram (pool, lanes, shapes, edges), use known roles,
and every user task has valid JSON-Schema forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from workflows.engine.xml import FLOW_NODES

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = BPMN_DIR / "forms"
BPMN_FILES = sorted(BPMN_DIR.glob("*.bpmn"))
DMN_FILES = sorted(BPMN_DIR.glob("*.dmn"))

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
ROLES = {
    "account_manager",
    "travel_advisor",
    "project_manager",
    "customer_service",
    "service_supervisor",
    "data_analyst",
    "tour_guide",
    "finance",
}

# The process catalogue (PROCESSES.md): process id -> element ids that are a contract.
CATALOGUE = {
    "trip": {"pre_trip_call", "daily_report", "in_trip_intervention"},
    "trip_incident": {"propose_alternatives", "record_choice", "approve_incident_cost"},
    "itinerary_planning": {
        "collect_needs",
        "design_itinerary",
        "review_itinerary",
        "present_to_customer",
        "sign_contract",
    },
    "itinerary_confirmation": {
        "record_itinerary",
        "arrange_bookings",
        "prepare_confirmation_letter",
        "send_confirmation_letter",
    },
    "change_request": {
        "submit_change_request",
        "check_change_window",
        "review_change",
        "explain_fee_change",
        "apply_change",
        "notify_customer",
    },
    "trip_feedback": {
        "route_feedback",
        "revisit_call",
        "collect_survey",
        "supervisor_intervention",
        "classify_feedback",
        "log_improvement",
        "invite_review",
    },
    "complaint_handling": {"resolve_complaint", "escalate_complaint", "follow_up_call", "escalate_follow_up"},
    "customer_tiering": {
        "compute_customer_values",
        "propose_tiers",
        "review_tier_changes",
        "apply_tiers",
        "notify_tier_changes",
    },
    "quarterly_review": {"compile_metrics", "review_metrics", "triage_improvements"},
}


def local(el):
    return etree.QName(el).localname


def load(path: Path):
    return etree.parse(str(path)).getroot()


def flow_nodes(process):
    return [
        el
        for el in process.iter()
        if isinstance(el.tag, str) and el.tag.startswith("{%s}" % NS["bpmn"]) and local(el) in FLOW_NODES
    ]


def bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


@pytest.fixture(scope="module")
def parser():
    p = SpiffBpmnParser()
    p.add_bpmn_files([str(f) for f in BPMN_FILES])
    p.add_dmn_files([str(f) for f in DMN_FILES])
    return p


def test_every_catalogue_process_has_a_file():
    assert {f.stem for f in BPMN_FILES} >= set(CATALOGUE)


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_parses_and_builds_spec(path, parser):
    root = load(path)
    processes = root.findall("bpmn:process", NS)
    assert len(processes) == 1, "one process per file"
    process = processes[0]
    assert process.get("id") == path.stem, "file name = process id"
    assert process.get("isExecutable") == "true"
    spec = parser.get_spec(path.stem)
    parser.get_subprocess_specs(path.stem)
    ids = {t.bpmn_id for t in spec.task_specs.values() if t.bpmn_id}
    assert CATALOGUE.get(path.stem, set()) <= ids


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_ids_and_gateways(path):
    root = load(path)
    process = root.find("bpmn:process", NS)
    for flow in process.iter("{%s}sequenceFlow" % NS["bpmn"]):
        assert flow.get("id"), "sequence flow without id"
    for el in flow_nodes(process):
        assert el.get("id"), f"{local(el)} without id"
    for gw in process.iter("{%s}exclusiveGateway" % NS["bpmn"]):
        outgoing = gw.findall("bpmn:outgoing", NS)
        if len(outgoing) > 1:
            assert gw.get("default"), f"exclusive gateway {gw.get('id')} needs a default flow"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_lanes_and_pool(path):
    root = load(path)
    process = root.find("bpmn:process", NS)
    lanes = process.findall(".//bpmn:lane", NS)
    assert lanes, "process has lanes"
    in_lane = {}
    for lane in lanes:
        assert lane.get("name") in ROLES, f"lane name {lane.get('name')} is not a role id"
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            assert ref.text not in in_lane, f"{ref.text} in two lanes"
            in_lane[ref.text] = lane.get("name")
    for el in flow_nodes(process):
        assert el.get("id") in in_lane, f"{el.get('id')} is in no lane"
    participants = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert len(participants) == 1 and participants[0].get("processRef") == process.get("id")


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_diagram_is_complete(path):
    root = load(path)
    process = root.find("bpmn:process", NS)
    diagrams = root.findall("bpmndi:BPMNDiagram", NS)
    assert len(diagrams) == 1
    plane = diagrams[0].find("bpmndi:BPMNPlane", NS)
    collab = root.find("bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == collab.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    participant = collab.find("bpmn:participant", NS)
    assert participant.get("id") in shapes, "pool shape"
    for lane in process.findall(".//bpmn:lane", NS):
        assert lane.get("id") in shapes, f"lane shape {lane.get('id')}"
    for el in flow_nodes(process):
        assert el.get("id") in shapes, f"shape for {el.get('id')}"
    for flow in process.iter("{%s}sequenceFlow" % NS["bpmn"]):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"edge for {flow.get('id')}"
        pts = edge.findall("di:waypoint", NS)
        assert len(pts) >= 2


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_layout_nodes_inside_their_lane_without_overlap(path):
    root = load(path)
    process = root.find("bpmn:process", NS)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement"): bounds(s) for s in plane.findall("bpmndi:BPMNShape", NS)}
    px, py, pw, ph = shapes[root.find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    for lane in process.findall(".//bpmn:lane", NS):
        lx, ly, lw, lh = shapes[lane.get("id")]
        assert px <= lx and lx + lw <= px + pw + 0.5 and py <= ly and ly + lh <= py + ph + 0.5
        members = [r.text for r in lane.findall("bpmn:flowNodeRef", NS)]
        boxes = []
        for m in members:
            x, y, w, h = shapes[m]
            el = process.find(f".//*[@id='{m}']")
            if local(el) == "boundaryEvent":
                continue  # sits on its host's border by design
            assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, (
                f"{m} outside lane {lane.get('name')}"
            )
            boxes.append((m, x, y, w, h))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = (
                    a[1] < b[1] + b[3] and b[1] < a[1] + a[3] and a[2] < b[2] + b[4] and b[2] < a[2] + a[4]
                )
                assert not overlap, f"{a[0]} overlaps {b[0]}"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_edges_orthogonal_and_attached(path):
    root = load(path)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    for edge in plane.findall("bpmndi:BPMNEdge", NS):
        pts = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            assert x1 == x2 or y1 == y2, f"{edge.get('bpmnElement')} has a diagonal segment"


def _user_tasks():
    for path in BPMN_FILES:
        process = load(path).find("bpmn:process", NS)
        for task in process.iter("{%s}userTask" % NS["bpmn"]):
            yield pytest.param(path.stem, task, id=f"{path.stem}:{task.get('id')}")


@pytest.mark.parametrize("pid,task", list(_user_tasks()))
def test_user_task_forms(pid, task):
    props = {
        p.get("name"): p.get("value")
        for p in task.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }
    tid = task.get("id")
    assert props.get("formJsonSchemaFilename") == f"{tid}.schema.json"
    assert props.get("formUiSchemaFilename") == f"{tid}.uischema.json"
    schema = json.loads((FORMS_DIR / props["formJsonSchemaFilename"]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert "zh_Hans" in schema.get("x-title", {}), "form needs a Chinese title"
    for name, field in schema["properties"].items():
        assert field.get("title"), f"{tid}.{name} has no title"
        assert field.get("x-title", {}).get("zh_Hans"), f"{tid}.{name} has no Chinese title"
        if "enum" in field:
            titles = field.get("x-enum-titles", {})
            assert len(titles.get("en", [])) == len(field["enum"]) == len(titles.get("zh_Hans", []))
    assert set(schema.get("required", [])) <= set(schema["properties"])
    ui = json.loads((FORMS_DIR / props["formUiSchemaFilename"]).read_text(encoding="utf-8"))
    order = [f for f in ui.get("ui:order", []) if f != "*"]
    assert set(order) <= set(schema["properties"])
    assert isinstance(ui.get("ui:readonly_context", []), list)
    for key in ("dueIn",):
        if key in props:
            assert props[key].startswith("P")


def test_no_orphan_forms():
    used = set()
    for path in BPMN_FILES:
        for p in load(path).iter("{%s}property" % NS["spiffworkflow"]):
            if p.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                used.add(p.get("value"))
    present = {f.name for f in FORMS_DIR.glob("*.json")}
    assert present == used


def test_service_tasks_name_their_handler():
    for path in BPMN_FILES:
        process = load(path).find("bpmn:process", NS)
        for task in process.iter("{%s}serviceTask" % NS["bpmn"]):
            op = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
            # SpiffWorkflow maps ids document-wide, so the operator id must differ from the task id
            assert op is not None and op.get("id") == f"{task.get('id')}_handler"


# --- decision tables, run with plain SpiffWorkflow (no Tripflow engine) -----------------------


def test_decision_tables_are_present(parser):
    assert {"feedback_routing", "customer_tier"} <= set(parser.dmn_parsers)


def _workflow(parser, pid, services=None):
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

    class Env(TaskDataEnvironment):
        def call_service(self, context, operation_name, operation_params):
            context.update((services or {}).get(operation_name, {}))
            return "null"

    return BpmnWorkflow(
        parser.get_spec(pid),
        parser.get_subprocess_specs(pid),
        script_engine=PythonScriptEngine(environment=Env()),
    )


@pytest.mark.parametrize(
    "tier,spend,route",
    [
        ("A", 0, "revisit"),
        ("B", 10000, "survey"),
        ("B", 10001, "revisit"),
        ("C", 0, "survey"),
    ],
)
def test_feedback_routing(parser, tier, spend, route):
    from SpiffWorkflow.util.task import TaskState

    wf = _workflow(parser, "trip_feedback")
    wf.get_tasks(state=TaskState.READY)[0].data.update(customer_tier=tier, annual_spend=spend)
    wf.do_engine_steps()
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    assert ready[0].data["feedback_route"] == route
    assert ready[0].task_spec.bpmn_id == ("revisit_call" if route == "revisit" else "collect_survey")


def test_customer_tier_proposals(parser):
    from SpiffWorkflow.util.task import TaskState

    customers = [
        dict(customer_id=1, name="a", tier="C", annual_spend=50000, trips_12m=0),
        dict(customer_id=2, name="b", tier="C", annual_spend=0, trips_12m=4),
        dict(customer_id=3, name="c", tier="A", annual_spend=10000, trips_12m=0),
        dict(customer_id=4, name="d", tier="C", annual_spend=0, trips_12m=2),
        dict(customer_id=5, name="e", tier="B", annual_spend=9999, trips_12m=1),
    ]
    wf = _workflow(parser, "customer_tiering", {"compute_customer_values_handler": {"customers": customers}})
    wf.do_engine_steps()
    task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
    assert task.task_spec.bpmn_id == "review_tier_changes"
    assert [p["proposed_tier"] for p in task.data["tier_proposals"]] == ["A", "A", "B", "B", "C"]
    assert [p["customer_id"] for p in task.data["proposed_tier_changes"]] == [1, 2, 3, 4, 5]
