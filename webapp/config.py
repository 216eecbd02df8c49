"""Every configuration key, declared once with its default and the environment variable that sets it."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SETTINGS: dict[str, tuple[str, Any, str]] = {
    # key: (environment variable, default, what it is for)
    "SECRET_KEY": ("SECRET_KEY", None, "signs sessions and CSRF tokens; generated into instance/ when unset"),
    "SQLALCHEMY_DATABASE_URI": ("DATABASE_URL", None, "SQLAlchemy URL; default: SQLite file in instance/"),
    "TIMEZONE": ("TIMEZONE", "Asia/Shanghai", "the agency's time zone: dates and local timer instants"),
    "BPMN_DIR": ("BPMN_DIR", str(ROOT / "bpmn"), "models deployed at start"),
    "SETUP_ON_START": (
        "TRIPFLOW_SETUP_ON_START",
        True,
        "migrate the schema and deploy bpmn/ at start",
    ),
    "DEMO_USERS": (
        "TRIPFLOW_DEMO_USERS",
        False,
        "create one demo user per role (password <name>-demo) on an empty database: `make run` only",
    ),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", False, "set true behind HTTPS"),
    "RATELIMIT_ENABLED": ("TRIPFLOW_LOGIN_LIMITS", True, "refuse sign-ins after too many failures (429)"),
    "RATELIMIT_STORAGE_URI": (
        "RATELIMIT_STORAGE_URI",
        "database",
        "where login failures are counted: 'database' (shared by every worker), or redis://host:port/db",
    ),
    "SESSION_IDLE_MINUTES": ("SESSION_IDLE_MINUTES", 8 * 60, "a browser session unused this long ends"),
    "SESSION_MAX_DAYS": ("SESSION_MAX_DAYS", 7, "a browser session ends this long after sign-in"),
    "TOKEN_LIFETIME_DAYS": ("TOKEN_LIFETIME_DAYS", 30, "an API token expires this long after it is issued"),
    "MAX_CONTENT_LENGTH": (
        "MAX_CONTENT_LENGTH",
        12 * 1024 * 1024,
        "largest request body, in bytes (attachments: 10 MB)",
    ),
    "SMTP_URL": (
        "SMTP_URL",
        "",
        "mail server for notices, smtp://user:pass@host:587?starttls=1&from=desk@agency.cn; unset: no e-mail",
    ),
    "MAIL_FROM": ("MAIL_FROM", "tripflow@localhost", "sender of notice e-mails unless SMTP_URL names one"),
    "ROLE_WEBHOOKS": (
        "TRIPFLOW_ROLE_WEBHOOKS",
        "",
        "WeCom / DingTalk group-robot URL per role: customer_service=https://...,account_manager=https://...",
    ),
    "BELL_POLL_SECONDS": ("TRIPFLOW_BELL_POLL_SECONDS", 20, "how often an open page asks for new notices"),
    "INBOX_ESCALATION_HOURS": (
        "INBOX_ESCALATION_HOURS",
        4.0,
        "a task due within this many hours comes first in the inbox, right after overdue work",
    ),
    "SCRIPT_TIME_LIMIT": ("SCRIPT_TIME_LIMIT", 1.0, "seconds a BPMN script may run"),
    "SCRIPT_MEMORY_LIMIT_MB": ("SCRIPT_MEMORY_LIMIT_MB", 256, "megabytes a BPMN script may allocate"),
    "TIMER_STEP_TIMEOUT": (
        "TIMER_STEP_TIMEOUT",
        10.0,
        "seconds a timer worker step may run before its watchdog stops it and makes it an incident",
    ),
}


def escalation_window() -> timedelta:
    """How far ahead a due time makes a task urgent in the inbox (``INBOX_ESCALATION_HOURS``)."""
    from flask import current_app

    return timedelta(hours=float(current_app.config.get("INBOX_ESCALATION_HOURS") or 4))


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def load_config(instance_path: Path) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, (env, default, _doc) in SETTINGS.items():
        raw = os.environ.get(env)
        config[key] = _coerce(raw, default) if raw is not None and default is not None else (raw or default)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'tripflow.db'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance_path)
    config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_CHECK_DEFAULT=False,
        BABEL_DEFAULT_LOCALE="zh_Hans",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        SQLALCHEMY_ENGINE_OPTIONS={},  # no pool_pre_ping: a socket check at checkout (configure_engine)
        JSON_SORT_KEYS=False,
    )
    return config


def _instance_secret(instance_path: Path) -> str:
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
