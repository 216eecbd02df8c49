"""The command line of API.md: ``flask --app webapp ...`` or ``tripflow ...``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from workflows.engine.clock import FixedClock
from workflows.errors import TripflowError
from workflows.permissions import ROLES, SYSTEM

from .extensions import db


def _runtime():  # type: ignore[no-untyped-def]
    return current_app.extensions["tripflow"]


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the schema."""
    from .setup import init_schema

    init_schema(current_app)
    click.echo("schema is up to date")


@click.command("demo")
@click.option("--users-only", is_flag=True, help="only the demo users, no case history")
@click.option("--if-new", is_flag=True, help="history only into a database without cases (make run)")
@with_appcontext
def demo_command(users_only: bool, if_new: bool) -> None:
    """Load demo users (one per role, well-known passwords) and, unless --users-only, demo history.

    Never on a server others can reach: anyone can sign in as these users.
    """
    from .setup import add_demo_users, demo_password

    created = add_demo_users(current_app)
    if created:
        click.echo("Created demo users with well-known passwords (to try Tripflow out, not for real use):")
    for username, password, roles in created:
        click.echo(f"  {username:20s} {password:28s} {', '.join(roles)}")
    if not created:
        click.echo(
            "the database has users already, so no demo users were added "
            "(demo users' passwords are <user name>-demo, e.g. " + demo_password("account_manager") + ")"
        )
    if not users_only:
        from demo import any_case_exists, load_demo_history

        if if_new and any_case_exists():
            click.echo("the database has cases already: no demo history loaded")
            return
        click.echo(load_demo_history(current_app))


@click.group("users")
def users_group() -> None:
    """Manage users (the command line acts with every right, as the system)."""


def _account_operation(run):  # type: ignore[no-untyped-def]
    """Run one accounts operation; its refusal becomes a command-line error, not a traceback."""
    try:
        return run()
    except TripflowError as exc:
        db.session.rollback()
        details = "; ".join(str(d.get("message", d)) for d in exc.details)
        message = exc.message if not details or details == exc.message else f"{exc.message} ({details})"
        raise click.ClickException(message) from None


@users_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@with_appcontext
def users_add(name: str, roles: tuple[str, ...], password: str, display_name: str) -> None:
    """Add user NAME with one or more roles (asks for the password unless --password is given)."""
    from workflows.people.accounts import create_account

    _account_operation(
        lambda: create_account(
            db.session,
            SYSTEM,
            name,
            password,
            list(roles),
            now=_runtime().clock.now(),
            display_name=display_name,
        )
    )
    click.echo(f"added {name} ({', '.join(roles)})")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """Every user: name, active or disabled, roles."""
    from workflows.people.accounts import list_accounts

    for account in _account_operation(lambda: list_accounts(db.session, SYSTEM)):
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username:24s} {state:9s} {', '.join(account.roles)}")


@users_group.command("passwd")
@click.argument("name")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_passwd(name: str, password: str) -> None:
    """Give NAME a new password: their sessions end and their API tokens are revoked."""
    from workflows.people.accounts import change_password

    now = _runtime().clock.now()
    _account_operation(lambda: change_password(db.session, SYSTEM, name, password, now=now))
    click.echo(f"new password for {name}; their sessions ended and their tokens were revoked")


@users_group.command("disable")
@click.argument("name")
@with_appcontext
def users_disable(name: str) -> None:
    """Disable NAME: their sessions and tokens stop working at once."""
    from workflows.people.accounts import set_active

    _account_operation(lambda: set_active(db.session, SYSTEM, name, False, now=_runtime().clock.now()))
    click.echo(f"disabled {name}")


@users_group.command("enable")
@click.argument("name")
@with_appcontext
def users_enable(name: str) -> None:
    """Enable NAME again (they sign in anew; revoked tokens stay revoked)."""
    from workflows.people.accounts import set_active

    _account_operation(lambda: set_active(db.session, SYSTEM, name, True, now=_runtime().clock.now()))
    click.echo(f"enabled {name}")


