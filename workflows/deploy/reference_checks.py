"""Broken references inside one BPMN file: what a modeler's XML says is connected but is not.

SpiffWorkflow resolves most references lazily or not at all: a sequence flow to a missing element,
a boundary event attached to nothing or a default flow that leaves another gateway deploy
silently and then strand a case. Each rule here names the element whose reference is broken and
its line. The browser's bpmnlint rules in ``tools/bpmnlint-tripflow`` say the same before upload.
"""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from workflows.deploy.problems import FLOW_NODES, ModelProblem, describe, executable_processes, sentence
from workflows.engine.xml import BPMN, NS

# reference attribute -> the element kind it must name
DEFINITION_REFS = {
    "messageRef": "message",
    "signalRef": "signal",
    "errorRef": "error",
    "escalationRef": "escalation",
}
ACTIVITIES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def check_references(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    """Every broken reference of the executable processes of ``tree``, one problem per element."""
    root = tree.getroot()
    problems: list[ModelProblem] = []

    def problem(element: etree._Element, message: str) -> None:
        problems.append(ModelProblem(file_name, sentence(message), element.get("id"), element.sourceline))

    by_id: dict[str, etree._Element] = {}
    for element in root.iter():
        bpmn = isinstance(element.tag, str) and etree.QName(element).namespace == NS["bpmn"]
        if bpmn and element.get("id"):
            by_id.setdefault(element.get("id"), element)

    def is_a(ref: str | None, kinds: set[str] | str) -> bool:
        target = by_id.get((ref or "").strip())
        if target is None:
            return False
        return _local(target) in ({kinds} if isinstance(kinds, str) else kinds)

    for process in executable_processes(tree):
        flows = [f for f in process.iter(f"{BPMN}sequenceFlow")]
        into: dict[str, set[str]] = defaultdict(set)
        out_of: dict[str, set[str]] = defaultdict(set)
        for flow in flows:
            fid = flow.get("id") or ""
            for attribute, ends in (("sourceRef", out_of), ("targetRef", into)):
                ref = (flow.get(attribute) or "").strip()
                if not ref:
                    continue  # "does not connect two elements" is said by the element checks
                if not is_a(ref, FLOW_NODES | ACTIVITIES):
                    what = "comes from" if attribute == "sourceRef" else "goes to"
                    problem(flow, f"{describe(flow)} {what} '{ref}', which is no element of the file")
                elif fid:
                    ends[ref].add(fid)
        for node in process.iter():
            tag = _local(node)
            if tag not in FLOW_NODES and tag not in ACTIVITIES:
                continue
            node_id = node.get("id") or ""
            for side, flows_of in (("incoming", into), ("outgoing", out_of)):
                listed = {(r.text or "").strip() for r in node.findall(f"{BPMN}{side}")}
                listed.discard("")
                if not listed:
                    continue
                listed_flows = {r for r in listed if not is_a(r, "messageFlow")}
                wrong = sorted(listed_flows - flows_of[node_id])
                missing = sorted(flows_of[node_id] - listed_flows)
                if wrong or missing:
                    said = []
                    if wrong:
                        said.append(f"lists {', '.join(wrong)} as {side} but no such flow {_side(side)} it")
                    if missing:
                        said.append(f"does not list {', '.join(missing)} as {side}")
                    problem(
                        node,
                        f"{describe(node)} {' and '.join(said)}; bpmn:{side} must agree with the sequence "
                        "flows (redraw the connection or delete the stale reference)",
                    )
            if tag == "boundaryEvent":
                attached = (node.get("attachedToRef") or "").strip()
                if not is_a(attached, ACTIVITIES):
                    problem(
                        node,
                        f"{describe(node)} is attached to '{attached}', which is no task or subprocess of "
                        "the file; attach it to an activity",
                    )
            default = (node.get("default") or "").strip()
            if default and default not in out_of[node_id]:
                problem(
                    node,
                    f"{describe(node)} names '{default}' as its default flow, which is not one of its "
                    "outgoing sequence flows",
                )
        for definition in process.iter():
            for attribute, kind in DEFINITION_REFS.items():
                ref = (definition.get(attribute) or "").strip()
                if not ref or ":" in ref or is_a(ref, kind):
                    continue  # a prefixed message reference gets its own sentence in the element checks
                owner = definition
                if _local(definition).endswith("EventDefinition"):
                    owner = definition.getparent()
                problem(
                    owner,
                    f"{describe(owner)} refers to the {kind} '{ref}', which the file does not define; add "
                    f"a bpmn:{kind} with that id",
                )
        for ref in process.iter(f"{BPMN}flowNodeRef"):
            name = (ref.text or "").strip()
            if name and not is_a(name, FLOW_NODES | ACTIVITIES):
                lane = ref.getparent()
                problem(lane, f"{describe(lane)} lists '{name}', which is no step of the process")
    return problems


def _side(side: str) -> str:
    return "enters" if side == "incoming" else "leaves"
