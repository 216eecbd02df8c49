"""The process owners' workbench: every process with its versions, any version's diagram and files,
the BPMN modeler with decision tables and forms, and moving running cases to a new version.

Employees may look; only process owners edit, deploy and migrate. Saving in the modeler deploys
through the JSON API (``POST /api/v1/processes``) with the session cookie and CSRF token, so the
page and scripts go through the same checks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from flask import abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workflows.deploy.queries import deployed_form_names, process_catalogue, process_detail, version_row
from workflows.engine.xml import file_kind
from workflows.errors import Forbidden, Invalid
from workflows.permissions import DEPLOY, LANE_ROLES

from ..extensions import db
from ..form_data import raw_from_data
from ..form_render import FormContext, build_form
from .common import actor, page_blueprint, runtime
from .field_errors import error_text

bp = page_blueprint("models", __name__)
MODELER = "vendor/modeler/modeler.js"
VIEWER = "vendor/bpmn-navigated-viewer.production.min.js"


@bp.before_request
def _employees_only() -> None:
    if not actor().is_employee:
        abort(403)


def _require_owner() -> None:
    if not actor().has_any(DEPLOY):
        raise Forbidden(_("Only process owners can edit and deploy models."))


def _asset(path: str) -> bool:
    return Path(current_app.static_folder or "", path).is_file()


@bp.get("/models")
def index() -> Any:
    return render_template(
        "models/index.html", processes=process_catalogue(db.session), may_edit=actor().has_any(DEPLOY)
    )


@bp.get("/models/<key>")
def show(key: str) -> Any:
    detail = process_detail(db.session, runtime(), key)
    version = request.args.get("version", "")
    chosen = (
        int(version)
        if version.isdigit() and any(v["version"] == int(version) for v in detail["versions"])
        else detail["version"]
    )
    selected = next(v for v in detail["versions"] if v["version"] == chosen)
    files = [
        {
            "name": name,
            "kind": file_kind(name) or "file",
            "generated": ".camunda-" in name,
            "url": url_for("api.process_file_download", key=key, name=name, version=chosen),
        }
        for name in selected["files"]
    ]
    return render_template(
        "models/show.html",
        process=detail,
        chosen=chosen,
        selected=selected,
        files=files,
        viewer=_asset(VIEWER),
        may_edit=actor().has_any(DEPLOY),
        outdated=sum(v["running_cases"] for v in detail["versions"] if v["version"] != detail["version"]),
    )


@bp.get("/models/<key>/edit")
def edit(key: str) -> Any:
    _require_owner()
    version = request.args.get("version", "")
    row = version_row(db.session, key, int(version) if version.isdigit() else None)
    files = [
        {
            "name": name,
            "kind": file_kind(name) or "file",
            "generated": ".camunda-" in name,
            "url": url_for("api.process_file_download", key=key, name=name, version=row.version),
        }
        for name in row.manifest
    ]
    return _workbench(key, row.name, row.version, row.bpmn_file, files, None)


KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


@bp.get("/models/new")
def new() -> Any:
    _require_owner()
    key = request.args.get("key", "").strip()
    name = request.args.get("name", "").strip()[:120] or key
    if not KEY.match(key):
        return render_template(
            "models/new.html",
            key=key,
            name=name,
            error=_("Use letters, digits and _ only, starting with a letter.") if key else None,
        )
    return _workbench(key, name, None, f"{key}.bpmn", [], blank_process(key, name))


def _workbench(
    key: str,
    name: str,
    version: int | None,
    bpmn_file: str,
    files: list[dict[str, Any]],
    template: str | None,
) -> Any:
    rt = runtime()
    data = {
        "key": key,
        "name": name,
        "version": version,
        "bpmnFile": bpmn_file,
        "bpmnUrl": url_for("api.process_xml", key=key, version=version) if version else None,
        "template": template,
        "files": files,
        "deployUrl": url_for("api.deploy_processes"),
        "validateUrl": url_for("api.validate_processes", key=key),
        "scenariosUrl": url_for("api.run_process_scenarios", key=key),
        "previewUrl": url_for("models.form_preview"),
        "showUrl": url_for("models.show", key=key),
        "handlers": sorted(rt.handler_names),
        "roles": list(LANE_ROLES),
        "processes": [p["key"] for p in process_catalogue(db.session)],
        "forms": deployed_form_names(db.session),
        "text": _texts(),
    }
    return render_template(
        "models/edit.html", key=key, name=name, version=version, data=data, modeler=_asset(MODELER)
    )


def _texts() -> dict[str, str]:
    """The words the modeler's script shows, in the page's language."""
    return {
        "saving": _("Deploying…"),
        "saved": _("Version %(n)s deployed.", n="{n}"),
        "unchanged": _("Nothing changed: version %(n)s stays current.", n="{n}"),
        "layoutKept": _("Only the layout changed: it is kept with version %(n)s, no new version.", n="{n}"),
        "newVersions": _("New versions: %(list)s; nothing else changed.", list="{list}"),
        "failed": _("Not deployed: fix the problems listed."),
        "noChanges": _("No changes to deploy."),
        "checking": _("Checking…"),
        "opened": _("Opened %(file)s: not deployed until you save.", file="{file}"),
        "valid": _("No problems found."),
        "problems": _("Problems"),
        "lint": _("Modelling hints"),
        "server": _("Deploy checks"),
        "properties": _("Properties"),
        "nothingSelected": _("Select an element to see what Tripflow reads from it."),
        "id": _("Id"),
        "name": _("Name"),
        "type": _("Type"),
        "lane": _("Lane"),
        "form": _("Task form (JSON Schema)"),
        "uiForm": _("Form layout (UI schema)"),
        "none": _("— none —"),
        "dueIn": _("Due in (ISO duration)"),
        "dueAt": _("Due at (case variable)"),
        "assignee": _("Assignee (case variable)"),
        "handler": _("Handler"),
        "script": _("Script (Python)"),
        "preScript": _("Before the task (Python)"),
        "postScript": _("After the task (Python)"),
        "condition": _("Condition (Python)"),
        "timer": _("Timer"),
        "timeDate": _("At (date-time expression)"),
        "timeDuration": _("After (duration expression)"),
        "timeCycle": _("Every (cycle expression)"),
        "decision": _("Decision table"),
        "called": _("Process to call"),
        "openTable": _("Open the table"),
        "editForm": _("Edit the form"),
        "documentation": _("Documentation"),
        "laneHint": _("Set by the lane the task lies in on the diagram."),
        "processId": _("Process id"),
        "unsaved": _("Unsaved changes"),
        "preview": _("Preview"),
        "previewFailed": _("The preview could not be shown."),
        "newForm": _("New form file name"),
        "add": _("Add"),
        "invalidJson": _("Not valid JSON"),
        "tableMissing": _("This process has no decision table."),
        "formMissing": _("This process has no forms yet."),
        "otherFile": _("in another file"),
        "leave": _("You have changes that are not deployed. Leave anyway?"),
        "scenariosRunning": _("Playing the scenarios…"),
        "scenariosNone": _("This process has no scenarios yet."),
        "scenariosPassed": _("Every scenario passes."),
        "scenariosFailed": _("%(n)s scenario(s) fail.", n="{n}"),
        "scenariosFailDeploy": _(
            "Scenarios of this model fail (see the Scenarios tab). "
            "Click Save and deploy again to deploy anyway."
        ),
        "passed": _("passed"),
        "failedVerdict": _("failed"),
        "failingStep": _("Step %(n)s (%(action)s) of %(file)s", n="{n}", action="{action}", file="{file}"),
        "expected": _("Expected"),
        "actual": _("Actual"),
        **_builder_texts(),
        "coverage": _(
            "%(percent)s %% covered: %(nodes)s elements, %(flows)s flows",
            percent="{percent}",
            nodes="{nodes}",
            flows="{flows}",
        ),
    }


def _builder_texts() -> dict[str, str]:
    """The words of the visual form builder (webapp/static/js/modeler/formbuilder.js)."""
    return {
        "fbFixJson": _("The builder shows a form once its JSON is a valid object: fix it in the JSON view."),
        "fbNotObject": _("A form is a JSON object."),
        "fbFormTitleZh": _("Form title (Chinese)"),
        "fbFormTitleEn": _("Form title (English)"),
        "fbAddField": _("Add a field"),
        "fbId": _("Field id"),
        "fbBadId": _("Give each field its own id: letters, digits and _, not starting with a digit."),
        "fbLabelZh": _("Label (Chinese)"),
        "fbLabelEn": _("Label (English)"),
        "fbRequired": _("Required"),
        "fbHelpZh": _("Help text (Chinese)"),
        "fbHelpEn": _("Help text (English)"),
        "fbText": _("Text"),
        "fbTextarea": _("Long text"),
        "fbNumber": _("Number"),
        "fbMoney": _("Money"),
        "fbDate": _("Date"),
        "fbYesNo": _("Yes/no"),
        "fbChoice": _("Choice"),
        "fbRows": _("List of rows"),
        "fbOther": _("Other (edit in JSON)"),
        "fbOtherHint": _("This field uses JSON Schema the builder does not show; it is kept as it is."),
        "fbMin": _("Minimum"),
        "fbMax": _("Maximum"),
        "fbMinLength": _("Fewest characters"),
        "fbMaxLength": _("Most characters"),
        "fbMinRows": _("Fewest rows"),
        "fbMaxRows": _("Most rows"),
        "fbColumns": _("Columns (field ids, comma-separated)"),
        "fbChoices": _("Choices"),
        "fbValue": _("Value"),
        "fbAddChoice": _("Add a choice"),
        "fbDateAfter": _("Must be after"),
        "fbRequiredWhen": _("Required when"),
        "fbEquals": _("is"),
        "fbYes": _("Yes"),
        "fbNo": _("No"),
        "fbDrag": _("Drag to reorder"),
        "fbUp": _("Move up"),
        "fbDown": _("Move down"),
        "fbRemove": _("Remove"),
    }


@bp.post("/models/forms/preview")
def form_preview() -> Any:
    """A form schema rendered by the same renderer the task pages use (an HTML fragment)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested past Python's limit
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("schema"), dict):
        raise Invalid("send {schema, ui_schema}", [{"field": "schema", "message": "must be a JSON object"}])
    schema, ui = body["schema"], body.get("ui_schema") if isinstance(body.get("ui_schema"), dict) else {}
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return render_template("models/_form_preview.html", fields=[], problem=exc.message), 200
    except RecursionError:
        return render_template(
            "models/_form_preview.html", fields=[], problem=_("The form is nested too deeply.")
        ), 200
    rt = runtime()
    try:
        raw = raw_from_data(schema, {}, rt.timezone)
        fields, _unplaced = build_form(
            schema, ui, raw, [], FormContext(str(get_locale()), rt.timezone), error_text
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return render_template("models/_form_preview.html", fields=[], problem=str(exc)), 200
    return render_template("models/_form_preview.html", fields=fields, problem=None)


def blank_process(key: str, name: str) -> str:
    """A new process: a start event, one user task and an end event, laid out left to right."""
    key, name = escape(key), escape(name, {'"': "&quot;"})
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_{key}" targetNamespace="http://tripflow.example/bpmn" exporter="Tripflow" exporterVersion="1.0">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start_{key}" name="Start"><bpmn:outgoing>flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first_task" name="First task">
      <bpmn:incoming>flow_start</bpmn:incoming><bpmn:outgoing>flow_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_{key}" name="Done"><bpmn:incoming>flow_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start_{key}" targetRef="first_task"/>
    <bpmn:sequenceFlow id="flow_end" sourceRef="first_task" targetRef="end_{key}"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{key}">
    <bpmndi:BPMNPlane id="plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_{key}_di" bpmnElement="start_{key}">
        <dc:Bounds x="160" y="142" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="first_task_di" bpmnElement="first_task">
        <dc:Bounds x="260" y="120" width="100" height="80"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_{key}_di" bpmnElement="end_{key}">
        <dc:Bounds x="620" y="142" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start"><di:waypoint x="196" y="160"/>
        <di:waypoint x="260" y="160"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_end_di" bpmnElement="flow_end"><di:waypoint x="360" y="160"/>
        <di:waypoint x="620" y="160"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