@users_group.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@with_appcontext
def users_roles(name: str, roles: tuple[str, ...]) -> None:
    """Set NAME's roles to exactly those given; losing a role ends their sessions."""
    from workflows.people.accounts import set_roles

    account = _account_operation(
        lambda: set_roles(db.session, SYSTEM, name, list(roles), now=_runtime().clock.now())
    )
    click.echo(f"{name} now has: {', '.join(account.roles)}")


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def deploy_command(paths: tuple[Path, ...]) -> None:
    """Deploy BPMN/DMN/form files or folders; no new version where nothing changed."""
    from workflows.deploy import operations as deploy_service

    from .setup import deploy_uploads

    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    uploads = [(p.name, p.read_bytes()) for p in files if deploy_service.file_kind(p.name)]
    try:
        results = deploy_uploads(current_app, uploads)
    except TripflowError as exc:
        for detail in exc.details:
            click.echo(f"  {detail}", err=True)
        raise click.ClickException(exc.message) from None
    for r in results:
        click.echo(f"{r.key} v{r.version} {'deployed' if r.created else 'unchanged'}")


def _parse_at(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter("must be an ISO 8601 time, e.g. 2026-12-01T09:00:00+08:00") from None
    if instant.tzinfo is None:
        raise click.BadParameter("give the time zone offset, e.g. +08:00")
    return instant


@click.group("timers")
def timers_group() -> None:
    """Timer events."""


@timers_group.command("run")
@click.option("--at", "at", default=None, help="fire what is due at this ISO time instead of now")
@with_appcontext
def timers_run(at: str | None) -> None:
    """Fire every timer due at or before the time, and run those cases on."""
    from workflows.cases.operations import fire_due_timers
    from workflows.cases.schedules import run_schedules

    rt = _runtime()
    instant = _parse_at(at)
    if instant is not None:
        rt.clock = FixedClock(instant)
    started = run_schedules(db.session, rt)
    if started:
        click.echo(f"started scheduled case(s): {started}")
    total = 0
    while True:
        fired = fire_due_timers(db.session, rt, SYSTEM)
        total += len(fired)
        if not fired:
            break
    click.echo(f"fired timers of {total} case(s)")
    _after_commit(rt)


def _after_commit(rt) -> None:  # type: ignore[no-untyped-def]
    from .after_commit import after_commit_round

    done = after_commit_round(current_app._get_current_object(), rt)  # type: ignore[attr-defined]
    if any(done.values()):
        click.echo(", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in done.items()))


@click.command("worker")
@click.option("--interval", default=5.0, help="seconds between rounds")
@click.option("--runner-fd", type=int, default=None, hidden=True)
@click.option("--supervisor-pid", type=int, default=None, hidden=True)
@with_appcontext
def worker_command(interval: float, runner_fd: int | None, supervisor_pid: int | None) -> None:
    """Fire due timers in a loop (what `make run` runs beside the web server), under a watchdog."""
    from flask.cli import ScriptInfo

    from .timer_worker import PipeReport, die_with_parent, run_rounds, supervise

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for stream in (sys.stdout, sys.stderr):  # a killed child must not take unwritten log lines with it
        stream.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    if runner_fd is not None:  # the child a supervising `flask worker` started
        if supervisor_pid is not None:
            die_with_parent(supervisor_pid)
        run_rounds(app, interval, PipeReport(runner_fd))
        return
    limit = float(app.config["TIMER_STEP_TIMEOUT"])
    if limit <= 0:
        click.echo(f"timer worker started, every {interval:g} s (no watchdog)")
        run_rounds(app, interval)
        return
    info = click.get_current_context().find_object(ScriptInfo)
    supervise(app, (info.app_import_path if info else None) or "webapp", interval, limit)


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Verify every case's stored state against its inbox rows and timers."""
    from workflows.cases.consistency import check_all

    problems = check_all(db.session, _runtime())
    for case_id, text in problems:
        click.echo(f"case {case_id}: {text}")
    if problems:
        click.echo(f"{len({c for c, _ in problems})} case(s) disagree", err=True)
        sys.exit(1)
    click.echo("all cases agree with their inbox rows and timers")


def register_commands(app: Flask) -> None:
    for command in (
        init_db_command,
        demo_command,
        users_group,
        deploy_command,
        timers_group,
        worker_command,
        check_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app)()
