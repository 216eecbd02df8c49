"""Deployed processes over JSON: list, read, files, deploy, validate and migrate running cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, request

from workflows.deploy import operations as deploy_service
from workflows.deploy.migration import migrate_cases
from workflows.deploy.publish import deploy_models, validate_models
from workflows.deploy.queries import process_bpmn, process_detail, process_file, process_list
from workflows.errors import Invalid
from workflows.scenarios.service import run_scenarios

from ..extensions import db
from . import actor, api, runtime
from .doc import documented

VERSION_QUERY = {"version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
MIGRATE_BODY = {
    "type": "object",
    "properties": {
        "cases": {
            "oneOf": [
                {"const": "all"},
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                },
            ]
        },
        "dry_run": {"type": "boolean"},
    },
    "required": ["cases"],
    "additionalProperties": False,
}


@api.get("/processes")
@documented("The latest version of every deployed process", tag="processes")
def processes_index() -> Any:
    return jsonify({"items": process_list(db.session), "next_cursor": None})


@api.get("/processes/<key>")
@documented("Versions, lanes and user tasks (with form schemas) of one process", tag="processes")
def process_view(key: str) -> Any:
    return jsonify(process_detail(db.session, runtime(), key))


@api.get("/processes/<key>/bpmn")
@documented("The BPMN XML of a version, byte for byte as deployed", query=VERSION_QUERY, tag="processes")
def process_xml(key: str) -> Any:
    return Response(process_bpmn(db.session, key, _version()), mimetype="application/xml")


@api.get("/processes/<key>/files/<name>")
@documented(
    "One file of a version (BPMN, DMN, form), byte for byte as deployed", query=VERSION_QUERY, tag="processes"
)
def process_file_download(key: str, name: str) -> Any:
    content, mimetype = process_file(db.session, key, name, _version())
    response = Response(content, mimetype=mimetype)
    if request.args.get("download"):
        response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


def _version() -> int | None:
    return int(request.args["version"]) if request.args.get("version") else None


def _uploads() -> list[tuple[str, bytes]]:
    files = request.files.getlist("file")
    if not files:
        raise Invalid(
            "no files", [{"field": "file", "message": "upload one or more files as multipart 'file' parts"}]
        )
    return [(f.filename or "unnamed", f.read(deploy_service.MAX_MODEL_FILE_BYTES + 1)) for f in files]


@api.post("/processes")
@documented(
    "Deploy BPMN, DMN and form files (multipart 'file' parts); all or nothing",
    tag="processes",
    query={"force": {"enum": ["true", "false"]}},
    responses={
        201: "new versions",
        409: "the model's scenarios fail (deploy anyway with force=true)",
        413: "a file is too large",
        422: "invalid models",
    },
)
def deploy_processes() -> Any:
    results = deploy_models(
        db.session,
        runtime(),
        _uploads(),
        actor(),
        scenario_root=_scenario_root(),
        force=request.args.get("force") == "true",
    )
    created = any(r.created for r in results)
    first = results[0].as_dict() if results else {}
    return jsonify(
        {**first, "items": [r.as_dict() for r in results], "notes": results.notes}
    ), 201 if created else 200


@api.post("/processes/<key>/validate")
@documented(
    "Check files as a deploy would, deploying nothing",
    tag="processes",
    responses={413: "a file is too large", 422: "invalid models"},
)
def validate_processes(key: str) -> Any:
    results = validate_models(db.session, runtime(), _uploads(), actor())
    return jsonify({"valid": True, "items": [r.as_dict() for r in results], "notes": results.notes})


def _scenario_root() -> Path:
    return Path(current_app.config["BPMN_DIR"]) / "scenarios"


@api.post("/processes/<key>/scenarios/run")
@documented(
    "Play the scenarios of a process against uploaded files (multipart 'file' parts) in a throwaway "
    "database, deploying nothing: pass or fail per scenario and the model's coverage",
    tag="processes",
    responses={413: "a file is too large", 422: "invalid models"},
)
def run_process_scenarios(key: str) -> Any:
    return jsonify(run_scenarios(db.session, runtime(), key, _uploads(), _scenario_root(), actor()))


@api.post("/processes/<key>/migrate")
@documented(
    "Move running cases to the newest version where their state allows; dry_run lists what would move",
    body=MIGRATE_BODY,
    tag="processes",
)
def migrate_process_cases(key: str, body: dict[str, Any]) -> Any:
    newest, outcomes = migrate_cases(
        db.session, runtime(), key, body["cases"], dry_run=body.get("dry_run", False), actor=actor()
    )
    return jsonify(
        {
            "process": key,
            "to_version": newest.version,
            "dry_run": body.get("dry_run", False),
            "items": [o.as_dict() for o in outcomes],
        }
    )
