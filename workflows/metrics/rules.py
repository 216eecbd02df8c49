"""The thresholds the figures read, taken from the deployed DMN tables the process owner edits.

``customer_value_rules`` (bpmn/customer_value.dmn) and ``service_figure_rules``
(bpmn/service_figures.dmn) are one-rule tables whose outputs are numbers or texts. The processes
read them through a business rule task; the figures read the same table here, from the newest
deployed version that carries it, so a page and a process never disagree on a threshold.
"""

from __future__ import annotations

import ast
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine.xml import parse_model_xml
from workflows.errors import NotFound
from workflows.models import ModelFile, ProcessVersion

CUSTOMER_VALUE = "customer_value_rules"
SERVICE_FIGURES = "service_figure_rules"


def decision_outputs(session: Session, decision_id: str) -> dict[str, Any]:
    """``{output name: value}`` of the first rule of a deployed one-rule decision table.

    Raises ``NotFound`` when no deployed version carries the decision.
    """
    versions = session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc()))
    seen: set[str] = set()
    for version in versions:
        for name, sha in version.manifest.items():
            if not name.lower().endswith(".dmn") or sha in seen:
                continue
            seen.add(sha)
            model = session.get(ModelFile, sha)
            if model is None:
                continue
            found = _outputs(model.content, decision_id)
            if found is not None:
                return found
    raise NotFound(f"no deployed DMN table holds the decision {decision_id}")


def _outputs(content: bytes, decision_id: str) -> dict[str, Any] | None:
    root = parse_model_xml(content).getroot()
    for decision in root.iter():
        if not isinstance(decision.tag, str) or etree.QName(decision).localname != "decision":
            continue
        if decision.get("id") != decision_id:
            continue
        table = next(
            e for e in decision if isinstance(e.tag, str) and etree.QName(e).localname == "decisionTable"
        )
        names = [
            e.get("name") for e in table if isinstance(e.tag, str) and etree.QName(e).localname == "output"
        ]
        rule = next(e for e in table if isinstance(e.tag, str) and etree.QName(e).localname == "rule")
        entries = [e for e in rule if isinstance(e.tag, str) and etree.QName(e).localname == "outputEntry"]
        values = {}
        for name, entry in zip(names, entries, strict=False):
            text = "".join(entry.itertext()).strip()
            values[str(name)] = ast.literal_eval(text) if text else None
        return values
    return None
