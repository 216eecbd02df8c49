"""The only way Tripflow reads BPMN and DMN: a hardened XML parse.

No DTD, no entities, no network, no huge trees. SpiffWorkflow's own ``add_bpmn_str`` and
``add_bpmn_file`` use lxml's default parser and are never called; the trees parsed here are
handed to it with ``add_bpmn_xml`` / ``add_dmn_xml``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_PREFIXES = ("https://www.omg.org/spec/DMN/", "http://www.omg.org/spec/DMN/")
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
BPMN = f"{{{BPMN_NS}}}"  # Clark prefixes of tags: f"{BPMN}userTask"
SPIFF = f"{{{SPIFF_NS}}}"
CAMUNDA = f"{{{CAMUNDA_NS}}}"
# the local names of BPMN flow nodes: what a diagram draws as a shape and a token can stand on
FLOW_NODES = frozenset(
    {
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
)


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


_TREES: dict[str, etree._ElementTree] = {}
_TREES_LOCK = threading.Lock()


def cached_tree(sha: str, content: Callable[[], bytes]) -> etree._ElementTree:
    """A deployed file's parsed tree, by content hash: each is parsed once per server process.

    Deployed files never change and nothing edits the trees, so deploy checks and the heatmap share
    them; ``content`` is called only when the file has not been parsed yet.
    """
    with _TREES_LOCK:
        tree = _TREES.get(sha)
        if tree is None:
            if len(_TREES) > 2048:
                _TREES.clear()
            tree = _TREES[sha] = parse_model_xml(content())
        return tree


def file_kind(name: str) -> str | None:
    """``bpmn``, ``dmn``, ``form``, ``xml`` (BPMN or DMN, told apart by content) or None."""
    lower = name.lower()
    if lower.endswith((".bpmn", ".bpmn20.xml", ".bpmn2")):
        return "bpmn"
    if lower.endswith((".dmn", ".dmn11.xml", ".dmn.xml")):
        return "dmn"
    if lower.endswith(".json"):
        return "form"
    if lower.endswith(".xml"):
        return "xml"
    return None


def is_dmn(tree: etree._ElementTree) -> bool:
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    return etree.QName(root).localname == "definitions" and namespace.startswith(DMN_PREFIXES)


def model_kind(name: str, tree: etree._ElementTree) -> str:
    """``bpmn`` or ``dmn``: by the file name, else (a plain ``.xml``) by the root element."""
    kind = file_kind(name)
    if kind == "xml":
        return "dmn" if is_dmn(tree) else "bpmn"
    return kind or "bpmn"


def find_process(tree: etree._ElementTree, process_id: str) -> etree._Element | None:
    return next((p for p in tree.getroot().iter(f"{BPMN}process") if p.get("id") == process_id), None)
