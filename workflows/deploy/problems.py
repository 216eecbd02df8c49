"""How a deploy check speaks: the problem it reports, what a process refers to, how an element is named.

Each problem names the file, the line and the element, in a sentence a process owner can act on:
what the element is ("Service task "Charge card" (Task_1)"), what is wrong with it, and what to
do instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from workflows.deploy import camunda
from workflows.engine.xml import BPMN, FLOW_NODES

WORDS = {
    "userTask": "user task",
    "manualTask": "manual task",
    "serviceTask": "service task",
    "scriptTask": "script task",
    "businessRuleTask": "business rule task",
    "sendTask": "send task",
    "receiveTask": "receive task",
    "callActivity": "call activity",
    "subProcess": "subprocess",
    "adHocSubProcess": "ad-hoc subprocess",
    "startEvent": "start event",
    "endEvent": "end event",
    "intermediateCatchEvent": "intermediate catch event",
    "intermediateThrowEvent": "intermediate throw event",
    "boundaryEvent": "boundary event",
    "exclusiveGateway": "exclusive gateway",
    "parallelGateway": "parallel gateway",
    "inclusiveGateway": "inclusive gateway",
    "eventBasedGateway": "event-based gateway",
    "complexGateway": "complex gateway",
    "sequenceFlow": "sequence flow",
    "dataStoreReference": "data store",
    "dataStore": "data store",
    "process": "process",
    "multiInstanceLoopCharacteristics": "multi-instance marker",
    "standardLoopCharacteristics": "loop marker",
}


@dataclass(frozen=True)
class ModelProblem:
    file: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"file": self.file, "message": self.message}
        if self.element_id:
            detail["element_id"] = self.element_id
        if self.line:
            detail["line"] = self.line
        return detail


@dataclass
class References:
    """What one process refers to, and what its Camunda attributes translate into."""

    called_processes: list[tuple[str, etree._Element]] = field(default_factory=list)
    decisions: list[tuple[str, etree._Element]] = field(default_factory=list)
    forms: list[tuple[str, etree._Element]] = field(default_factory=list)
    camunda_tasks: dict[str, camunda.CamundaUserTask] = field(default_factory=dict)
    notes: list[ModelProblem] = field(default_factory=list)


def describe(element: etree._Element) -> str:
    """``service task "Charge card" (Task_1)``: how a message names an element."""
    tag = etree.QName(element).localname
    kind = WORDS.get(tag, re.sub(r"(?<!^)([A-Z])", lambda m: " " + m.group(1).lower(), tag))
    name = " ".join((element.get("name") or "").split())[:80]
    element_id = element.get("id")
    if name and element_id:
        return f'{kind} "{name}" ({element_id})'
    if element_id:
        return f"{kind} {element_id}"
    return f'{kind} "{name}"' if name else f"a {kind} without an id"


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def executable_processes(tree: etree._ElementTree) -> list[etree._Element]:
    """Processes SpiffWorkflow would run (``isExecutable`` absent counts as true, as it does there)."""
    return [p for p in tree.getroot().iter(f"{BPMN}process") if p.get("isExecutable", "true") == "true"]


def has_flow_nodes(process: etree._Element) -> bool:
    return any(isinstance(c.tag, str) and etree.QName(c).localname in FLOW_NODES for c in process)


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
