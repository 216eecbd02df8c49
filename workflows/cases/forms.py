"""Task forms: JSON Schema validation on the server, for the web form and the API alike.

Rules JSON Schema cannot say (an end date after a start date) live beside the schema as
``x-rules``; each error carries a ``code`` and ``params`` so the web layer can word it in the
user's language, and an English ``message`` for the API.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from workflows.errors import Invalid

FORMAT_CHECKER = FormatChecker()
"""jsonschema's checker plus ``date-time``, which jsonschema checks only with an extra package installed."""

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


@FORMAT_CHECKER.checks("date-time", raises=(ValueError, OverflowError))
def is_date_time(value: object) -> bool:
    """ISO 8601 with an offset (API.md), a real calendar instant that UTC can hold."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    instant = datetime.fromisoformat(value).astimezone(UTC)
    return 1000 <= instant.year <= 9998


MAX_INTEGER = 2**63 - 1
MAX_TEXT = 65_536
MAX_DEPTH = 32
FORM_MAX_INTEGER = 2**31 - 1
"""Form values end up in table columns: ids and counts in PostgreSQL ``integer`` columns."""
FORM_MAX_NUMBER = 10**10
"""Amounts end up in ``Numeric(12, 2)`` columns, which hold less than ten billion."""


def value_problems(
    value: Any,
    where: str = "",
    root: str = "data",
    *,
    max_integer: int = MAX_INTEGER,
    max_number: float | None = None,
) -> list[dict[str, Any]]:
    """What no JSON value Tripflow stores may hold, whatever its schema says.

    Integers beyond 64 bits, NaN and infinities, texts over 64 KiB, unpaired surrogates, NUL
    characters (PostgreSQL text refuses them) and nesting deeper than 32 levels would fail later,
    in the database or the engine's serializer; here they become one detail each (``field`` is the
    dotted path). Walks iteratively: no recursion limit.
    """
    problems: list[dict[str, Any]] = []
    stack: list[tuple[str, Any, int]] = [(where, value, 0)]
    while stack and len(problems) < 20:
        path, item, depth = stack.pop()
        field = path or root
        if depth > MAX_DEPTH:
            problems.append(
                {"field": field, "message": f"nested deeper than {MAX_DEPTH} levels", "code": "depth"}
            )
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -max_integer <= item <= max_integer:
                problems.append(
                    {
                        "field": field,
                        "message": f"must be at most {max_integer} in size",
                        "code": "maximum",
                        "params": {"limit": max_integer},
                    }
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append(
                    {
                        "field": field,
                        "message": "must be a finite number",
                        "code": "type",
                        "params": {"type": "number"},
                    }
                )
            elif max_number is not None and abs(item) >= max_number:
                problems.append(
                    {
                        "field": field,
                        "message": f"must be less than {max_number:.0f} in size",
                        "code": "exclusiveMaximum",
                        "params": {"limit": max_number},
                    }
                )
        elif isinstance(item, str):
            problems.extend(_text_problems(field, item))
        elif isinstance(item, dict):
            for key, inner in item.items():
                key_text = str(key)
                problems.extend(_text_problems(field, key_text, max_length=200))
                stack.append((f"{path}.{key_text}" if path else key_text, inner, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend(
                (f"{path}.{i}" if path else str(i), inner, depth + 1) for i, inner in enumerate(item)
            )
    return problems


def _text_problems(field: str, text: str, max_length: int = MAX_TEXT) -> list[dict[str, Any]]:
    if len(text) > max_length:
        return [
            {
                "field": field,
                "message": f"is longer than {max_length} characters",
                "code": "maxLength",
                "params": {"limit": max_length},
            }
        ]
    if "\x00" in text:
        return [
            {
                "field": field,
                "message": "holds a NUL character (\\u0000), which text cannot store",
                "code": "format",
                "params": {"format": "text"},
            }
        ]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [
            {
                "field": field,
                "message": "holds an unpaired surrogate (\\ud800-\\udfff); send valid UTF-8 text",
                "code": "format",
                "params": {"format": "utf-8"},
            }
        ]
    return []


def form_fields(schema: dict[str, Any]) -> list[str]:
    return list((schema.get("properties") or {}).keys())


def validate_submission(schema: dict[str, Any] | None, submitted: Any) -> dict[str, Any]:
    """The submitted values that belong to the form, checked; raises ``Invalid`` with one detail per field.

    Keys that are not fields of the form are dropped, so a client cannot set case variables
    (such as an assignee) through a form. Whatever the schema says, values must be storable
    (``value_problems``): integers within PostgreSQL's ``integer``, amounts below ten billion.
    """
    if not isinstance(submitted, dict):
        raise Invalid(
            "data must be a JSON object", [{"field": "data", "message": "must be an object", "code": "type"}]
        )
    if schema is None:
        return {}
    fields = set(form_fields(schema))
    data = {k: v for k, v in submitted.items() if k in fields}
    for name, prop in (schema.get("properties") or {}).items():
        if name not in data and isinstance(prop, dict) and "default" in prop:
            data[name] = prop["default"]
    errors = (
        value_problems(data, max_integer=FORM_MAX_INTEGER, max_number=FORM_MAX_NUMBER)
        or _schema_errors(schema, data)
        or _rule_errors(schema, data)
    )
    if errors:
        raise Invalid("the form has errors", errors)
    return data


def _schema_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    return field_details(Draft202012Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(data))


def field_details(errors: Iterable[ValidationError], root: str = "data") -> list[dict[str, Any]]:
    """jsonschema's errors as field details ``{field, message, code, params}``, one per field.

    The one translator for forms, API bodies and customer records: the field is the dotted path (a
    missing property is named on its own field, ``root`` when the error is about the whole value),
    the code is the keyword that failed and the message a short sentence; the first error of a
    field wins. Of ``anyOf``/``oneOf`` alternatives only those whose type fits are reported (a bad
    date in an object-or-null value is reported on its field), and of "one of these is required"
    only the first.
    """
    details: dict[str, dict[str, Any]] = {}
    for error in sorted(errors, key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path]):
        for leaf in _leaves(error):
            for detail in _details(leaf, root):
                details.setdefault(detail["field"], detail)
    return list(details.values())


def _leaves(error: ValidationError) -> list[ValidationError]:
    if error.validator not in ("anyOf", "oneOf", "allOf") or not error.context:
        return [error]
    fitting = [
        e
        for e in error.context
        if not (e.validator == "type" and list(e.absolute_path) == list(error.absolute_path))
    ] or list(error.context)
    required = [e for e in fitting if e.validator == "required"]
    if required:
        return [required[0]]
    return [leaf for e in fitting for leaf in _leaves(e)]


def _details(error: ValidationError, root: str) -> list[dict[str, Any]]:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties") or {})
        return [
            {
                "field": ".".join([*path, str(name)]),
                "message": "is not a field of this record",
                "code": "unknown",
                "params": {},
            }
            for name in sorted(set(error.instance) - known, key=str)
        ]
    return [_detail(error, root)]


def _detail(error: ValidationError, root: str) -> dict[str, Any]:
    path = [str(p) for p in error.absolute_path]
    params: dict[str, Any] = {}
    if error.validator == "required":
        missing = _missing_property(error)
        path.append(missing)
        code, message = "required", "this field is required"
    elif error.validator == "type":
        code, message = "type", f"must be of type {error.validator_value}"
        params["type"] = error.validator_value
    elif error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        code, message = error.validator, f"must be {_COMPARISONS[error.validator]} {error.validator_value}"
        params["limit"] = error.validator_value
    elif error.validator in ("minLength", "maxLength", "minItems", "maxItems"):
        code, message = error.validator, error.message
        params["limit"] = error.validator_value
    elif error.validator == "enum":
        code, message = "enum", "must be one of: " + ", ".join(map(str, error.validator_value))
    elif error.validator == "format":
        code, message = "format", f"must be a valid {error.validator_value}"
        params["format"] = error.validator_value
    else:
        code, message = error.validator, error.message
    # a message may quote the value, which can be long: a detail stays short
    return {"field": ".".join(path) or root, "message": message[:300], "code": code, "params": params}


def _missing_property(error: ValidationError) -> str:
    """jsonschema raises one ``required`` error per missing property; its message names it."""
    found = re.match(r"^'(.+)' is a required property$", error.message)
    if found:
        return found.group(1)
    for name in error.validator_value:
        if isinstance(error.instance, dict) and name not in error.instance:
            return str(name)
    return ""


_COMPARISONS = {
    "minimum": "at least",
    "exclusiveMinimum": "more than",
    "maximum": "at most",
    "exclusiveMaximum": "less than",
}


def _rule_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """``x-rules``: ``date_after``, and the checklist rules ``true_when`` (``field`` must be true
    when every ``when`` field has its value) and ``true_or_filled`` (``field`` true, or text in
    ``or``). A checklist rule carries its sentence in each language (``message``: en, zh_Hans)."""
    errors = []
    for rule in schema.get("x-rules", []):
        if rule.get("rule") in ("true_when", "true_or_filled"):
            errors.extend(_checklist_error(rule, data))
        elif rule.get("rule") == "date_after":
            later, earlier = _as_date(data.get(rule["field"])), _as_date(data.get(rule["other"]))
            if later and earlier and later <= earlier:
                errors.append(
                    {
                        "field": rule["field"],
                        "code": "date_after",
                        "params": {"other": rule["other"]},
                        "message": f"must be after {rule['other']}",
                    }
                )
    return errors


def _checklist_error(rule: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    field = rule.get("field")
    if data.get(field) is True:
        return []
    if rule["rule"] == "true_when":
        applies = all(data.get(k) == v for k, v in (rule.get("when") or {}).items())
    else:
        other = data.get(rule.get("or"))
        applies = not (isinstance(other, str) and other.strip())
    if not applies:
        return []
    text = rule.get("message") if isinstance(rule.get("message"), dict) else {}
    message = str(text.get("en") or f"{field} must be confirmed")
    return [{"field": field, "code": "checklist", "params": {"text": text}, "message": message}]


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
