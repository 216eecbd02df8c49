"""Checks SpiffWorkflow does not make: the traps that would deploy silently and then misbehave.

Each problem names the file, the line and the element, in a sentence a process owner can act on:
what the element is ("Service task "Charge card" (Task_1)"), what is wrong with it, and what to
do instead. Scripts, conditions, timers and DMN entries are refused here exactly where the
sandbox would refuse them when a case runs.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree

from workflows.deploy import camunda
from workflows.engine.sandbox import check_expression, check_script
from workflows.engine.xml import NS
from workflows.permissions import LANE_ROLES

BPMN = f"{{{NS['bpmn']}}}"
SPIFF = f"{{{NS['spiffworkflow']}}}"
CAMUNDA = f"{{{NS['camunda']}}}"

_ISO_LITERAL = re.compile(
    r"^\s*(R\d*/)?(P(\d|T)[\dYMWDTHS.]*|\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*)(/P[\dYMWDTHS.]*)?\s*$"
)
_FLOW_NODES = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
_PYTHON = ("python", "python3", "text/python", "text/x-python", "application/x-python")
_OTHER_LANGUAGES = {
    "groovy",
    "javascript",
    "js",
    "ecmascript",
    "nashorn",
    "graal.js",
    "juel",
    "xslt",
    "ruby",
    "jruby",
    "jython",
    "feel",
    "painless",
    "kotlin",
    "java",
    "xpath",
    "mvel",
    "spel",
    "el",
    "lua",
    "php",
}
_WORDS = {
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
_HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")
DMN_PREFIXES = ("https://www.omg.org/spec/DMN/", "http://www.omg.org/spec/DMN/")


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
    kind = _WORDS.get(tag, re.sub(r"(?<!^)([A-Z])", lambda m: " " + m.group(1).lower(), tag))
    name = " ".join((element.get("name") or "").split())[:80]
    element_id = element.get("id")
    if name and element_id:
        return f'{kind} "{name}" ({element_id})'
    if element_id:
        return f"{kind} {element_id}"
    return f'{kind} "{name}"' if name else f"a {kind} without an id"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def find_process(tree: etree._ElementTree, process_id: str) -> etree._Element | None:
    return next((p for p in tree.getroot().iter(f"{BPMN}process") if p.get("id") == process_id), None)


def executable_processes(tree: etree._ElementTree) -> list[etree._Element]:
    """Processes SpiffWorkflow would run (``isExecutable`` absent counts as true, as it does there)."""
    return [p for p in tree.getroot().iter(f"{BPMN}process") if p.get("isExecutable", "true") == "true"]


def has_flow_nodes(process: etree._Element) -> bool:
    return any(isinstance(c.tag, str) and etree.QName(c).localname in _FLOW_NODES for c in process)


def check_definitions(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    """Whole-file problems of a BPMN file: no process, processes that would be skipped, duplicate ids."""
    problems: list[ModelProblem] = []
    root = tree.getroot()
    if etree.QName(root).localname != "definitions" or etree.QName(root).namespace != NS["bpmn"]:
        return [
            ModelProblem(
                file_name,
                "The file is not a BPMN 2.0 document (its root element is not bpmn:definitions)",
                line=root.sourceline,
            )
        ]
    processes = list(root.iter(f"{BPMN}process"))
    executable = executable_processes(tree)
    if not processes:
        problems.append(
            ModelProblem(file_name, "The file contains no BPMN process, so there is nothing to deploy")
        )
    for process in processes:
        if process in executable or not has_flow_nodes(process):
            continue
        value = process.get("isExecutable")
        problems.append(
            ModelProblem(
                file_name,
                f'{_sentence(describe(process))} is marked isExecutable="{value}", so SpiffWorkflow would '
                'skip it silently; set isExecutable="true" to deploy it, or remove it from the file',
                process.get("id"),
                process.sourceline,
            )
        )
    if processes and not executable and not problems:
        problems.append(
            ModelProblem(
                file_name,
                "No process in the file is executable and none has any steps",
                processes[0].get("id"),
                processes[0].sourceline,
            )
        )
    seen: dict[str, etree._Element] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != NS["bpmn"]:
            continue
        element_id = element.get("id")
        if not element_id or any(
            etree.QName(a).localname == "extensionElements"
            for a in element.iterancestors()
            if isinstance(a.tag, str)
        ):
            continue
        first = seen.get(element_id)
        if first is None:
            seen[element_id] = element
        elif not _same_declaration(first, element):
            problems.append(
                ModelProblem(
                    file_name,
                    f"The id '{element_id}' is used twice: by {describe(element)} and by {describe(first)} "
                    f"on line {first.sourceline}; SpiffWorkflow would mix them up. Give each element its "
                    "own id",
                    element_id,
                    element.sourceline,
                )
            )
    for store in root.iter(f"{BPMN}dataStore"):
        problems.append(
            ModelProblem(
                file_name,
                f"{_sentence(describe(store))} is a BPMN data store, which Tripflow does not support; keep "
                "data in case variables or call a handler",
                store.get("id"),
                store.sourceline,
            )
        )
    return problems


def _same_declaration(first: etree._Element, second: etree._Element) -> bool:
    """The same empty data object declared twice in one scope (some modelers write that): harmless."""
    return (
        etree.QName(first).localname == etree.QName(second).localname == "dataObject"
        and first.getparent() is second.getparent()
        and dict(first.attrib) == dict(second.attrib)
        and len(first) == len(second) == 0
    )


def check_bpmn_tree(
    file_name: str,
    tree: etree._ElementTree,
    process_id: str,
    handler_names: frozenset[str],
    roles: tuple[str, ...] | frozenset[str] = LANE_ROLES,
) -> tuple[References, list[ModelProblem]]:
    """Problems in process ``process_id`` of one file, and what it references."""
    refs = References()
    problems: list[ModelProblem] = []

    def problem(element: etree._Element, message: str) -> None:
        problems.append(ModelProblem(file_name, message, element.get("id"), element.sourceline))

    def note(element: etree._Element, message: str) -> None:
        refs.notes.append(ModelProblem(file_name, message, element.get("id"), element.sourceline))

    process = find_process(tree, process_id)
    if process is None:
        return refs, [ModelProblem(file_name, f"Process '{process_id}' is not in the file")]
    in_lanes = {(ref.text or "").strip() for ref in process.iter(f"{BPMN}flowNodeRef")}
    if not any(isinstance(c.tag, str) and etree.QName(c).localname == "startEvent" for c in process):
        problem(process, f"{_sentence(describe(process))} has no start event, so a case could not start")

    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        tag = etree.QName(element).localname
        if namespace == NS["camunda"]:
            if tag in camunda.LISTENER_TAGS:
                owner = _owner(element)
                problem(owner, f"{_sentence(describe(owner))} {camunda.listener_problem(element)}")
            elif tag == "inputOutput":
                owner = _owner(element)
                if any(len(p) or (p.text or "").strip() for p in element):
                    problem(
                        owner,
                        f"{_sentence(describe(owner))} has Camunda input/output mappings, which Tripflow "
                        "does not apply; every case variable is visible to every step, so remove them "
                        "or compute the values in a script task",
                    )
                else:
                    note(
                        owner,
                        f"{_sentence(describe(owner))} declares Camunda input/output parameters without "
                        "values; they are ignored",
                    )
            continue
        if namespace != NS["bpmn"]:
            continue
        if tag == "sequenceFlow":
            _check_sequence_flow(element, process, problem)
        elif tag in _FLOW_NODES and not element.get("id"):
            problem(element, f'A {_WORDS.get(tag, tag)} "{element.get("name") or ""}" has no id; give it one')
        if tag == "serviceTask":
            _check_service_task(element, handler_names, problem)
        elif tag == "sendTask" and any(
            element.get(f"{CAMUNDA}{a}") for a in ("class", "expression", "delegateExpression", "type")
        ):
            problem(
                element,
                f"{_sentence(describe(element))} is implemented in Java or a Camunda expression, "
                "which cannot run here",
            )
        elif tag == "scriptTask":
            _check_script_task(element, problem, note)
        elif tag == "businessRuleTask":
            _check_business_rule_task(element, refs, problem)
        elif tag == "callActivity":
            called = (element.get("calledElement") or "").strip()
            if not called:
                problem(element, f"{_sentence(describe(element))} names no process to call (calledElement)")
            elif "${" in called or "#{" in called:
                problem(
                    element,
                    f"{_sentence(describe(element))} chooses the process to call with the expression "
                    f"'{called}'; name the process id itself",
                )
            else:
                refs.called_processes.append((called, element))
        elif tag == "conditionExpression":
            _check_condition(element, problem)
        elif tag in ("timeDate", "timeDuration", "timeCycle"):
            _check_timer_text(element, problem)
        elif tag == "timerEventDefinition" and not any(
            isinstance(c.tag, str) and etree.QName(c).localname in ("timeDate", "timeDuration", "timeCycle")
            for c in element
        ):
            owner = element.getparent()
            problem(
                owner,
                f"{_sentence(describe(owner))} is a timer without a time; add a timeDate, timeDuration or "
                'timeCycle expression such as "PT2H"',
            )
        elif tag in ("dataStoreReference", "dataStore"):
            problem(
                element,
                f"{_sentence(describe(element))} is a BPMN data store, which Tripflow does not "
                "support; keep data in case variables or call a handler",
            )
        elif tag in ("messageEventDefinition", "receiveTask", "sendTask") and ":" in (
            element.get("messageRef") or ""
        ):
            owner = element.getparent() if tag == "messageEventDefinition" else element
            problem(
                owner,
                f"{_sentence(describe(owner))} refers to the message '{element.get('messageRef')}' with "
                "a namespace prefix, which SpiffWorkflow cannot resolve; refer to the message by its id",
            )
        elif tag == "userTask":
            _check_user_task(element, process_id, element.get("id") in in_lanes, roles, refs, problem, note)
        elif tag in ("loopCardinality", "completionCondition", "loopCondition"):
            _check_expression_text(element, element.getparent().getparent(), _WORDS.get(tag, tag), problem)
        for script_tag in ("preScript", "postScript"):
            for script in element.findall(f"{BPMN}extensionElements/{SPIFF}{script_tag}"):
                for message in check_script(script.text or ""):
                    problem(
                        element,
                        f"The {script_tag} of {describe(element)} would be refused by the script "
                        f"sandbox: {message}",
                    )
    return refs, problems


def _owner(element: etree._Element) -> etree._Element:
    """The BPMN element an extension belongs to."""
    owner = element.getparent()
    while owner is not None and etree.QName(owner).namespace != NS["bpmn"]:
        owner = owner.getparent()
    if owner is not None and etree.QName(owner).localname == "extensionElements":
        owner = owner.getparent()
    return owner if owner is not None else element


def _check_sequence_flow(
    element: etree._Element, process: etree._Element, problem: Callable[..., None]
) -> None:
    source, target = element.get("sourceRef"), element.get("targetRef")
    if not element.get("id"):
        problem(
            element,
            f"The sequence flow from '{source}' to '{target}' has no id; SpiffWorkflow would drop it "
            "silently and cases would skip the steps behind it. Give it an id",
        )
    if not source or not target:
        problem(
            element,
            f"{_sentence(describe(element))} does not connect two elements (sourceRef and targetRef "
            "are both needed)",
        )


def _check_service_task(
    element: etree._Element, handler_names: frozenset[str], problem: Callable[..., None]
) -> None:
    operator = element.find(f"{BPMN}extensionElements/{SPIFF}serviceTaskOperator")
    if operator is not None:
        name = operator.get("id")
        if name not in handler_names:
            known = ", ".join(sorted(handler_names)[:12]) or "none"
            problem(
                element,
                f"{_sentence(describe(element))} calls the handler '{name}', which Tripflow does not "
                f"have (handlers: {known})",
            )
        return
    java = next(
        (
            (a, element.get(f"{CAMUNDA}{a}"))
            for a in ("class", "expression", "delegateExpression", "type")
            if element.get(f"{CAMUNDA}{a}")
        ),
        None,
    )
    if java is not None:
        problem(
            element,
            f"{_sentence(describe(element))} is implemented by camunda:{java[0]} '{java[1]}', Java or "
            "a Camunda expression that cannot run here; bind it to a Tripflow handler with "
            "spiffworkflow:serviceTaskOperator",
        )
    elif element.find(f"{BPMN}extensionElements/{CAMUNDA}connector") is not None:
        problem(
            element,
            f"{_sentence(describe(element))} uses a Camunda connector, which cannot run here; bind it "
            "to a Tripflow handler with spiffworkflow:serviceTaskOperator",
        )
    else:
        problem(
            element,
            f"{_sentence(describe(element))} has no implementation, so a case would stop there; bind "
            "it to a Tripflow handler with spiffworkflow:serviceTaskOperator",
        )


def _check_script_task(
    element: etree._Element, problem: Callable[..., None], note: Callable[..., None]
) -> None:
    language = (element.get("scriptFormat") or "python").strip().lower()
    if language not in _PYTHON:
        if language.split("/")[-1] in _OTHER_LANGUAGES or "java" in language or "script" in language:
            problem(
                element,
                f"{_sentence(describe(element))} is written in '{language}'; Tripflow runs Python "
                "scripts only",
            )
            return
        note(
            element,
            f"{_sentence(describe(element))} names the script format '{language}', which is no language "
            "Tripflow knows; its script is run as Python",
        )
    if element.get(f"{CAMUNDA}resource"):
        problem(
            element,
            f"{_sentence(describe(element))} loads its script from the resource "
            f"'{element.get(f'{CAMUNDA}resource')}'; put the Python script in the model",
        )
        return
    script = element.find(f"{BPMN}script")
    if script is None or not (script.text or "").strip():
        problem(element, f"{_sentence(describe(element))} has no script")
        return
    for message in check_script(script.text or ""):
        problem(
            element, f"The script of {describe(element)} would be refused by the script sandbox: {message}"
        )


def _check_business_rule_task(
    element: etree._Element, refs: References, problem: Callable[..., None]
) -> None:
    spiff = element.findtext(f"{BPMN}extensionElements/{SPIFF}calledDecisionId")
    decision = (spiff or "").strip() or camunda.decision_ref(element)
    if any(element.get(f"{CAMUNDA}{a}") for a in ("class", "expression", "delegateExpression", "type")):
        problem(
            element,
            f"{_sentence(describe(element))} is implemented in Java or a Camunda expression, which "
            "cannot run here; point it at a DMN decision table",
        )
    elif not decision:
        problem(
            element,
            f"{_sentence(describe(element))} names no decision table; set "
            "spiffworkflow:calledDecisionId (or camunda:decisionRef) to a DMN decision id",
        )
    elif "${" in decision or "#{" in decision:
        problem(
            element,
            f"{_sentence(describe(element))} chooses its decision with the expression '{decision}'; "
            "name the decision id itself",
        )
    else:
        refs.decisions.append((decision, element))


def _check_user_task(
    element: etree._Element,
    process_id: str,
    in_lane: bool,
    roles: Any,
    refs: References,
    problem: Callable[..., None],
    note: Callable[..., None],
) -> None:
    spiff_form = False
    for prop in element.iter(f"{SPIFF}property"):
        if prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename") and prop.get("value"):
            refs.forms.append((prop.get("value") or "", element))
            spiff_form = True
    translated = camunda.read_user_task(element, roles, in_lane=in_lane)
    for message in translated.problems:
        problem(element, f"{_sentence(describe(element))}: {message}")
    if spiff_form and translated.form is not None:
        note(
            element,
            f"{_sentence(describe(element))} has both a JSON Schema form and camunda:formData; the JSON "
            "Schema form is used",
        )
        translated.form = translated.ui_form = None
    for message in translated.notes:
        note(element, f"{_sentence(describe(element))}: {message}")
    if translated.is_camunda and element.get("id"):
        refs.camunda_tasks[element.get("id") or ""] = translated


def _check_condition(element: etree._Element, problem: Callable[..., None]) -> None:
    owner = element.getparent()
    language = (element.get("language") or "").strip().lower()
    if language and language not in _PYTHON:
        problem(
            owner,
            f"The condition of {describe(owner)} is written in '{language}'; write it in Python, for "
            "example approved == True",
        )
        return
    _check_expression_text(element, owner, "condition", problem)


def _check_expression_text(
    element: etree._Element, owner: etree._Element, what: str, problem: Callable[..., None]
) -> None:
    text = (element.text or "").strip()
    if not text:
        problem(owner, f"The {what} of {describe(owner)} is empty")
    elif "${" in text or "#{" in text:
        problem(
            owner,
            f"The {what} '{_short(text)}' of {describe(owner)} is in the Camunda expression language; "
            "write it in Python, for example approved == True",
        )
    else:
        for message in check_expression(text):
            problem(
                owner,
                f"The {what} '{_short(text)}' of {describe(owner)} is not a Python expression the "
                f"sandbox accepts: {message}",
            )


def _check_timer_text(element: etree._Element, problem: Callable[..., None]) -> None:
    owner = element.getparent().getparent()
    text = (element.text or "").strip()
    if _ISO_LITERAL.match(text):
        problem(
            owner,
            f'The timer expression {text} of {describe(owner)} must be quoted ("{text}"): timer '
            "expressions are Python, and a bare ISO duration or date is not",
        )
    else:
        _check_expression_text(element, owner, "timer expression", problem)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


# --- DMN ---------------------------------------------------------------------------------------


def is_dmn(tree: etree._ElementTree) -> bool:
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    return etree.QName(root).localname == "definitions" and namespace.startswith(DMN_PREFIXES)


def check_dmn_tree(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    """Decision tables whose expressions the sandbox would refuse, or whose semantics SpiffWorkflow lacks.

    SpiffWorkflow evaluates an input entry as ``(input) == (entry)`` when the entry is an
    expression on its own, as ``input <entry>`` when it starts with an operator, and replaces
    ``?`` by the input; each composed expression is checked as it would run.
    """
    problems: list[ModelProblem] = []
    root = tree.getroot()
    namespace = etree.QName(root).namespace
    dmn = f"{{{namespace}}}"

    def problem(element: etree._Element, message: str) -> None:
        problems.append(ModelProblem(file_name, message, element.get("id"), element.sourceline))

    decisions = root.findall(f"{dmn}decision")
    if not decisions:
        problems.append(ModelProblem(file_name, "The file contains no decision"))
    for decision in decisions:
        label = f'decision "{decision.get("name") or decision.get("id")}" ({decision.get("id")})'
        tables = decision.findall(f"{dmn}decisionTable")
        if not tables:
            problem(decision, f"The {label} is not a decision table; Tripflow runs DMN decision tables only")
            continue
        for table in tables:
            _check_table(table, dmn, label, problem)
    return problems


def _check_table(table: etree._Element, dmn: str, label: str, problem: Callable[..., None]) -> None:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in _HIT_POLICIES:
        problem(
            table,
            f"The {label} uses the hit policy {policy}, which SpiffWorkflow does not run; use UNIQUE, "
            "FIRST or COLLECT",
        )
    if table.get("aggregation"):
        problem(
            table,
            f"The {label} aggregates its results ({table.get('aggregation')}), which SpiffWorkflow does "
            "not do; use COLLECT without aggregation and sum in a script task",
        )
    inputs = table.findall(f"{dmn}input")
    outputs = table.findall(f"{dmn}output")
    input_texts: list[str] = []
    for column in inputs:
        text = (column.findtext(f"{dmn}inputExpression/{dmn}text") or "").strip()
        if not text and (column.get("label") or "").isidentifier():
            text = column.get("label") or ""  # SpiffWorkflow reads the variable named like the label then
        input_texts.append(text)
        if not text:
            problem(
                column,
                f'Input column "{column.get("label") or column.get("id")}" of the {label} has no '
                "input expression; give it one, such as the name of a case variable",
            )
            continue
        for message in check_expression(text):
            problem(
                column,
                f"The input expression '{_short(text)}' of the {label} is not a Python expression the "
                f"sandbox accepts: {message}",
            )
    for number, rule in enumerate(table.findall(f"{dmn}rule"), start=1):
        entries = rule.findall(f"{dmn}inputEntry")
        results = rule.findall(f"{dmn}outputEntry")
        if len(entries) != len(inputs) or len(results) != len(outputs):
            problem(
                rule,
                f"Rule {number} of the {label} has {len(entries)} input and {len(results)} output entries "
                f"for {len(inputs)} input and {len(outputs)} output columns",
            )
            continue
        for entry, input_text in zip(entries, input_texts, strict=True):
            text = (entry.findtext(f"{dmn}text") or "").strip()
            if text in ("", "-") or not input_text:
                continue
            for message in _entry_problems(input_text, text):
                problem(entry, f"Input entry '{_short(text)}' of rule {number} in the {label} {message}")
        for entry in results:
            text = (entry.findtext(f"{dmn}text") or "").strip()
            if not text:
                continue
            for message in check_expression(text):
                problem(
                    entry,
                    f"Output entry '{_short(text)}' of rule {number} in the {label} is not a Python "
                    f"expression the sandbox accepts: {message}",
                )


def _entry_problems(input_text: str, entry: str) -> list[str]:
    """How SpiffWorkflow's DMN engine would compose the entry with its input, checked by the sandbox."""
    match = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", entry)
    if "dmninputexpr" in match:
        composed = match
    else:
        try:
            ast.parse(match)
            composed = f"({input_text}) == ({match})"
        except SyntaxError:
            composed = f"{input_text} {match}"
    try:
        ast.parse(composed, mode="eval")
    except SyntaxError:
        return [
            'is not Python (DMN expressions here are Python, not FEEL): write for example "A", > 10000, '
            "or 5 <= ? <= 8"
        ]
    return [f"would be refused by the script sandbox: {m}" for m in check_expression(composed)]


def check_forms(forms: dict[str, bytes]) -> list[ModelProblem]:
    problems = []
    for name, content in forms.items():
        try:
            schema = json.loads(content)
        except ValueError as exc:
            problems.append(ModelProblem(name, f"The form file is not valid JSON: {exc}"))
            continue
        except RecursionError:  # "[[[[…" a hundred thousand deep
            problems.append(ModelProblem(name, "The form file is nested too deeply"))
            continue
        if not isinstance(schema, dict):
            problems.append(ModelProblem(name, "A form file must hold a JSON object"))
            continue
        if is_ui_schema(name):
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(ModelProblem(name, f"The form is not a valid JSON Schema: {exc.message}"))
        except RecursionError:
            problems.append(ModelProblem(name, "The form file is nested too deeply"))
    return problems


def is_ui_schema(name: str) -> bool:
    return name.endswith(("uischema.json", "ui.json", ".camunda-ui.json"))
