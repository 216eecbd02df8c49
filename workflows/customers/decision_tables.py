"""Reading a deployed DMN table's values outside a case: the points terms, the benefit texts.

The process owner edits the DMN tables in ``bpmn/`` and deploys them; the engine evaluates them in
business rule tasks. Some rules are also needed where no task runs (the points a contract may
redeem, the benefit text on a card), so this module reads the newest deployed copy of a decision
and picks the first rule whose input cells match. It understands the cells these tables use: empty
or ``-`` (any), a quoted literal or a comma-separated list of them, and ``<``/``<=``/``>``/``>=``/
``==`` a number. Anything else is refused rather than guessed (``UnreadableRule``).
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from workflows.deploy.queries import latest_versions
from workflows.engine.xml import DMN_PREFIXES, parse_model_xml
from workflows.models import ModelFile

COMPARISONS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}


class UnreadableRule(ValueError):
    """A cell this reader does not understand: the caller says so instead of guessing."""


def _decision(session: Session, decision_id: str) -> etree._Element | None:
    """The decision element in the newest deployment that carries it, or None when none does."""
    newest = sorted(latest_versions(session).values(), key=lambda v: (v.deployed_at, v.id), reverse=True)
    seen: set[str] = set()
    for version in newest:
        for name, sha in sorted(version.manifest.items()):
            if not name.lower().endswith(".dmn") or sha in seen:
                continue
            seen.add(sha)
            stored = session.get(ModelFile, sha)
            if stored is None:
                continue
            root = parse_model_xml(stored.content).getroot()
            for element in root.iter():
                if (
                    isinstance(element.tag, str)
                    and etree.QName(element).localname == "decision"
                    and (etree.QName(element).namespace or "").startswith(DMN_PREFIXES)
                    and element.get("id") == decision_id
                ):
                    return element
    return None


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(element: etree._Element) -> str:
    found = _children(element, "text")
    return (found[0].text or "").strip() if found else ""


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise UnreadableRule(f"not a literal: {text!r}") from None


def _matches(cell: str, value: Any) -> bool:
    if cell in ("", "-"):
        return True
    for symbol in ("<=", ">=", "==", "<", ">"):
        if cell.startswith(symbol):
            bound = _literal(cell[len(symbol) :].strip())
            try:
                return bool(COMPARISONS[symbol](float(value), float(bound)))
            except (TypeError, ValueError):
                return False
    options = _literal(cell)
    options = options if isinstance(options, tuple) else (options,)
    return value in options


def decide(session: Session, decision_id: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The outputs of the first matching rule (by output name); None when the decision is not deployed
    or no rule matches. ``inputs`` are keyed by the input expressions' text (``customer_tier``)."""
    decision = _decision(session, decision_id)
    if decision is None:
        return None
    [table] = _children(decision, "decisionTable")
    columns = [_text(_children(i, "inputExpression")[0]) for i in _children(table, "input")]
    outputs = [o.get("name") or "" for o in _children(table, "output")]
    for rule in _children(table, "rule"):
        cells = [_text(e) for e in _children(rule, "inputEntry")]
        if all(_matches(cell, inputs.get(column)) for cell, column in zip(cells, columns, strict=False)):
            values = [_text(e) for e in _children(rule, "outputEntry")]
            return {name: _literal(value) for name, value in zip(outputs, values, strict=False)}
    return None
