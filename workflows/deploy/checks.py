"""Checks SpiffWorkflow does not make: the traps that would deploy silently and then misbehave.

This module walks a BPMN file and one process in it, and collects what the process refers to
(called processes, decisions, forms, Camunda user tasks) for the planner to resolve; the checks of
single elements and of expressions live in ``element_checks`` and ``expression_checks``, DMN and
forms in ``dmn_checks`` and ``form_checks``. Scripts, conditions, timers and DMN entries are
refused exactly where the sandbox would refuse them when a case runs.
"""

from __future__ import annotations

from lxml import etree

from workflows.deploy import camunda
from workflows.deploy.element_checks import (
    check_business_rule_task,
    check_script_task,
    check_sequence_flow,
    check_service_task,
    check_user_task,
    owner_of,
)
from workflows.deploy.expression_checks import check_condition, check_expression_text, check_timer_text
from workflows.deploy.problems import (
    FLOW_NODES,
    WORDS,
    ModelProblem,
    References,
    describe,
    executable_processes,
    has_flow_nodes,
    sentence,
)
from workflows.deploy.reference_checks import check_references
from workflows.engine.sandbox import check_script
from workflows.engine.xml import BPMN, CAMUNDA, NS, SPIFF, find_process
from workflows.permissions import LANE_ROLES


def check_definitions(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    """Whole-file problems of a BPMN file: no process, processes that would be skipped, duplicate ids,
    broken references."""
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
                f'{sentence(describe(process))} is marked isExecutable="{value}", so SpiffWorkflow would '
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
                f"{sentence(describe(store))} is a BPMN data store, which Tripflow does not support; keep "
                "data in case variables or call a handler",
                store.get("id"),
                store.sourceline,
            )
        )
    problems.extend(check_references(file_name, tree))
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
        problem(process, f"{sentence(describe(process))} has no start event, so a case could not start")

    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        tag = etree.QName(element).localname
        if namespace == NS["camunda"]:
            if tag in camunda.LISTENER_TAGS:
                owner = owner_of(element)
                problem(owner, f"{sentence(describe(owner))} {camunda.listener_problem(element)}")
            elif tag == "inputOutput":
                owner = owner_of(element)
                if any(len(p) or (p.text or "").strip() for p in element):
                    problem(
                        owner,
                        f"{sentence(describe(owner))} has Camunda input/output mappings, which Tripflow "
                        "does not apply; every case variable is visible to every step, so remove them "
                        "or compute the values in a script task",
                    )
                else:
                    note(
                        owner,
                        f"{sentence(describe(owner))} declares Camunda input/output parameters without "
                        "values; they are ignored",
                    )
            continue
        if namespace != NS["bpmn"]:
            continue
        if tag == "sequenceFlow":
            check_sequence_flow(element, process, problem)
        elif tag in FLOW_NODES and not element.get("id"):
            problem(element, f'A {WORDS.get(tag, tag)} "{element.get("name") or ""}" has no id; give it one')
        if tag == "serviceTask":
            check_service_task(element, handler_names, problem)
        elif tag == "sendTask" and any(
            element.get(f"{CAMUNDA}{a}") for a in ("class", "expression", "delegateExpression", "type")
        ):
            problem(
                element,
                f"{sentence(describe(element))} is implemented in Java or a Camunda expression, "
                "which cannot run here",
            )
        elif tag == "scriptTask":
            check_script_task(element, problem, note)
        elif tag == "businessRuleTask":
            check_business_rule_task(element, refs, problem)
        elif tag == "callActivity":
            called = (element.get("calledElement") or "").strip()
            if not called:
                problem(element, f"{sentence(describe(element))} names no process to call (calledElement)")
            elif "${" in called or "#{" in called:
                problem(
                    element,
                    f"{sentence(describe(element))} chooses the process to call with the expression "
                    f"'{called}'; name the process id itself",
                )
            else:
                refs.called_processes.append((called, element))
        elif tag == "conditionExpression":
            check_condition(element, problem)
        elif tag in ("timeDate", "timeDuration", "timeCycle"):
            check_timer_text(element, problem)
        elif tag == "timerEventDefinition" and not any(
            isinstance(c.tag, str) and etree.QName(c).localname in ("timeDate", "timeDuration", "timeCycle")
            for c in element
        ):
            owner = element.getparent()
            problem(
                owner,
                f"{sentence(describe(owner))} is a timer without a time; add a timeDate, timeDuration or "
                'timeCycle expression such as "PT2H"',
            )
        elif tag in ("dataStoreReference", "dataStore"):
            problem(
                element,
                f"{sentence(describe(element))} is a BPMN data store, which Tripflow does not "
                "support; keep data in case variables or call a handler",
            )
        elif tag in ("messageEventDefinition", "receiveTask", "sendTask") and ":" in (
            element.get("messageRef") or ""
        ):
            owner = element.getparent() if tag == "messageEventDefinition" else element
            problem(
                owner,
                f"{sentence(describe(owner))} refers to the message '{element.get('messageRef')}' with "
                "a namespace prefix, which SpiffWorkflow cannot resolve; refer to the message by its id",
            )
        elif tag == "userTask":
            check_user_task(element, process_id, element.get("id") in in_lanes, roles, refs, problem, note)
        elif tag in ("loopCardinality", "completionCondition", "loopCondition"):
            check_expression_text(element, element.getparent().getparent(), WORDS.get(tag, tag), problem)
        for script_tag in ("preScript", "postScript"):
            for script in element.findall(f"{BPMN}extensionElements/{SPIFF}{script_tag}"):
                for message in check_script(script.text or ""):
                    problem(
                        element,
                        f"The {script_tag} of {describe(element)} would be refused by the script "
                        f"sandbox: {message}",
                    )
    return refs, problems
