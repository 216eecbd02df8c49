"""Checks of uploaded JSON Schema form files: valid JSON, a valid schema, not nested too deeply."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workflows.deploy.problems import ModelProblem


def check_forms(forms: dict[str, bytes]) -> list[ModelProblem]:
    problems = []
    for name, content in forms.items():
        try:
            schema = json.loads(content)
        except ValueError as exc:
            problems.append(ModelProblem(name, f"The form file is not valid JSON: {exc}"))
            continue
        except RecursionError:  # "[[[[…" a hundred thousand deep
            problems.append(ModelProblem(name, "The form file is nested too deeply"))
            continue
        if not isinstance(schema, dict):
            problems.append(ModelProblem(name, "A form file must hold a JSON object"))
            continue
        if is_ui_schema(name):
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(ModelProblem(name, f"The form is not a valid JSON Schema: {exc.message}"))
        except RecursionError:
            problems.append(ModelProblem(name, "The form file is nested too deeply"))
    return problems


def is_ui_schema(name: str) -> bool:
    return name.endswith(("uischema.json", "ui.json", ".camunda-ui.json"))
