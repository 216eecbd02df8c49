"""Camunda 7 and Activiti models rewritten into what Tripflow runs, with a note for every change.

Camunda 7 Community Edition is at its end of life, and agencies bring their models along. What has
one clear meaning is translated in the uploaded XML before any check sees it, and the translated
file is what gets stored and run:

- ``${...}`` JUEL conditions, timers and loop expressions become Python (``juel``);
- bare ISO timer literals (``PT5M``) become quoted strings, as timer expressions are Python;
- a sequence flow without an id gets a generated one (SpiffWorkflow would drop it silently);
- ``camunda:asyncBefore``, ``asyncAfter`` and ``exclusive`` are dropped: each Tripflow step is
  already its own transaction;
- ``tns:id`` references into the file's own namespace name the id;
- ``activiti:`` attributes are read as their ``camunda:`` twins;
- FEEL simple unary tests of DMN 1.1–1.3 tables become Python entries (``feel``), and Camunda 8
  style ``=fraud`` conditions become Python (``feel.expression``);
- ``camunda:collection`` without a cardinality is the multi-instance input collection;
- in files made with a Camunda modeler, ``print()`` calls in Python scripts are removed, since
  nobody reads a server's console (``scripts``).

What cannot be translated is left as it is, so the checks refuse it naming the element.
"""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from workflows.deploy import feel, juel, scripts
from workflows.deploy.problems import ModelProblem, describe, executable_processes, short
from workflows.engine.xml import CAMUNDA, NS, is_dmn

ACTIVITI_NS = "http://activiti.org/bpmn"
ACTIVITI = f"{{{ACTIVITI_NS}}}"
JUEL_LANGUAGES = ("", "juel", "${}", "http://www.omg.org/spec/bpmn/20100524/model")
DROPPED = ("asyncBefore", "asyncAfter", "async", "exclusive")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
EXPRESSION_TAGS = ("conditionExpression", "loopCardinality", "completionCondition", "loopCondition")


def translate_model(
    file_name: str, content: bytes, tree: etree._ElementTree
) -> tuple[bytes, etree._ElementTree, list[ModelProblem]]:
    """The file as Tripflow runs it, and one note per translation; the input when nothing changed."""
    # JUEL, bare ISO timers and id-less flows mean one thing in any file, so every file is read so
    notes = _translate_dmn(file_name, tree) if is_dmn(tree) else _translate_bpmn(file_name, tree)
    if not notes:
        return content, tree, []
    translated = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return translated, tree, notes


def _translate_bpmn(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    notes: list[ModelProblem] = []

    def note(element: etree._Element, message: str) -> None:
        notes.append(ModelProblem(file_name, message, element.get("id"), element.sourceline))

    dropped: dict[str, list[str]] = defaultdict(list)
    from_camunda = is_camunda_file(tree)
    for process in executable_processes(tree):
        _activiti_as_camunda(process)
        taken = {e.get("id") for e in tree.getroot().iter() if isinstance(e.tag, str) and e.get("id")}
        for element in process.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in DROPPED:
                if element.attrib.pop(f"{CAMUNDA}{attribute}", None) is not None:
                    dropped[f"camunda:{attribute}"].append(element.get("id") or "?")
            if etree.QName(element).namespace != NS["bpmn"]:
                continue
            tag = etree.QName(element).localname
            _unprefix_references(element, tree, note)
            if tag == "sequenceFlow" and not element.get("id"):
                new_id = _fresh_id(f"Flow_{element.get('sourceRef')}_{element.get('targetRef')}", taken)
                element.set("id", new_id)
                note(
                    element,
                    f"The sequence flow from '{element.get('sourceRef')}' to '{element.get('targetRef')}' "
                    f"had no id; it was given the id {new_id}",
                )
            elif tag in EXPRESSION_TAGS:
                _translate_expression(element, note)
            elif tag in TIMER_TAGS:
                _translate_timer(element, note)
            elif tag == "multiInstanceLoopCharacteristics":
                _translate_collection(element, note)
            elif tag == "script" and from_camunda:
                scripts.drop_print(element, note)
    for attribute, ids in sorted(dropped.items()):
        notes.append(
            ModelProblem(
                file_name,
                f"{attribute} was dropped on {', '.join(sorted(set(ids)))}: every Tripflow step already "
                "commits on its own, and jobs never run twice at once",
            )
        )
    return notes


def _unprefix_references(element: etree._Element, tree: etree._ElementTree, note) -> None:  # type: ignore[no-untyped-def]
    """``messageRef="tns:newInvoice"``, where ``tns`` is the file's own namespace, names ``newInvoice``."""
    root = tree.getroot()
    for attribute in ("messageRef", "signalRef", "errorRef", "escalationRef"):
        value = (element.get(attribute) or "").strip()
        prefix, _, local = value.partition(":")
        if not local or element.nsmap.get(prefix) != root.get("targetNamespace"):
            continue
        if not any(e.get("id") == local for e in root if isinstance(e.tag, str)):
            continue
        element.set(attribute, local)
        owner = element.getparent() if etree.QName(element).localname.endswith("Definition") else element
        note(owner, f"The reference {value} of {describe(owner)} was read as {local}, its id in this file")


def _activiti_as_camunda(process: etree._Element) -> None:
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        for name in [a for a in element.attrib if a.startswith(ACTIVITI)]:
            element.set(f"{CAMUNDA}{name[len(ACTIVITI) :]}", element.attrib.pop(name))


def _fresh_id(base: str, taken: set[str | None]) -> str:
    base = "".join(c if c.isalnum() or c in "_-." else "_" for c in base)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}_{number}"
    taken.add(candidate)
    return candidate


