"""Camunda 7 user-task attributes, read where they map onto what Tripflow's engine does.

A model exported from Camunda Modeler describes who works on a task and its form with
``camunda:candidateGroups``, ``camunda:assignee``, ``camunda:dueDate`` and ``camunda:formData``.
The stored XML is never rewritten: at deploy time these are translated into the same things the
engine reads for Spiff-style models (a lane, an assignee, a due date, a JSON Schema form), and the
generated form is stored beside the model as a file of the version.

What does not map (Java expressions, listeners, external form keys) is refused or reported as a
note, never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from workflows.engine.xml import NS

BPMN = f"{{{NS['bpmn']}}}"
CAMUNDA = f"{{{NS['camunda']}}}"
GENERATED_FORM_SUFFIX = ".camunda-form.json"

_VARIABLE = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")
_EXPRESSION = re.compile(r"[$#]\{")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
# Camunda's ``${dateTime().plusDays(2).toDate()}``: "2 days after the task is created"
_JAVA_FROM_NOW = re.compile(
    r"^\s*[$#]\{\s*dateTime\(\)((?:\s*\.\s*plus(?:Years|Months|Weeks|Days|Hours|Minutes|Seconds)\(\s*\d+\s*\))+)"
    r"\s*\.\s*toDate\(\)\s*\}\s*$"
)
_JAVA_STEP = re.compile(r"plus(Years|Months|Weeks|Days|Hours|Minutes|Seconds)\(\s*(\d+)\s*\)")
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")

# camunda:formData field type -> JSON Schema
_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "enum": {"type": "string"},
    # not Camunda built-ins, but common in exported models
    "textarea": {"type": "string"},
    "email": {"type": "string", "format": "email"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "double": {"type": "number"},
    "number": {"type": "number"},
    "str": {"type": "string"},
}


@dataclass
class CamundaUserTask:
    """What a Camunda user task's attributes mean for Tripflow; ``problems`` refuse the deploy."""

    lane: str | None = None
    assignee: str | None = None
    properties: dict[str, str] = field(default_factory=dict)  # spiffworkflow-style properties
    due_at: str | None = None  # a literal instant, ISO 8601
    form: dict[str, Any] | None = None
    ui_form: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_camunda(self) -> bool:
        return bool(
            self.lane
            or self.assignee
            or self.properties
            or self.due_at
            or self.form
            or self.problems
            or self.notes
        )


def form_file_name(process_id: str, task_id: str) -> str:
    """The file a generated form is stored under: unique per process and task."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{process_id}.{task_id}")
    return f"{safe}{GENERATED_FORM_SUFFIX}"


def ui_file_name(process_id: str, task_id: str) -> str:
    return form_file_name(process_id, task_id).replace(GENERATED_FORM_SUFFIX, ".camunda-ui.json")


def is_generated(name: str) -> bool:
    return name.endswith((GENERATED_FORM_SUFFIX, ".camunda-ui.json"))


def read_user_task(
    element: etree._Element,
    roles: tuple[str, ...] | frozenset[str],
    *,
    in_lane: bool,
    timezone_name: str = "Asia/Shanghai",
) -> CamundaUserTask:
    """Translate one ``bpmn:userTask``'s Camunda attributes; nothing when it has none."""
    result = CamundaUserTask()
    _candidate_groups(element, roles, in_lane, result)
    _assignee(element, result)
    _due_date(element, result, timezone_name)
    _form(element, result)
    candidate_users = element.get(f"{CAMUNDA}candidateUsers")
    if candidate_users:
        result.notes.append(
            f"camunda:candidateUsers '{candidate_users}' is not used by Tripflow; the task goes to its lane"
        )
    return result


def _candidate_groups(element: etree._Element, roles: Any, in_lane: bool, result: CamundaUserTask) -> None:
    groups_text = element.get(f"{CAMUNDA}candidateGroups")
    if not groups_text:
        return
    if _EXPRESSION.search(groups_text):
        result.problems.append(
            f"camunda:candidateGroups '{groups_text}' is an expression; name a Tripflow "
            f"role ({', '.join(sorted(roles))}) or put the task in a lane of that name"
        )
        return
    groups = [g.strip() for g in groups_text.split(",") if g.strip()]
    matching = [g for g in groups if g in roles]
    if in_lane:
        if matching:
            result.notes.append(
                f"camunda:candidateGroups '{groups_text}' is not used: the task's lane decides "
                "who works on it"
            )
        return
    if matching:
        result.lane = matching[0]
        if len(matching) > 1:
            result.notes.append(
                f"camunda:candidateGroups names several roles; the task goes to the first, {matching[0]}"
            )
    else:
        result.notes.append(
            f"camunda:candidateGroups '{groups_text}' names no Tripflow role "
            f"({', '.join(sorted(roles))}); any employee can take the task"
        )


