"""Checks of DMN decision tables: hit policies SpiffWorkflow lacks, and entries the sandbox would refuse."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from lxml import etree

from workflows.deploy.problems import ModelProblem, short
from workflows.engine.sandbox import check_expression

HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")


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
    if policy not in HIT_POLICIES:
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
                f"The input expression '{short(text)}' of the {label} is not a Python expression the "
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
                problem(entry, f"Input entry '{short(text)}' of rule {number} in the {label} {message}")
        for entry in results:
            text = (entry.findtext(f"{dmn}text") or "").strip()
            if not text:
                continue
            for message in check_expression(text):
                problem(
                    entry,
                    f"Output entry '{short(text)}' of rule {number} in the {label} is not a Python "
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
