"""The Flask application: ``create_app`` builds it; nothing is created at import time."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import get_locale

from handlers import default_registry
from workflows.connections import configure_engine, end_read
from workflows.engine.clock import Clock
from workflows.engine.spiff import ProcessEngine
from workflows.runtime import Runtime

from .config import load_config
from .converters import IdConverter
from .extensions import babel, csrf, db, login_manager, migrate, talisman

LOCALES = ("zh_Hans", "en")

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],  # bpmn-js sets inline styles on diagram elements
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def select_locale() -> str:
    """The user's choice, else the browser's Accept-Language (any Chinese means zh_Hans)."""
    chosen = session.get("locale") if session else None
    if chosen in LOCALES:
        return chosen
    for language, _quality in request.accept_languages:
        tag = language.lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return "zh_Hans"


def create_app(test_config: dict[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = IdConverter  # before any route: ids beyond the columns' range are 404
    instance = Path(app.root_path).parent / "instance"
    app.config.from_mapping(load_config(instance))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    talisman.init_app(
        app,
        force_https=False,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        strict_transport_security=False,
    )

    runtime = Runtime(
        engine=ProcessEngine(
            app.config["TIMEZONE"],
            app.config["SCRIPT_TIME_LIMIT"],
            app.config["SCRIPT_MEMORY_LIMIT_MB"] * 2**20,
        ),
        handlers=default_registry(),
        timezone=app.config["TIMEZONE"],
    )
    if clock is not None:
        runtime.clock = clock
    app.extensions["tripflow"] = runtime

    with app.app_context():
        configure_engine(db.engine)

    @app.teardown_request
    def _end_read(exc: BaseException | None) -> None:
        if exc is None:  # before Flask-SQLAlchemy's session.remove(), which would roll back
            end_read(db.session)

    from .api import api, register_api_modules
    from .auth import check_signed_in_session, forget_earlier_requests, protect_browser_writes
    from .errors import register_error_handlers
    from .input_guard import refuse_control_characters
    from .login_limits import init_login_limits
    from .pages import register_pages

    init_login_limits(app)
    register_api_modules()
    app.register_blueprint(api)
    register_pages(app)
    register_error_handlers(app)
    app.before_request(forget_earlier_requests)
    app.before_request(refuse_control_characters)
    app.before_request(check_signed_in_session)
    app.before_request(protect_browser_writes)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        from .auth import current_actor

        return {"current_locale": str(get_locale()), "actor": current_actor(), "locales": LOCALES}

    from .cli import register_commands

    register_commands(app)

    if app.config["SETUP_ON_START"]:
        from .setup import prepare

        with app.app_context():
            prepare(app)
    return app
