"""Case variables as people read them: labelled, in order, yes/no, money, tables for day-by-day lists.

Labels come from the titles of the process's own forms (so a new form brings its words along),
then from ``labels.VARIABLE_LABELS``, then from the variable's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g
from flask_babel import get_locale, gettext

from workflows.deploy.queries import process_detail, process_list
from workflows.errors import TripflowError
from workflows.runtime import Runtime

from ..form_render import label_of
from .common import local_datetime, money
from .labels import spend_basis_label, tier_label, value_label, variable_label

HIDDEN = ("spiff__",)
FIELD_INDEX_KEY = "tripflow_field_index"


@dataclass
class Shown:
    key: str
    label: str
    kind: str  # text, long, table, list, group
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list[Shown] = field(default_factory=list)


def _own_fields(session: Any, rt: Runtime, process_key: str) -> dict[str, dict[str, Any]]:
    cache = g.setdefault(FIELD_INDEX_KEY, {})
    if process_key not in cache:
        index: dict[str, dict[str, Any]] = {}
        try:
            tasks = process_detail(session, rt, process_key)["user_tasks"]
        except TripflowError:
            tasks = []
        for task in tasks:
            _collect((task.get("form") or {}).get("schema") or {}, index)
        cache[process_key] = index
    return cache[process_key]


def field_index(session: Any, rt: Runtime, process_key: str) -> dict[str, dict[str, Any]]:
    """Every property the process's forms define (nested ones too), by name; first definition wins.

    Then the fields of every other process's forms: a trip case holds what its planning and
    confirmation forms asked (the itinerary's rows, the bookings), and those forms name them.
    """
    index = dict(_own_fields(session, rt, process_key))
    for other in process_list(session):
        for key, prop in _own_fields(session, rt, other["key"]).items():
            index.setdefault(key, prop)
    return index


def _collect(schema: dict[str, Any], index: dict[str, dict[str, Any]]) -> None:
    for key, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        index.setdefault(key, prop)
        _collect(prop, index)
        if isinstance(prop.get("items"), dict):
            _collect(prop["items"], index)


def label(key: str, index: dict[str, dict[str, Any]]) -> str:
    locale = str(get_locale())
    known = variable_label(key)
    prop = index.get(key)
    if prop is not None and (locale in (prop.get("x-title") or {}) or known is None):
        return label_of(prop, key, locale)
    return known or key.replace("_", " ").capitalize()


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def scalar_text(key: str, value: Any, index: dict[str, dict[str, Any]]) -> str:
    prop = index.get(key) or {}
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key == "customer_tier" or key.endswith("_tier"):
        return tier_label(str(value))
    if key == "spend_basis":
        return spend_basis_label(str(value))
    if "enum" in prop:
        titles = (prop.get("x-enum-titles") or {}).get(str(get_locale())) or []
        if value in prop["enum"] and prop["enum"].index(value) < len(titles):
            return str(titles[prop["enum"].index(value)])
    if value_label(key, value) is not None:
        return str(value_label(key, value))
    if isinstance(value, int | float):
        return money(value)
    if isinstance(value, str) and prop.get("format") == "date-time":
        return local_datetime(value)
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            return local_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return "" if value is None else str(value)


def show(key: str, value: Any, index: dict[str, dict[str, Any]]) -> Shown:
    title = label(key, index)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        prop = index.get(key) or {}
        order = list(((prop.get("items") or {}).get("properties") or {}).keys())
        keys = [k for k in order if any(k in row for row in value)]
        keys += [k for row in value for k in row if k not in keys]
        keys = list(dict.fromkeys(keys))
        return Shown(
            key,
            title,
            "table",
            columns=[label(k, index) for k in keys],
            rows=[[_cell(k, row.get(k), index) for k in keys] for row in value],
        )
    if isinstance(value, list):
        separator = ", " if str(get_locale()) == "en" else "、"
        return Shown(key, title, "list", text=separator.join(scalar_text(key, v, index) for v in value))
    if isinstance(value, dict):
        return Shown(
            key, title, "group", items=[show(k, v, index) for k, v in value.items() if not _is_empty(v)]
        )
    text = scalar_text(key, value, index)
    return Shown(key, title, "long" if "\n" in text or len(text) > 80 else "text", text=text)


def _cell(key: str, value: Any, index: dict[str, dict[str, Any]]) -> str:
    if isinstance(value, dict | list):
        return (
            ", ".join(f"{label(k, index)}: {scalar_text(k, v, index)}" for k, v in value.items())
            if isinstance(value, dict)
            else ", ".join(scalar_text(key, v, index) for v in value)
        )
    return scalar_text(key, value, index) if not _is_empty(value) else ""


def show_many(keys: list[str], data: dict[str, Any], index: dict[str, dict[str, Any]]) -> list[Shown]:
    """The variables named in ``keys`` that have a value, in that order."""
    return [show(k, data[k], index) for k in keys if k in data and not _is_empty(data[k])]


def show_case_data(
    data: dict[str, Any], index: dict[str, dict[str, Any]], first: tuple[str, ...] = ()
) -> list[Shown]:
    """A case's variables: ``first``, then in the order the forms ask for them, then the rest.

    Ids of other records (``*_id``) are links elsewhere on the page, not data to read.
    """
    visible = {
        k: v
        for k, v in data.items()
        if not k.startswith(("_", *HIDDEN)) and not k.endswith("_id") and not _is_empty(v)
    }
    order = [k for k in first if k in visible]
    order += [k for k in index if k in visible and k not in order]
    order += sorted(k for k in visible if k not in order)
    return [show(k, visible[k], index) for k in order]
