"""Deployed processes, read-only: the list, and one process's versions, lanes, tasks and diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template, request

from workflows.deploy.queries import process_detail, process_list

from ..extensions import db
from .cases import VIEWER
from .common import page_blueprint, runtime

bp = page_blueprint("processes", __name__)


@bp.get("/processes")
def index() -> Any:
    return render_template("processes/index.html", processes=process_list(db.session))


@bp.get("/processes/<key>")
def show(key: str) -> Any:
    detail = process_detail(db.session, runtime(), key)
    version = request.args.get("version", "")
    chosen = (
        int(version)
        if version.isdigit() and any(v["version"] == int(version) for v in detail["versions"])
        else detail["version"]
    )
    viewer = Path(current_app.static_folder or "", VIEWER).is_file()
    return render_template("processes/show.html", process=detail, chosen=chosen, viewer=viewer)