def _assignee(element: etree._Element, result: CamundaUserTask) -> None:
    assignee = (element.get(f"{CAMUNDA}assignee") or "").strip()
    if not assignee:
        return
    variable = _VARIABLE.match(assignee)
    if variable:
        result.properties["assigneeVariable"] = variable.group(1)
    elif _EXPRESSION.search(assignee):
        result.problems.append(
            f"camunda:assignee '{assignee}' is a Java expression Tripflow cannot evaluate; "
            "use a user name, or ${variable} naming a case variable that holds one"
        )
    elif re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", assignee):
        result.assignee = assignee
    else:
        result.problems.append(f"camunda:assignee '{assignee}' is not a user name")


def _due_date(element: etree._Element, result: CamundaUserTask, timezone_name: str) -> None:
    due = (element.get(f"{CAMUNDA}dueDate") or "").strip()
    if not due:
        return
    variable = _VARIABLE.match(due)
    from_now = _JAVA_FROM_NOW.match(due)
    if variable:
        result.properties["dueAtVariable"] = variable.group(1)
    elif from_now:
        duration = _duration(from_now.group(1))
        result.properties["dueIn"] = duration
        result.notes.append(f"camunda:dueDate '{due}' was read as due {duration} after the task is created")
    elif _EXPRESSION.search(due):
        result.problems.append(
            f"camunda:dueDate '{due}' is a Java expression Tripflow cannot evaluate; use an "
            "ISO date-time, or ${variable} naming a case variable that holds one"
        )
    elif _ISO_DURATION.match(due):
        result.properties["dueIn"] = due
    elif _ISO_INSTANT.match(due):
        try:
            instant = datetime.fromisoformat(due.replace("Z", "+00:00"))
        except ValueError:
            result.problems.append(f"camunda:dueDate '{due}' is not a real date")
            return
        if instant.tzinfo is None:
            from zoneinfo import ZoneInfo

            instant = instant.replace(tzinfo=ZoneInfo(timezone_name))
        result.due_at = instant.isoformat()
    else:
        result.problems.append(f"camunda:dueDate '{due}' is neither an ISO date-time nor ${{variable}}")


def _duration(steps: str) -> str:
    """``.plusDays(2).plusHours(4)`` as the ISO 8601 duration ``P2DT4H``."""
    amounts: dict[str, int] = {}
    for unit, number in _JAVA_STEP.findall(steps):
        amounts[unit] = amounts.get(unit, 0) + int(number)
    date_part = "".join(f"{amounts[u]}{u[0]}" for u in ("Years", "Months", "Weeks", "Days") if u in amounts)
    time_part = "".join(f"{amounts[u]}{u[0]}" for u in ("Hours", "Minutes", "Seconds") if u in amounts)
    return "P" + date_part + (f"T{time_part}" if time_part else "")


def _form(element: etree._Element, result: CamundaUserTask) -> None:
    form_data = element.find(f"{BPMN}extensionElements/{CAMUNDA}formData")
    form_key = element.get(f"{CAMUNDA}formKey")
    if form_data is None:
        if form_key:
            result.notes.append(
                f"camunda:formKey '{form_key}' points to a form outside the model, which Tripflow "
                "cannot show; add camunda:formData fields or a JSON Schema form"
            )
        return
    if form_key:
        result.notes.append(
            f"camunda:formKey '{form_key}' is not used; the form is generated from camunda:formData"
        )
    properties: dict[str, Any] = {}
    ui: dict[str, Any] = {"ui:order": []}
    required: list[str] = []
    for form_field in form_data.findall(f"{CAMUNDA}formField"):
        _form_field(form_field, properties, ui, required, result)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": element.get("name") or element.get("id") or "Task",
        "type": "object",
        "properties": properties,
        "x-generated-from": "camunda:formData",
    }
    if required:
        schema["required"] = required
    result.form = schema
    ui["ui:order"].append("*")
    result.ui_form = ui


