"""The only way Tripflow reads BPMN and DMN: a hardened XML parse.

No DTD, no entities, no network, no huge trees. SpiffWorkflow's own ``add_bpmn_str`` and
``add_bpmn_file`` use lxml's default parser and are never called; the trees parsed here are
handed to it with ``add_bpmn_xml`` / ``add_dmn_xml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}


NO_DTD = "the file declares a DTD or entities, which Tripflow does not accept"


@dataclass(frozen=True)
class XmlProblem(Exception):
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_model_xml(content: bytes) -> etree._ElementTree:
    """Parse one uploaded model file; raises ``XmlProblem`` with a sentence and a line number."""
    if not content.strip():
        raise XmlProblem("the file is empty")
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise XmlProblem(NO_DTD)  # the quick refusal, before any parse, for the common UTF-8 case
    try:
        root = etree.fromstring(content, parser=_hardened_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise XmlProblem(f"the file is not well-formed XML: {exc.msg}", line) from None
    tree = root.getroottree()
    # the byte check above misses a DTD in UTF-16 or UTF-32: the parsed document is what decides
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise XmlProblem(NO_DTD)
    return tree
