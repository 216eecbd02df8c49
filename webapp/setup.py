"""Getting a database ready: schema, the models in bpmn/, and demo users on a fresh install."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select, text

from workflows.cases.step import begin_write
from workflows.deploy import operations as deploy_service
from workflows.models import User
from workflows.people.users import add_user

from .extensions import db

DEMO_USERS = (
    # user name, display name, roles
    ("account_manager", "王丽 Wang Li", ["account_manager"]),
    ("travel_advisor", "陈杰 Chen Jie", ["travel_advisor"]),
    ("project_manager", "刘洋 Liu Yang", ["project_manager"]),
    ("customer_service", "赵敏 Zhao Min", ["customer_service"]),
    ("service_supervisor", "孙强 Sun Qiang", ["service_supervisor"]),
    ("data_analyst", "周婷 Zhou Ting", ["data_analyst"]),
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
    rt = app.extensions["tripflow"]
    begin_write(db.session)
    if db.engine.dialect.name == "postgresql":
        # several servers starting at once deploy one after the other
        db.session.execute(text("SELECT pg_advisory_xact_lock(7461)"))
    try:
        results = deploy_service.deploy(
            db.session, uploads, author=author, now=rt.clock.now(), handler_names=rt.handler_names
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return results


def add_demo_users(app: Flask) -> list[tuple[str, str, list[str]]]:
    """One user per role, when the database has no users yet; returns who was created."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        return []
    now = app.extensions["tripflow"].clock.now()
    created = []
    for username, display_name, roles in DEMO_USERS:
        add_user(db.session, username, demo_password(username), roles, now=now, display_name=display_name)
        created.append((username, demo_password(username), roles))
    db.session.commit()
    return created


def prepare(app: Flask) -> None:
    """What the server does at start: schema, models, demo users (printed once)."""
    init_schema(app)
    deploy_directory(app, Path(app.config["BPMN_DIR"]))
    if app.config["DEMO_USERS"]:
        add_demo_users(app)
        print_demo_users()


def print_demo_users() -> None:
    """The demo users still on file, with the password they were given (unless someone changed it)."""
    demo_names = [username for username, _display, _roles in DEMO_USERS]
    names = set(db.session.scalars(select(User.username).where(User.username.in_(demo_names))))
    if names:
        print("Demo users (user name / password):", flush=True)
        for username, _display, roles in DEMO_USERS:
            if username in names:
                print(f"  {username:20s} {demo_password(username):28s} {', '.join(roles)}", flush=True)
