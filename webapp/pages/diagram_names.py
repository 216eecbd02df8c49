"""The BPMN handed to the diagram viewer, with its names in the reader's language.

The models name their elements in English, and a lane by its role id (``account_manager``: the
engine assigns work by that name, so the model keeps it). What the viewer draws is a copy whose
``name`` attributes are rewritten for the user's locale: lanes show the role's name, tasks and
processes the names the label tables give, and every other element the catalogue's translation of
its English name. A name written bilingually in the model ("中文 / English") shows the half for
the locale. Ids, flows and layout are untouched, so colouring by element id still works.
"""

from __future__ import annotations

from flask_babel import get_locale, gettext
from lxml import etree

from workflows.engine.xml import XmlProblem, parse_model_xml

from .labels import PROCESS_LABELS, ROLE_LABELS, TASK_LABELS

BILINGUAL = " / "
# Elements whose name is a technical key, not words (data objects, form properties).
KEEP = {"property", "dataObject", "dataObjectReference", "inputDataItem", "outputDataItem", "message"}


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def pick(name: str, locale: str) -> str:
    """One half of a bilingual "中文 / English" name; the name itself when it is not bilingual."""
    first, _sep, rest = name.partition(BILINGUAL)
    if not rest or _has_cjk(first) == _has_cjk(rest):
        return name  # "1 January / 1 July" is one name, not two languages
    chinese, english = (first, rest) if _has_cjk(first) else (rest, first)
    return chinese.strip() if locale.startswith("zh") else english.strip()


def element_name(tag: str, element_id: str, name: str, locale: str, process_ref: str = "") -> str:
    """The name one element shows in ``locale`` (the request's catalogue does the translating)."""
    if tag == "lane" and name in ROLE_LABELS:
        return str(ROLE_LABELS[name])
    if pick(name, locale) != name:
        return pick(name, locale)
    if tag == "process" and element_id in PROCESS_LABELS:
        return str(PROCESS_LABELS[element_id])
    if tag == "participant" and process_ref in PROCESS_LABELS:
        return str(PROCESS_LABELS[process_ref])
    if element_id in TASK_LABELS:
        return str(TASK_LABELS[element_id])
    return gettext(name) if name else name


def localized_bpmn(xml: str | bytes) -> str:
    """The model with its names in the current request's language; the model as it is if unreadable."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        tree = parse_model_xml(raw)
    except XmlProblem:
        return xml if isinstance(xml, str) else xml.decode("utf-8", "replace")
    locale = str(get_locale() or "en")
    for element in tree.iter():
        if not isinstance(element.tag, str) or "name" not in element.attrib:
            continue
        tag = etree.QName(element).localname
        if tag in KEEP or not element.get("id"):
            continue
        name = element_name(
            tag, element.get("id", ""), element.get("name", ""), locale, element.get("processRef", "")
        )
        element.set("name", name)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, encoding="unicode")
