"""Deployed processes over JSON: list, read, BPMN XML, deploy and validate."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from workflows import deploy as deploy_service
from workflows.errors import Invalid
from workflows.permissions import DEPLOY
from workflows.process_queries import process_detail, process_list, process_bpmn

from ..extensions import db
from . import actor, api, runtime
from .doc import documented


@api.get("/processes")
@documented("The latest version of every deployed process", tag="processes")
def processes_index() -> Any:
    return jsonify({"items": process_list(db.session), "next_cursor": None})


@api.get("/processes/<key>")
@documented("Versions, lanes and user tasks (with form schemas) of one process", tag="processes")
def process_view(key: str) -> Any:
    return jsonify(process_detail(db.session, runtime(), key))


@api.get("/processes/<key>/bpmn")
@documented("The BPMN XML of a version, byte for byte as deployed",
            query={"version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}, tag="processes")
def process_xml(key: str) -> Any:
    version = int(request.args["version"]) if request.args.get("version") else None
    return Response(process_bpmn(db.session, key, version), mimetype="application/xml")


def _uploads() -> list[tuple[str, bytes]]:
    files = request.files.getlist("file")
    if not files:
        raise Invalid("no files", [{"field": "file", "message": "upload one or more files as multipart 'file' parts"}])
    return [(f.filename or "unnamed", f.read(deploy_service.MAX_MODEL_FILE_BYTES + 1)) for f in files]


@api.post("/processes")
@documented("Deploy BPMN, DMN and form files (multipart 'file' parts); all or nothing", tag="processes",
            responses={201: "new versions", 413: "a file is too large", 422: "invalid models"})
def deploy_processes() -> Any:
    who = actor()
    who.require(DEPLOY, "deploying")
    rt = runtime()
    results = deploy_service.deploy(db.session, _uploads(), author=who.username, now=rt.clock.now(),
                                    handler_names=rt.handler_names)
    db.session.commit()
    created = any(r.created for r in results)
    first = results[0].__dict__ if results else {}
    return jsonify({**first, "items": [r.__dict__ for r in results]}), 201 if created else 200


@api.post("/processes/<key>/validate")
@documented("Check files as a deploy would, deploying nothing", tag="processes",
            responses={422: "invalid models"})
def validate_processes(key: str) -> Any:
    who = actor()
    who.require(DEPLOY, "validating")
    rt = runtime()
    try:
        results = deploy_service.deploy(db.session, _uploads(), author=who.username, now=rt.clock.now(),
                                        handler_names=rt.handler_names, dry_run=True)
    finally:
        db.session.rollback()
    return jsonify({"valid": True, "items": [r.__dict__ for r in results]})
