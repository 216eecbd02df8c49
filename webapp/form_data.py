"""A task form's values as text and back: typed case data -> what the inputs show, and a posted
HTML form -> the typed JSON the schema describes.

Every posted form is first *normalised* (blank array rows dropped, rows renumbered 0..n-1), so the
row numbers in the validator's error paths match the rows shown again. Validation itself is the
service's (``workflows.cases.forms``); here only the shape of values changes: numbers, booleans, instants
with the agency's offset, empty fields left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .form_render import Raw, as_text, join_name, schema_type, widget_of

# --- typed data -> what the inputs show ------------------------------------------------------


def _local_input(value: Any, timezone: str) -> str:
    """An ISO instant as ``datetime-local`` shows it: the agency's wall clock, minutes."""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return as_text(value)
    if instant.tzinfo is not None:
        instant = instant.astimezone(ZoneInfo(timezone))
    return instant.strftime("%Y-%m-%dT%H:%M")


def raw_from_data(schema: dict[str, Any], data: Mapping[str, Any], timezone: str) -> Raw:
    """What the form's inputs show for typed case data (schema defaults where data has nothing)."""
    raw: Raw = {}
    _fill(schema, data, "", raw, timezone)
    return raw


def _fill(schema: dict[str, Any], data: Any, prefix: str, raw: Raw, timezone: str) -> None:
    data = data if isinstance(data, Mapping) else {}
    for key, prop in (schema.get("properties") or {}).items():
        name = join_name(prefix, key)
        value = data.get(key, prop.get("default"))
        kind = schema_type(prop)
        if kind == "object":
            _fill(prop, value, name, raw, timezone)
        elif kind == "array":
            items = prop.get("items") or {}
            for i, row in enumerate(value if isinstance(value, list) else []):
                if schema_type(items) == "object":
                    _fill(items, row, f"{name}-{i}-", raw, timezone)
                else:
                    raw[f"{name}-{i}"] = as_text(row)
        elif value is not None:
            raw[name] = _local_input(value, timezone) if prop.get("format") == "date-time" else as_text(value)


def file_fields(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    """Names of the form's file inputs (top-level: a file field holds the id of a case document)."""
    props = schema.get("properties") or {}
    return [key for key in props if widget_of(props[key], ui.get(key) or {}) == "file"]


FILE_SUFFIX = "__file"  # the <input type=file> beside the hidden input holding the document id


# --- a posted form -> normalised text -> typed data ------------------------------------------------


def normalise(schema: dict[str, Any], posted: Mapping[str, str]) -> Raw:
    """The posted text with blank array rows dropped and rows numbered 0..n-1."""
    raw: Raw = {}
    _normalise(schema, posted, "", "", raw)
    return raw


def _normalise(schema: dict[str, Any], posted: Mapping[str, str], src: str, dst: str, raw: Raw) -> None:
    for key, prop in (schema.get("properties") or {}).items():
        source, target = join_name(src, key), join_name(dst, key)
        kind = schema_type(prop)
        if kind == "object":
            _normalise(prop, posted, source, target, raw)
        elif kind == "array":
            items = prop.get("items") or {}
            for position, index in enumerate(_row_indices(posted, source)):
                if schema_type(items) == "object":
                    _normalise(items, posted, f"{source}-{index}-", f"{target}-{position}-", raw)
                else:
                    raw[f"{target}-{position}"] = posted.get(f"{source}-{index}", "")
        elif posted.get(source, "") != "":
            raw[target] = posted.get(source, "")


def _row_indices(posted: Mapping[str, str], name: str) -> list[int]:
    """Rows present in the post that are not blank, in their order."""
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)(?:$|[-.])")
    filled: dict[int, bool] = {}
    for key in posted:
        match = pattern.match(key)
        if match:
            index = int(match.group(1))
            filled[index] = filled.get(index, False) or str(posted.get(key, "")).strip() != ""
    return [i for i in sorted(filled) if filled[i]]


def coerce(schema: dict[str, Any], ui: dict[str, Any], raw: Raw, timezone: str) -> dict[str, Any]:
    """Typed JSON from normalised text: numbers, booleans, dates with offsets; empty fields left out.

    Text that is not the type the schema wants stays text, so that validation names the field
    and the form shows what was typed.
    """
    return _coerce_object(schema, ui, raw, "", timezone)


def _coerce_object(
    schema: dict[str, Any], ui: dict[str, Any], raw: Raw, prefix: str, tz: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        name = join_name(prefix, key)
        sub_ui = ui.get(key) or {}
        kind, widget = schema_type(prop), widget_of(prop, sub_ui)
        if kind == "object":
            value = _coerce_object(prop, sub_ui, raw, name, tz)
            if value:
                out[key] = value
        elif kind == "array":
            out[key] = _coerce_rows(prop, sub_ui, raw, name, tz)
        elif widget == "checkbox":
            out[key] = raw.get(name, "") in ("true", "on", "1")
        elif raw.get(name, "").strip() != "":
            out[key] = _scalar(prop, raw[name].strip(), tz)
    return out


def _coerce_rows(prop: dict[str, Any], ui: dict[str, Any], raw: Raw, name: str, tz: str) -> list[Any]:
    items, item_ui = prop.get("items") or {}, ui.get("items") or {}
    rows: list[Any] = []
    index = 0
    while any(k == f"{name}-{index}" or k.startswith((f"{name}-{index}.", f"{name}-{index}-")) for k in raw):
        if schema_type(items) == "object":
            rows.append(_coerce_object(items, item_ui, raw, f"{name}-{index}-", tz))
        else:
            rows.append(_scalar(items, raw[f"{name}-{index}"].strip(), tz))
        index += 1
    return rows


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _scalar(prop: dict[str, Any], text: str, tz: str) -> Any:
    kind = schema_type(prop)
    if "enum" in prop:
        return next((v for v in prop["enum"] if as_text(v) == text), text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind in ("integer", "number"):
        cleaned = text.replace(",", "").replace("，", "").replace(" ", "")
        if not _NUMBER.match(cleaned):
            return text
        number = float(cleaned)
        return int(number) if number.is_integer() and (kind == "integer" or "." not in cleaned) else number
    if prop.get("format") == "date-time":
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            return text
        return (instant if instant.tzinfo else instant.replace(tzinfo=ZoneInfo(tz))).isoformat()
    return text
