"""Checking what a benefit page or API call sends: a 400 that names every bad field."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from workflows.cases.forms import FORMAT_CHECKER, field_details
from workflows.errors import Invalid, NotFound

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def check(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """``data`` as given, or ``Invalid`` naming each missing or wrong field."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", [{"field": "body", "message": "must be an object"}])
    errors = [
        {"field": name, "message": "this field is required", "code": "required", "params": {}}
        for name in schema.get("required", ())
        if data.get(name) in (None, "")
    ]
    reported = {e["field"] for e in errors}
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    errors += [
        d
        for d in field_details(validator.iter_errors(data), root="body")
        if d["field"] not in reported and d["code"] != "required"
    ]
    if errors:
        raise Invalid("the record has errors", errors)
    return data


def get_or_404(session: Any, model: type, row_id: Any, what: str, *, lock: bool = False) -> Any:
    """The row, or ``NotFound`` (also for an id no id column can hold).

    ``lock`` holds the row until commit (PostgreSQL ``FOR UPDATE``; SQLite's one writer does it
    already), so two people taking the last seat or place are served one after the other.
    """
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**31:
        raise NotFound(f"{what} {row_id} does not exist")
    row = session.get(model, row_id, with_for_update=lock or None)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row
