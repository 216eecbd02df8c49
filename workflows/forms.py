"""Task forms: JSON Schema validation on the server, for the web form and the API alike.

Rules JSON Schema cannot say (an end date after a start date) live beside the schema as
``x-rules``; each error carries a ``code`` and ``params`` so the web layer can word it in the
user's language, and an English ``message`` for the API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from .errors import Invalid

_FORMAT_CHECKER = FormatChecker()


def form_fields(schema: dict[str, Any]) -> list[str]:
    return list((schema.get("properties") or {}).keys())


def validate_submission(schema: dict[str, Any] | None, submitted: Any) -> dict[str, Any]:
    """The submitted values that belong to the form, checked; raises ``Invalid`` with one detail per field.

    Keys that are not fields of the form are dropped, so a client cannot set case variables
    (such as an assignee) through a form.
    """
    if not isinstance(submitted, dict):
        raise Invalid("data must be a JSON object", [{"field": "data", "message": "must be an object",
                                                      "code": "type"}])
    if schema is None:
        return {}
    fields = set(form_fields(schema))
    data = {k: v for k, v in submitted.items() if k in fields}
    for name, prop in (schema.get("properties") or {}).items():
        if name not in data and isinstance(prop, dict) and "default" in prop:
            data[name] = prop["default"]
    errors = _schema_errors(schema, data) or _rule_errors(schema, data)
    if errors:
        raise Invalid("the form has errors", errors)
    return data


def _schema_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    details: dict[str, dict[str, Any]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        for leaf in _leaves(error):
            detail = _detail(leaf)
            details.setdefault(detail["field"], detail)
    return list(details.values())


def _leaves(error: ValidationError) -> list[ValidationError]:
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        best = [e for e in error.context if e.validator == "required"] or list(error.context)
        return [best[0]]
    return [error]


def _detail(error: ValidationError) -> dict[str, Any]:
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
    return {"field": ".".join(path) or "data", "message": message, "code": code, "params": params}


def _missing_property(error: ValidationError) -> str:
    for name in error.validator_value:
        if isinstance(error.instance, dict) and name not in error.instance:
            return str(name)
    return ""


_COMPARISONS = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                "exclusiveMaximum": "less than"}


def _rule_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for rule in schema.get("x-rules", []):
        if rule.get("rule") == "date_after":
            later, earlier = _as_date(data.get(rule["field"])), _as_date(data.get(rule["other"]))
            if later and earlier and later <= earlier:
                errors.append({"field": rule["field"], "code": "date_after", "params": {"other": rule["other"]},
                               "message": f"must be after {rule['other']}"})
    return errors


def _as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
