"""The canonical form of a model file: what it means, not the bytes a modeler happened to write.

A modeler re-serialises the XML on every save (attribute order, indentation, namespace prefixes,
its own version in ``exporterVersion``), so comparing bytes would make a version per save. Two files
are the same model when their elements, attributes and text are: here every element becomes its
namespace-qualified name, its attributes sorted (``xsi:type`` values resolved to their namespace),
its stripped text and its children, with comments and processing instructions dropped. The diagram
layout (BPMN DI, DMN DI) is kept apart: ``layout_of`` hashes it separately, so a deploy can tell
"only the shapes moved" from "nothing changed" and from a real change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lxml import etree

from workflows.engine.xml import file_kind, parse_model_xml

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LAYOUT_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",  # bpmndi
    "http://www.omg.org/spec/DMN/20180521/DMNDI/",  # dmndi 1.2
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",  # dmndi 1.3
    "http://www.omg.org/spec/DMN/20151101/DMNDI/",
)
TOOL_ATTRIBUTES = {"exporter", "exporterVersion"}  # which modeler wrote the file, not what it means


def canonical_hash(name: str, content: bytes) -> str:
    """The hash of the file's meaning (layout excluded); the bytes' hash for what is not a model."""
    return hashlib.sha256(_canonical(name, content)[0]).hexdigest()


def layout_hash(name: str, content: bytes) -> str:
    """The hash of the file's diagram layout alone ("" for a file without one)."""
    return hashlib.sha256(_canonical(name, content)[1]).hexdigest()


def _canonical(name: str, content: bytes) -> tuple[bytes, bytes]:
    kind = file_kind(name)
    if kind == "form":
        try:
            return json.dumps(json.loads(content), sort_keys=True, separators=(",", ":")).encode(), b""
        except ValueError:
            return content, b""
    if kind not in ("bpmn", "dmn", "xml"):
        return content, b""
    try:
        root = parse_model_xml(content).getroot()
    except Exception:  # noqa: BLE001 - an unreadable file is compared by its bytes (the checks refuse it)
        return content, b""
    layout: list[Any] = []
    model = _element(root, layout, is_root=True)
    return (
        json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode(),
        json.dumps(layout, separators=(",", ":"), ensure_ascii=False).encode(),
    )


def _element(element: Any, layout: list[Any] | None, *, is_root: bool = False) -> list[Any]:
    """``[tag, sorted attributes, text, children]``; layout elements go to ``layout`` (None: keep them)."""
    attributes = []
    for key, value in element.attrib.items():
        if is_root and key in TOOL_ATTRIBUTES:
            continue
        if key == XSI_TYPE:
            value = _resolve_qname(element, value)
        attributes.append([key, value])
    children = []
    for child in element:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue
        if layout is not None and etree.QName(child).namespace in LAYOUT_NAMESPACES:
            layout.append(_element(child, None))
            continue
        children.append(_element(child, layout))
    return [element.tag, sorted(attributes), (element.text or "").strip(), children]


def _resolve_qname(element: Any, value: str) -> str:
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else value
