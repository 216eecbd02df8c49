"""Checks of the Python expressions in a model: conditions, loop expressions and timers.

An expression is refused here exactly where the sandbox would refuse it when a case runs; a
Camunda ``${...}`` expression or a bare ISO timer gets a sentence saying how to write it instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from workflows.deploy import juel
from workflows.deploy.problems import describe, short
from workflows.engine.sandbox import check_expression

ISO_LITERAL = re.compile(
    r"^\s*(R\d*/)?(P(\d|T)[\dYMWDTHS.]*|\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*)(/P[\dYMWDTHS.]*)?\s*$"
)
PYTHON = ("python", "python3", "text/python", "text/x-python", "application/x-python")


def check_condition(element: etree._Element, problem: Callable[..., None]) -> None:
    owner = element.getparent()
    language = (element.get("language") or "").strip().lower()
    if language and language not in PYTHON:
        problem(
            owner,
            f"The condition of {describe(owner)} is written in '{language}'; write it in Python, for "
            "example approved == True",
        )
        return
    check_expression_text(element, owner, "condition", problem)


def check_expression_text(
    element: etree._Element, owner: etree._Element, what: str, problem: Callable[..., None]
) -> None:
    text = (element.text or "").strip()
    if not text:
        problem(owner, f"The {what} of {describe(owner)} is empty")
    elif juel.is_juel(text):
        try:
            juel.translate(text)
            why = ""
        except juel.JuelError as exc:
            why = f" Tripflow translates the common forms, but not this one: {exc}."
        problem(
            owner,
            f"The {what} '{short(text)}' of {describe(owner)} is in the Camunda expression language.{why} "
            "Write it in Python, for example approved == True",
        )
    else:
        for message in check_expression(text):
            problem(
                owner,
                f"The {what} '{short(text)}' of {describe(owner)} is not a Python expression the "
                f"sandbox accepts: {message}",
            )


def check_timer_text(element: etree._Element, problem: Callable[..., None]) -> None:
    owner = element.getparent().getparent()
    text = (element.text or "").strip()
    if ISO_LITERAL.match(text):
        problem(
            owner,
            f'The timer expression {text} of {describe(owner)} must be quoted ("{text}"): timer '
            "expressions are Python, and a bare ISO duration or date is not",
        )
    else:
        check_expression_text(element, owner, "timer expression", problem)
