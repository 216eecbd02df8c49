"""Errors become answers: JSON for the API, a friendly page for people; never a stack trace."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from workflows.errors import Conflict, Forbidden, Invalid, InvalidModel, NotFound, TooLarge, TripflowError

log = logging.getLogger("tripflow")

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 400, InvalidModel: 422, TooLarge: 413}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Any:
    response = jsonify({"error": code, "message": message, "details": details or []})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(TripflowError)
    def _service_error(exc: TripflowError) -> Any:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        if is_api_request():
            return api_error(status, exc.code, exc.message, exc.details)
        return render_template("error.html", status=status, message=exc.message, details=exc.details), status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        message = _("The form expired or was sent from elsewhere. Please reload the page and try again.")
        if is_api_request():
            return api_error(
                400,
                "csrf",
                "missing or invalid CSRF token",
                [{"field": "csrf_token", "message": exc.description}],
            )
        return render_template("error.html", status=400, message=message, details=[]), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if is_api_request():
            code = {
                401: "unauthorized",
                403: "forbidden",
                404: "not_found",
                405: "method_not_allowed",
                413: "too_large",
                429: "too_many_requests",
            }.get(status, "http_error")
            return api_error(status, code, exc.description or exc.name)
        return render_template(
            "error.html", status=status, message=exc.description or exc.name, details=[]
        ), status

    @app.errorhandler(OperationalError)
    def _database_busy(exc: OperationalError) -> Any:
        request_id = uuid.uuid4().hex[:12]
        log.error("database error [%s]", request_id, exc_info=exc)
        if is_api_request():
            return api_error(503, "unavailable", f"the database is busy; try again (request {request_id})")
        return render_template(
            "error.html",
            status=503,
            message=_("The service is busy. Please try again."),
            request_id=request_id,
            details=[],
        ), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        request_id = uuid.uuid4().hex[:12]
        log.error("unhandled error [%s] %s %s", request_id, request.method, request.path, exc_info=exc)
        if is_api_request():
            return api_error(500, "server_error", f"something went wrong on our side (request {request_id})")
        return render_template(
            "error.html",
            status=500,
            message=_("Something went wrong on our side."),
            request_id=request_id,
            details=[],
        ), 500