def _form_field(
    form_field: etree._Element,
    properties: dict[str, Any],
    ui: dict[str, Any],
    required: list[str],
    result: CamundaUserTask,
) -> None:
    name = form_field.get("id")
    kind = (form_field.get("type") or "string").strip()
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", name):
        result.problems.append(f"camunda:formField id '{name}' is not a usable variable name")
        return
    if name in properties:
        result.problems.append(f"camunda:formField '{name}' appears twice")
        return
    if kind not in _FIELD_TYPES:
        result.notes.append(f"form field '{name}' has the Camunda type '{kind}', shown as a text field")
    prop: dict[str, Any] = dict(_FIELD_TYPES.get(kind, {"type": "string"}))
    prop["title"] = form_field.get("label") or name
    if kind == "enum":
        values = [(v.get("id"), v.get("name")) for v in form_field.findall(f"{CAMUNDA}value") if v.get("id")]
        if values:
            prop["enum"] = [v for v, _ in values]
            prop["x-enum-titles"] = {"en": [label or v for v, label in values]}
        else:
            result.notes.append(f"enum form field '{name}' lists no values; shown as a text field")
    default = form_field.get("defaultValue")
    if default not in (None, ""):
        if _EXPRESSION.search(default):
            result.notes.append(f"the default of form field '{name}' is an expression and is not used")
        else:
            converted = _typed(default, prop)
            if converted is None:
                result.notes.append(f"the default '{default}' of form field '{name}' does not fit its type")
            else:
                prop["default"] = converted
    for constraint in form_field.iterfind(f"{CAMUNDA}validation/{CAMUNDA}constraint"):
        _constraint(name, constraint.get("name") or "", constraint.get("config"), prop, ui, required, result)
    properties[name] = prop
    ui["ui:order"].append(name)
    if kind == "textarea":
        ui.setdefault(name, {})["ui:widget"] = "textarea"


def _constraint(
    name: str,
    constraint: str,
    config: str | None,
    prop: dict[str, Any],
    ui: dict[str, Any],
    required: list[str],
    result: CamundaUserTask,
) -> None:
    if constraint == "required":
        required.append(name)
        if prop.get("type") == "string" and "enum" not in prop:
            prop["minLength"] = 1
    elif constraint == "readonly":
        prop["readOnly"] = True
        ui.setdefault(name, {})["ui:widget"] = "readonly"
    elif constraint in ("minlength", "maxlength", "min", "max") and config is not None:
        try:
            number = float(config) if constraint in ("min", "max") else int(config)
        except ValueError:
            result.notes.append(
                f"the {constraint} constraint of form field '{name}' is not a number and is not used"
            )
            return
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        key = {"minlength": "minLength", "maxlength": "maxLength", "min": "minimum", "max": "maximum"}[
            constraint
        ]
        prop[key] = number
    else:
        result.notes.append(
            f"the '{constraint}' constraint of form field '{name}' is not checked by Tripflow"
        )


def _typed(text: str, prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.strip().lower())
    if "enum" in prop and text not in prop["enum"]:
        return None
    return text


def form_files(process_id: str, task_id: str, task: CamundaUserTask) -> dict[str, bytes]:
    """The generated form and UI schema of one task, as the bytes stored with the version."""
    if task.form is None:
        return {}
    dump = lambda value: json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()  # noqa: E731
    return {
        form_file_name(process_id, task_id): dump(task.form),
        ui_file_name(process_id, task_id): dump(task.ui_form or {}),
    }


PLACEHOLDER_MARK = "missing form file"


def placeholder_form(file_name: str, element: etree._Element) -> bytes:
    """A form without fields for a task of an imported model whose form file did not come along.

    Marked, so a later deploy does not take it for the real file (``is_placeholder``).
    """
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": element.get("name") or element.get("id") or "Task",
        "type": "object",
        "properties": {},
        "x-generated-from": PLACEHOLDER_MARK,
    }
    if file_name.endswith(("uischema.json", "ui.json")):
        schema = {"x-generated-from": PLACEHOLDER_MARK}
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True).encode()


def is_placeholder(content: bytes) -> bool:
    return PLACEHOLDER_MARK.encode() in content[:4000] and b'"x-generated-from"' in content


def decision_ref(element: etree._Element) -> str | None:
    """``camunda:decisionRef`` of a business rule task, the Camunda way to name its decision table."""
    value = element.get(f"{CAMUNDA}decisionRef")
    return value.strip() if value else None


LISTENER_TAGS = ("executionListener", "taskListener")


def listener_problem(listener: etree._Element) -> str:
    kind = "execution listener" if etree.QName(listener).localname == "executionListener" else "task listener"
    what = (
        listener.get("class")
        or listener.get("expression")
        or listener.get("delegateExpression")
        or ("a script" if listener.find(f"{CAMUNDA}script") is not None else "code")
    )
    return (
        f"has a Camunda {kind} ({what}) that Tripflow would not run; model that work as a script task or "
        "a service task bound to a Tripflow handler"
    )
