"""Whether a call back into a running process can end: recursion is legal BPMN when something decides.

A process may call itself (a call activity whose ``calledElement`` is its own id, or a cycle
through other processes), as a travel plan split into legs may plan each leg the same way. It
ends only if some call of the cycle waits for someone or sits behind a choice: a case that
reaches the call straight from the start event, through nothing but steps that run on their own,
would start itself again at once, forever. That call is refused; the others are allowed.
"""

from __future__ import annotations

from lxml import etree

from workflows.engine.xml import BPMN

# where a case stops until someone or something acts: the way on is not the model's alone
WAITS = {
    "userTask",
    "manualTask",
    "receiveTask",
    "intermediateCatchEvent",
    "eventBasedGateway",
}
# an embedded subprocess is passed through as one step, whatever it holds: a guard inside it is not
# looked for, so such a model is refused rather than let loop
CHOOSERS = {"exclusiveGateway", "inclusiveGateway", "complexGateway"}


def reached_unconditionally(process: etree._Element, call: etree._Element) -> bool:
    """Whether every run of ``process`` comes to ``call`` without a wait or a choice on the way."""
    by_id = {e.get("id"): e for e in process if isinstance(e.tag, str) and e.get("id")}
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
    starts = [e for e in process if isinstance(e.tag, str) and etree.QName(e).localname == "startEvent"]
    todo = [s for s in starts if _plain_start(s)]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        node_id = node.get("id") or ""
        if node_id in seen:
            continue
        seen.add(node_id)
        if node is call:
            return True
        kind = etree.QName(node).localname
        if kind in WAITS and node is not call:
            continue
        flows = outgoing.get(node_id, [])
        if kind in CHOOSERS and len(flows) > 1:
            continue  # a choice: the case may go elsewhere
        for flow in flows:
            if flow.find(f"{BPMN}conditionExpression") is not None:
                continue
            target = by_id.get(flow.get("targetRef"))
            if target is not None:
                todo.append(target)
    return False


def _plain_start(start: etree._Element) -> bool:
    """A start event without a trigger: a message or timer start waits, so it is a guard itself."""
    return not any(
        isinstance(c.tag, str) and etree.QName(c).localname.endswith("EventDefinition") for c in start
    )
