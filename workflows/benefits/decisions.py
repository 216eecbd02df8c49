"""The tier benefit rules, read from the DMN table ``benefit_rules.dmn`` the process owner edits.

The tables hold plain values (a tier, ``True``, a number) and simple tests (``"A", "B"``,
``>= 3``); they are read here without running any code, so a cell outside that shape is a clear
error instead of a script. The deployed copy wins; before any deployment, the file in ``bpmn/``.
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine.xml import parse_model_xml
from workflows.errors import Invalid
from workflows.models import ModelFile, ProcessVersion

RULES_FILE = "benefit_rules.dmn"
BUNDLED = Path(__file__).resolve().parents[2] / "bpmn" / RULES_FILE
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
_COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}


def _rules_content(session: Session) -> bytes:
    versions = session.scalars(select(ProcessVersion).order_by(ProcessVersion.deployed_at.desc()))
    for version in versions:
        sha = (version.manifest or {}).get(RULES_FILE)
        if sha:
            stored = session.get(ModelFile, sha)
            if stored is not None:
                return stored.content
    return BUNDLED.read_bytes()


def _literal(text: str, decision: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise Invalid(
            f"the rule table {decision} holds a cell that is not a plain value",
            [{"field": decision, "message": f"{text!r} is not a plain value"}],
        ) from None


def _matches(cell: str, value: Any, decision: str) -> bool:
    cell = cell.strip()
    if cell in ("", "-"):
        return True
    for symbol, compare in _COMPARE.items():
        if cell.startswith(symbol):
            try:
                return bool(compare(value, _literal(cell[len(symbol) :].strip(), decision)))
            except TypeError:
                return False
    return value in _literal(f"({cell},)", decision)


def decide(session: Session, decision: str, **inputs: Any) -> dict[str, Any]:
    """The outputs of the first rule of ``decision`` that matches ``inputs`` (``{}`` when none does)."""
    root = parse_model_xml(_rules_content(session)).getroot()
    node = root.find(f"{DMN}decision[@id='{decision}']")
    if node is None:
        raise LookupError(f"{RULES_FILE} has no decision {decision}")
    table = node.find(f"{DMN}decisionTable")
    names = [i.findtext(f"{DMN}inputExpression/{DMN}text", "").strip() for i in table.findall(f"{DMN}input")]
    outputs = [o.get("name") for o in table.findall(f"{DMN}output")]
    for rule in table.findall(f"{DMN}rule"):
        cells = [e.findtext(f"{DMN}text", "") for e in rule.findall(f"{DMN}inputEntry")]
        if all(_matches(cell, inputs.get(name), decision) for name, cell in zip(names, cells, strict=False)):
            values = [e.findtext(f"{DMN}text", "") for e in rule.findall(f"{DMN}outputEntry")]
            return {name: _literal(v.strip(), decision) for name, v in zip(outputs, values, strict=False)}
    return {}


def _benefits(session: Session, member_tier: str, peak_season: bool) -> dict[str, Any]:
    return decide(session, "benefit_rules", member_tier=member_tier, peak_season=peak_season)


def booking_days_early(session: Session, member_tier: str, peak_season: bool) -> int:
    return int(_benefits(session, member_tier, peak_season).get("days_early") or 0)


def waitlist_rank(session: Session, member_tier: str, peak_season: bool) -> int:
    return int(_benefits(session, member_tier, peak_season).get("waitlist_rank") or 9)


def event_lead_days(session: Session, member_tier: str) -> int:
    return int(_benefits(session, member_tier, False).get("invitation_lead_days") or 0)