def is_camunda_file(tree: etree._ElementTree) -> bool:
    """Whether the file was made with a Camunda (or Activiti) modeler: it declares their namespace."""
    return bool({NS["camunda"], ACTIVITI_NS} & set(tree.getroot().nsmap.values()))


def _translate_expression(element: etree._Element, note) -> None:  # type: ignore[no-untyped-def]
    text = (element.text or "").strip()
    language = (element.get("language") or "").strip().lower()
    if language not in JUEL_LANGUAGES:
        return
    if juel.is_juel(text):
        kind, translate, error = "JUEL expression", juel.translate, juel.JuelError
    elif text.startswith("=") and not text.startswith("=="):
        kind, translate, error = "FEEL expression (Camunda 8)", feel.expression, feel.FeelError
    else:
        return
    try:
        python = translate(text)
    except error:
        return  # left as it is: the expression checks refuse it, naming the element and the reason
    owner = element.getparent()
    if etree.QName(owner).localname != "sequenceFlow":
        owner = owner.getparent() if owner.getparent() is not None else owner
    element.text = python
    element.attrib.pop("language", None)
    note(owner, f"The {kind} '{short(text)}' of {describe(owner)} was translated to Python: {python}")


def _translate_collection(element: etree._Element, note) -> None:  # type: ignore[no-untyped-def]
    """``camunda:collection="items" camunda:elementVariable="item"``: one instance per item of ``items``.

    With a cardinality beside it the collection is where SpiffWorkflow's Camunda dialect gathers
    the results, so only a collection standing alone is read as the input.
    """
    collection = (element.get(f"{CAMUNDA}collection") or "").strip()
    if not collection or element.find(f"{{{NS['bpmn']}}}loopCardinality") is not None:
        return
    if element.find(f"{{{NS['bpmn']}}}loopDataInputRef") is not None:
        return
    variable = juel.WRAPPED.match(collection)
    name = variable.group("body").strip() if variable else collection
    if not name.isidentifier():
        return  # an expression over beans: the parser refuses the task, naming it
    item = (element.get(f"{CAMUNDA}elementVariable") or "").strip()
    bpmn = f"{{{NS['bpmn']}}}"
    reference = etree.Element(f"{bpmn}loopDataInputRef")
    reference.text = name
    element.insert(0, reference)
    if item.isidentifier():
        data_item = etree.Element(f"{bpmn}inputDataItem", id=f"{name}_{item}_item", name=item)
        reference.addnext(data_item)
    del element.attrib[f"{CAMUNDA}collection"]
    element.attrib.pop(f"{CAMUNDA}elementVariable", None)
    owner = element.getparent()
    each = f", each item as '{item}'" if item.isidentifier() else ""
    note(
        owner,
        f"camunda:collection '{collection}' of {describe(owner)} was read as the multi-instance input: "
        f"one instance per item of {name}{each}",
    )


def _translate_timer(element: etree._Element, note) -> None:  # type: ignore[no-untyped-def]
    from workflows.deploy.expression_checks import ISO_LITERAL

    text = (element.text or "").strip()
    owner = element.getparent().getparent()
    if ISO_LITERAL.match(text):
        element.text = f'"{text}"'
        note(
            owner,
            f'The timer {text} of {describe(owner)} was quoted ("{text}"): timer expressions are Python',
        )
    elif juel.is_juel(text):
        try:
            python = juel.translate(text)
        except juel.JuelError:
            return
        element.text = python
        note(
            owner,
            f"The timer expression '{short(text)}' of {describe(owner)} was translated to Python: {python}",
        )


def _translate_dmn(file_name: str, tree: etree._ElementTree) -> list[ModelProblem]:
    """FEEL-only entry forms (ranges, lists, not(...), true/false/null) as Python entries."""
    notes: list[ModelProblem] = []
    dmn = f"{{{etree.QName(tree.getroot()).namespace}}}"
    for entry in tree.getroot().iter(f"{dmn}inputEntry", f"{dmn}outputEntry"):
        text_element = entry.find(f"{dmn}text")
        if text_element is None:
            continue
        text = (text_element.text or "").strip()
        if not _feel_only(text):
            continue
        try:
            if etree.QName(entry).localname == "inputEntry":
                python = feel.unary_tests(text)
            else:
                python = feel.literal(text)
        except feel.FeelError:
            continue  # the DMN checks refuse it as not Python, naming the entry
        text_element.text = python
        notes.append(
            ModelProblem(
                file_name,
                f"The FEEL entry '{short(text)}' was translated to the Python entry '{python}'",
                entry.get("id"),
                entry.sourceline,
            )
        )
    return notes


def _feel_only(text: str) -> bool:
    """Entries whose FEEL meaning differs from (or does not exist in) Python's: they are translated."""
    if text in ("true", "false", "null") or text.startswith(("not(", "not (", "date(")):
        return True
    if ".." in text and text[:1] in "[](" and text[-1:] in "[])":
        return True
    try:
        return len(feel._split(text)) > 1
    except feel.FeelError:
        return False
