"""API routes declared with their request schemas; the same declaration validates and documents.

``openapi_document`` walks the URL map, so the OpenAPI document is generated from the code.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask, request
from jsonschema import Draft202012Validator

from workflows.cases.forms import FORMAT_CHECKER, field_details, value_problems
from workflows.errors import Invalid

ApiView = Callable[..., Any]


def documented(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    tag: str = "tripflow",
    responses: dict[int, str] | None = None,
    public: bool = False,
    who: str | None = None,
) -> Callable[[ApiView], ApiView]:
    """Declare an API view: its summary, its JSON body schema and query parameters.

    A body that is not JSON, or does not match ``body``, is refused with 400 before the view runs;
    the view receives the parsed body as ``body=``. ``who`` says which roles may call it, where
    that is not every employee (the document's description of the operation).
    """

    def wrap(view: ApiView) -> ApiView:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            if query:
                _check_query(query)
            if body is not None:
                kwargs["body"] = _parsed_body(body)
            return view(*args, **kwargs)

        run.apidoc = {
            "summary": summary,
            "body": body,
            "query": query or {},
            "tag": tag,  # type: ignore[attr-defined]
            "responses": responses or {},
            "public": public,
            "who": who,
        }
        return run

    return wrap


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parsed_body(schema: dict[str, Any]) -> Any:
    """The JSON body checked against ``schema``; raises ``Invalid`` (400) naming what is wrong.

    Before the schema, every value is checked for what no field may hold (``value_problems``:
    huge integers, NaN, unpaired surrogates, 64 KiB texts, deep nesting), so free-form ``data``
    objects cannot carry them into the engine or the database either.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeError as exc:
            raise Invalid(
                "the body is not valid UTF-8", [{"field": "body", "message": str(exc)[:200]}]
            ) from None
        except ValueError as exc:
            raise Invalid(
                "the body is not valid JSON", [{"field": "body", "message": str(exc)[:200]}]
            ) from None
        except RecursionError:
            raise Invalid(
                "the body is nested too deeply", [{"field": "body", "message": "nested too deeply"}]
            ) from None
    problems = value_problems(data, root="body")
    if problems:
        raise Invalid(
            "the request body is not valid",
            [{"field": p["field"], "message": p["message"]} for p in problems],
        )
    errors = field_details(
        Draft202012Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(data), "body"
    )
    if errors:
        raise Invalid("the request body is not valid", errors)
    return data


def _check_query(params: dict[str, Any]) -> None:
    errors = []
    for name, schema in params.items():
        value = request.args.get(name)
        if value is None:
            continue
        kind = schema.get("type")
        if kind == "integer":
            if not re.fullmatch(r"-?\d{1,12}", value):
                errors.append({"field": name, "message": "must be a whole number"})
                continue
            number = int(value)
            if number < schema.get("minimum", number) or number > schema.get("maximum", number):
                errors.append(
                    {
                        "field": name,
                        "message": f"must be between {schema.get('minimum')} and {schema.get('maximum')}",
                    }
                )
        elif "enum" in schema and value not in schema["enum"]:
            errors.append({"field": name, "message": "must be one of: " + ", ".join(schema["enum"])})
        elif schema.get("format") == "date" and not _is_query_date(value):
            errors.append(
                {"field": name, "message": f"must be a date YYYY-MM-DD from {MIN_YEAR} to {MAX_YEAR}"}
            )
        elif "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append({"field": name, "message": f"must match {schema['pattern']}"})
        elif len(value) > schema.get("maxLength", 1000):
            errors.append(
                {"field": name, "message": f"is longer than {schema.get('maxLength', 1000)} characters"}
            )
    if errors:
        raise Invalid("bad query parameters", errors)


MIN_YEAR, MAX_YEAR = 1900, 2999
"""Dates in queries are periods of the agency's work; far years would overflow time zone arithmetic."""


def _is_query_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        return MIN_YEAR <= date.fromisoformat(value).year <= MAX_YEAR
    except ValueError:
        return False


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array"}},
    "required": ["error", "message", "details"],
}


def openapi_document(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "apidoc", None)
        if doc is None:
            continue
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        parameters = [
            {
                "name": m.group(2),
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
                if m.group(1) == "int"
                else {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$", "minLength": 1},
            }
            for m in _CONVERTER.finditer(rule.rule)
        ]
        parameters += [
            {"name": n, "in": "query", "required": False, "schema": s} for n, s in doc["query"].items()
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "summary": doc["summary"],
                "tags": [doc["tag"]],
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "parameters": parameters,
                "responses": {
                    str(code): {"description": text}
                    for code, text in ({200: "OK"} | doc["responses"]).items()
                }
                | {
                    "400": _error_response("bad input"),
                    "401": _error_response("not signed in"),
                    "403": _error_response("not allowed for your roles"),
                    "404": _error_response("not found"),
                },
            }
            if doc.get("who"):
                operation["description"] = f"Who may call it: {doc['who']}."
            if doc["public"]:
                operation["security"] = []
                operation["responses"].pop("403")
            if doc["body"] is not None and method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {
                    "required": False,
                    "content": {"application/json": {"schema": doc["body"]}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tripflow API", "version": "1"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


def _error_response(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
