"""Errors reach people as friendly pages in both languages and reach scripts as JSON; no stack
trace ever does. A server error is logged with a request id that the answer shows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from webapp import create_app
from webapp.extensions import db

from .conftest import PASSWORD, SHARED_SPECS, app_config

SECRET = "secret-internal-detail-42"
TRACE_MARKERS = ("Traceback", 'File "', "RuntimeError", SECRET, "site-packages", "/work/")


def _fail() -> Any:
    raise RuntimeError(SECRET)


def _busy() -> Any:
    raise OperationalError("SELECT 1", {}, Exception(f"database is locked {SECRET}"))


@pytest.fixture
def failing_app(database_url: str, clock: Any) -> Iterator[Flask]:
    """The real app plus test-only routes that fail, added before its first request."""
    app = create_app(app_config(database_url), clock=clock)
    app.extensions["tripflow"].specs = SHARED_SPECS
    app.add_url_rule("/boom", "boom", _fail)
    app.add_url_rule("/api/v1/boom", "api_boom", _fail, methods=["GET", "POST"])
    app.add_url_rule("/busy", "busy", _busy)
    app.add_url_rule("/api/v1/busy", "api_busy", _busy)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def no_trace(response: Any) -> None:
    text = response.get_data(as_text=True)
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{marker!r} reached the client"


def test_a_server_error_in_the_api_is_json_with_a_logged_request_id(failing_app, caplog):
    with caplog.at_level(logging.ERROR, logger="tripflow"):
        response = failing_app.test_client().post("/api/v1/boom", json={"x": 1})
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "server_error" and body["details"] == []
    request_id = re.search(r"request ([0-9a-f]{8,})", body["message"]).group(1)
    no_trace(response)
    [entry] = [r for r in caplog.records if request_id in r.getMessage()]
    assert "POST /api/v1/boom" in entry.getMessage()
    assert entry.exc_info and SECRET in str(entry.exc_info[1])  # the detail is in the log, not the answer


@pytest.mark.parametrize(
    "language, words", [("en", "Something went wrong on our side"), ("zh-CN,zh;q=0.9", "系统出现了问题")]
)
def test_a_server_error_on_a_page_is_friendly_in_both_languages(failing_app, caplog, language, words):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="tripflow"):
        response = client.get("/boom", headers={"Accept-Language": language})
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert words in page
    no_trace(response)
    request_id = re.search(r'class="mono">([0-9a-f]{8,})<', page).group(1)
    assert any(request_id in r.getMessage() for r in caplog.records)


def test_request_ids_differ(failing_app):
    client = failing_app.test_client()
    ids = {client.get("/api/v1/boom").get_json()["message"] for _ in range(3)}
    assert len(ids) == 3


def test_a_busy_database_is_503_with_a_request_id(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="tripflow"):
        api = client.get("/api/v1/busy")
        page = client.get("/busy", headers={"Accept-Language": "en"})
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"
    assert re.search(r"request [0-9a-f]{8,}", api.get_json()["message"])
    assert page.status_code == 503 and "The service is busy" in page.get_data(as_text=True)
    no_trace(api)
    no_trace(page)


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "en",
            {404: "We could not find that page", 403: "This is not yours to do", 405: "not possible here"},
        ),
        ("zh-CN", {404: "找不到该页面", 403: "您无权执行此操作", 405: "此处无法执行该操作"}),
    ],
)
def test_client_errors_on_pages_are_friendly_in_both_languages(app, language, words):
    client = app.test_client()
    client.post("/login", data={"username": "data_analyst", "password": PASSWORD})
    headers = {"Accept-Language": language}
    answers = {
        404: client.get("/cases/999999", headers=headers),
        403: client.get("/customers/new", headers=headers),
        405: client.delete("/inbox", headers=headers),
    }
    for status, response in answers.items():
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert words[status] in response.get_data(as_text=True), status
        no_trace(response)


def test_api_errors_are_json_never_html(api, client):
    api.as_("data_analyst")
    answers = {
        404: api.get("/api/v1/cases/999999"),
        403: api.post("/api/v1/customers", json={"name": "x"}),
        405: api.client.delete("/api/v1/cases", headers=api._headers()),
        401: client.get("/api/v1/cases"),
        400: api.post("/api/v1/cases", data="{oops", content_type="application/json"),
    }
    for status, response in answers.items():
        assert response.status_code == status
        assert response.mimetype == "application/json", status
        body = response.get_json()
        assert set(body) >= {"error", "message", "details"} and body["message"], body
        no_trace(response)
