"""Getting a database ready: schema, the models in bpmn/; demo users only where asked for.

Demo users have well-known passwords, so only ``make run`` (``TRIPFLOW_DEMO_USERS=1``) and
``flask demo`` create them; ``make serve``, ``flask init-db`` and every other start create no user.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from workflows.deploy import operations as deploy_service
from workflows.deploy.publish import deploy_models
from workflows.models import User
from workflows.people.accounts import seed_first_users
from workflows.permissions import SYSTEM, Actor

from .extensions import db

DEMO_USERS = (
    # user name, display name, roles
    ("account_manager", "王丽 Wang Li", ["account_manager"]),
    ("travel_advisor", "陈杰 Chen Jie", ["travel_advisor"]),
    ("project_manager", "刘洋 Liu Yang", ["project_manager"]),
    ("customer_service", "赵敏 Zhao Min", ["customer_service"]),
    ("service_supervisor", "孙强 Sun Qiang", ["service_supervisor"]),
    ("data_analyst", "周婷 Zhou Ting", ["data_analyst"]),
    ("tour_guide", "马骏 Ma Jun", ["tour_guide"]),
    ("finance", "郑红 Zheng Hong", ["finance"]),
    ("process_owner", "吴刚 Wu Gang", ["process_owner"]),
    ("admin", "Admin", ["admin"]),
)


def demo_password(username: str) -> str:
    return f"{username}-demo"


def init_schema(app: Flask) -> None:
    """Create or migrate the schema (Alembic migrations in migrations/)."""
    from flask_migrate import upgrade

    migrations = Path(app.root_path).parent / "migrations"
    upgrade(directory=str(migrations))


def deploy_directory(app: Flask, path: Path, author: str = "system") -> list[deploy_service.DeployResult]:
    """Deploy every model file under ``path``; no new version where nothing changed."""
    files = sorted(p for p in path.rglob("*") if p.is_file() and deploy_service.file_kind(p.name))
    return deploy_uploads(app, [(p.name, p.read_bytes()) for p in files], author)


def deploy_uploads(
    app: Flask, uploads: list[tuple[str, bytes]], author: str = "system"
) -> list[deploy_service.DeployResult]:
    return deploy_models(db.session, app.extensions["tripflow"], uploads, Actor(author, SYSTEM.roles))


def add_demo_users(app: Flask) -> list[tuple[str, str, list[str]]]:
    """One user per role, when the database has no users yet; returns who was created."""
    now = app.extensions["tripflow"].clock.now()
    wanted = [(name, display, demo_password(name), roles) for name, display, roles in DEMO_USERS]
    created = set(seed_first_users(db.session, wanted, now=now))
    return [(name, password, roles) for name, _, password, roles in wanted if name in created]


def prepare(app: Flask) -> None:
    """What the server does at start: schema, models; demo users only with ``DEMO_USERS`` (``make run``)."""
    init_schema(app)
    deploy_directory(app, Path(app.config["BPMN_DIR"]))
    if app.config["DEMO_USERS"]:
        if add_demo_users(app):
            print("Created demo users with well-known passwords (TRIPFLOW_DEMO_USERS=1, as make run sets):")
        print_demo_users()


def print_demo_users() -> None:
    """The demo users still on file, with the password they were given (unless someone changed it)."""
    demo_names = [username for username, _display, _roles in DEMO_USERS]
    names = set(db.session.scalars(select(User.username).where(User.username.in_(demo_names))))
    if names:
        print("Demo users (user name / password), for trying Tripflow out only:", flush=True)
        for username, _display, roles in DEMO_USERS:
            if username in names:
                print(f"  {username:20s} {demo_password(username):28s} {', '.join(roles)}", flush=True)
