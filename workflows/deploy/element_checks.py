"""Checks of single BPMN elements: sequence flows, service, script, business rule and user tasks.

Each takes the element and a ``problem(element, message)`` callback from ``check_bpmn_tree``, so
every message names the element it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from workflows.deploy import camunda
from workflows.deploy.expression_checks import PYTHON
from workflows.deploy.problems import References, describe, sentence
from workflows.engine.sandbox import check_script
from workflows.engine.xml import BPMN, CAMUNDA, NS, SPIFF

OTHER_LANGUAGES = {
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


def owner_of(element: etree._Element) -> etree._Element:
    """The BPMN element an extension belongs to."""
    owner = element.getparent()
    while owner is not None and etree.QName(owner).namespace != NS["bpmn"]:
        owner = owner.getparent()
    if owner is not None and etree.QName(owner).localname == "extensionElements":
        owner = owner.getparent()
    return owner if owner is not None else element


def check_sequence_flow(
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
            f"{sentence(describe(element))} does not connect two elements (sourceRef and targetRef "
            "are both needed)",
        )


def check_service_task(
    element: etree._Element, handler_names: frozenset[str], problem: Callable[..., None]
) -> None:
    operator = element.find(f"{BPMN}extensionElements/{SPIFF}serviceTaskOperator")
    if operator is not None:
        name = operator.get("id")
        if name not in handler_names:
            known = ", ".join(sorted(handler_names)[:12]) or "none"
            problem(
                element,
                f"{sentence(describe(element))} calls the handler '{name}', which Tripflow does not "
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
            f"{sentence(describe(element))} is implemented by camunda:{java[0]} '{java[1]}', Java or "
            "a Camunda expression that cannot run here; bind it to a Tripflow handler with "
            "spiffworkflow:serviceTaskOperator",
        )
    elif element.find(f"{BPMN}extensionElements/{CAMUNDA}connector") is not None:
        problem(
            element,
            f"{sentence(describe(element))} uses a Camunda connector, which cannot run here; bind it "
            "to a Tripflow handler with spiffworkflow:serviceTaskOperator",
        )
    else:
        problem(
            element,
            f"{sentence(describe(element))} has no implementation, so a case would stop there; bind "
            "it to a Tripflow handler with spiffworkflow:serviceTaskOperator",
        )


def check_script_task(
    element: etree._Element, problem: Callable[..., None], note: Callable[..., None]
) -> None:
    language = (element.get("scriptFormat") or "python").strip().lower()
    if language not in PYTHON:
        if language.split("/")[-1] in OTHER_LANGUAGES or "java" in language or "script" in language:
            problem(
                element,
                f"{sentence(describe(element))} is written in '{language}'; Tripflow runs Python "
                "scripts only",
            )
            return
        note(
            element,
            f"{sentence(describe(element))} names the script format '{language}', which is no language "
            "Tripflow knows; its script is run as Python",
        )
    if element.get(f"{CAMUNDA}resource"):
        problem(
            element,
            f"{sentence(describe(element))} loads its script from the resource "
            f"'{element.get(f'{CAMUNDA}resource')}'; put the Python script in the model",
        )
        return
    script = element.find(f"{BPMN}script")
    if script is None or not (script.text or "").strip():
        problem(element, f"{sentence(describe(element))} has no script")
        return
    for message in check_script(script.text or ""):
        problem(
            element, f"The script of {describe(element)} would be refused by the script sandbox: {message}"
        )


def check_business_rule_task(element: etree._Element, refs: References, problem: Callable[..., None]) -> None:
    spiff = element.findtext(f"{BPMN}extensionElements/{SPIFF}calledDecisionId")
    decision = (spiff or "").strip() or camunda.decision_ref(element)
    if any(element.get(f"{CAMUNDA}{a}") for a in ("class", "expression", "delegateExpression", "type")):
        problem(
            element,
            f"{sentence(describe(element))} is implemented in Java or a Camunda expression, which "
            "cannot run here; point it at a DMN decision table",
        )
    elif not decision:
        problem(
            element,
            f"{sentence(describe(element))} names no decision table; set "
            "spiffworkflow:calledDecisionId (or camunda:decisionRef) to a DMN decision id",
        )
    elif "${" in decision or "#{" in decision:
        problem(
            element,
            f"{sentence(describe(element))} chooses its decision with the expression '{decision}'; "
            "name the decision id itself",
        )
    else:
        refs.decisions.append((decision, element))


def check_user_task(
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
        problem(element, f"{sentence(describe(element))}: {message}")
    if spiff_form and translated.form is not None:
        note(
            element,
            f"{sentence(describe(element))} has both a JSON Schema form and camunda:formData; the JSON "
            "Schema form is used",
        )
        translated.form = translated.ui_form = None
    for message in translated.notes:
        note(element, f"{sentence(describe(element))}: {message}")
    if translated.is_camunda and element.get("id"):
        refs.camunda_tasks[element.get("id") or ""] = translated
