"""Checks SpiffWorkflow does not make: the traps that would deploy silently and then misbehave.

Each problem names the file, the line and the element, in a sentence a process owner can act on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree

from .sandbox import check_expression, check_script
from .xml import NS

BPMN = "{%s}" % NS["bpmn"]
SPIFF = "{%s}" % NS["spiffworkflow"]
CAMUNDA = "{%s}" % NS["camunda"]

_ISO_LITERAL = re.compile(r"^\s*(R\d*/)?(P(\d|T)[\dYMWDTHS.]*|\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*)\s*$")
_FLOW_NODES = {
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
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
    called_processes: list[tuple[str, etree._Element]] = field(default_factory=list)
    decisions: list[tuple[str, etree._Element]] = field(default_factory=list)
    forms: list[tuple[str, etree._Element]] = field(default_factory=list)


def check_bpmn_tree(
    file_name: str, tree: etree._ElementTree, process_id: str, handler_names: frozenset[str]
) -> tuple[References, list[ModelProblem]]:
    """Problems in process ``process_id`` of one file, and what it references."""
    refs = References()
    problems: list[ModelProblem] = []

    def problem(element: etree._Element, message: str) -> None:
        problems.append(ModelProblem(file_name, message, element.get("id"), element.sourceline))

    root = tree.getroot()
    process = next((p for p in root.iter(f"{BPMN}process") if p.get("id") == process_id), None)
    if process is None:
        return refs, [ModelProblem(file_name, f"process '{process_id}' is not in the file")]

    seen: dict[str, etree._Element] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id")
        if element_id:
            if element_id in seen and etree.QName(element).namespace == NS["bpmn"]:
                problem(element, f"the id '{element_id}' is used twice (also on line {seen[element_id].sourceline})")
            seen.setdefault(element_id, element)

    for element in process.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != NS["bpmn"]:
            continue
        tag = etree.QName(element).localname
        if tag == "sequenceFlow" and not element.get("id"):
            problem(element, "a sequence flow has no id; SpiffWorkflow would silently skip it")
        elif tag in _FLOW_NODES and not element.get("id"):
            problem(element, f"a {tag} has no id")
        if tag == "serviceTask":
            _check_service_task(element, handler_names, problem)
        elif tag == "scriptTask":
            _check_script_task(element, problem)
        elif tag == "businessRuleTask":
            decision = element.findtext(f".//{SPIFF}calledDecisionId") or element.get(f"{CAMUNDA}decisionRef")
            if not decision:
                problem(element, "business rule task names no decision table (spiffworkflow:calledDecisionId)")
            else:
                refs.decisions.append((decision.strip(), element))
        elif tag == "callActivity":
            called = element.get("calledElement")
            if not called:
                problem(element, "call activity names no process to call (calledElement)")
            else:
                refs.called_processes.append((called, element))
        elif tag == "conditionExpression":
            _check_expression_text(element, element.getparent(), "condition", problem)
        elif tag in ("timeDate", "timeDuration", "timeCycle"):
            _check_timer_text(element, problem)
        elif tag == "timerEventDefinition" and not any(
            etree.QName(c).localname in ("timeDate", "timeDuration", "timeCycle") for c in element
            if isinstance(c.tag, str)
        ):
            problem(element.getparent(), "timer event has no time (timeDate, timeDuration or timeCycle)")
        elif tag == "dataStoreReference":
            problem(element, "data stores are not supported by Tripflow")
        elif tag == "messageEventDefinition" and ":" in (element.get("messageRef") or ""):
            problem(element.getparent(), "message reference with a namespace prefix is not supported")
        elif tag == "userTask":
            for prop in element.iter(f"{SPIFF}property"):
                if prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename") and prop.get("value"):
                    refs.forms.append((prop.get("value"), element))
        for script_tag in ("preScript", "postScript"):
            for script in element.findall(f"{BPMN}extensionElements/{SPIFF}{script_tag}"):
                for message in check_script(script.text or ""):
                    problem(element, f"{script_tag}: {message}")
    return refs, problems


def _check_service_task(element: etree._Element, handler_names: frozenset[str], problem: Any) -> None:
    operator = element.find(f"{BPMN}extensionElements/{SPIFF}serviceTaskOperator")
    if operator is not None:
        name = operator.get("id")
        if name not in handler_names:
            problem(element, f"service task calls handler '{name}', which Tripflow does not have")
        return
    if any(element.get(f"{CAMUNDA}{a}") for a in ("class", "expression", "delegateExpression", "type")):
        problem(element, "service task is implemented in Java or a Camunda expression, which cannot run "
                         "here; bind it to a Tripflow handler (spiffworkflow:serviceTaskOperator)")
    else:
        problem(element, "service task has no implementation; bind it to a Tripflow handler "
                         "(spiffworkflow:serviceTaskOperator)")


def _check_script_task(element: etree._Element, problem: Any) -> None:
    language = (element.get("scriptFormat") or "python").lower()
    if language not in ("python", "python3", "text/python", "text/x-python"):
        problem(element, f"script task is written in '{language}'; Tripflow runs Python scripts only")
        return
    script = element.find(f"{BPMN}script")
    if script is None or not (script.text or "").strip():
        problem(element, "script task has no script")
        return
    for message in check_script(script.text or ""):
        problem(element, message)


def _check_expression_text(element: etree._Element, owner: etree._Element, what: str, problem: Any) -> None:
    text = (element.text or "").strip()
    if not text:
        problem(owner, f"{what} is empty")
    elif "${" in text or "#{" in text:
        problem(owner, f"{what} '{text}' is in the Camunda expression language; write it in Python, "
                       "for example approved == True")
    else:
        for message in check_expression(text):
            problem(owner, f"{what} '{text}': {message}")


def _check_timer_text(element: etree._Element, problem: Any) -> None:
    owner = element.getparent().getparent()
    text = (element.text or "").strip()
    if _ISO_LITERAL.match(text):
        problem(owner, f"timer expression {text} must be quoted (\"{text}\"): timer expressions are Python")
    else:
        _check_expression_text(element, owner, "timer expression", problem)


def check_forms(forms: dict[str, bytes]) -> list[ModelProblem]:
    problems = []
    for name, content in forms.items():
        try:
            schema = json.loads(content)
        except ValueError as exc:
            problems.append(ModelProblem(name, f"the file is not valid JSON: {exc}"))
            continue
        if not isinstance(schema, dict):
            problems.append(ModelProblem(name, "a form file must hold a JSON object"))
            continue
        if name.endswith(("uischema.json", "ui.json")):
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(ModelProblem(name, f"not a valid JSON Schema: {exc.message}"))
    return problems
