"""The command line of API.md: users add, deploy, timers run --at, check."""

from __future__ import annotations

from sqlalchemy import select, update

from workflows.models import ProcessVersion, WorkItem

from .conftest import ROOT, open_task


def test_users_add_and_login(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "add",
            "mei",
            "--role",
            "travel_advisor",
            "--role",
            "customer_service",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    token = client.post("/api/v1/token", json={"username": "mei", "password": "s3cret-pass"}).get_json()
    assert token["roles"] == ["customer_service", "travel_advisor"]
    again = runner.invoke(args=["users", "add", "mei", "--role", "admin", "--password", "s3cret-pass"])
    assert again.exit_code != 0 and "exists" in again.output
    bad_role = runner.invoke(args=["users", "add", "x", "--role", "pilot", "--password", "s3cret-pass"])
    assert bad_role.exit_code != 0


def test_deploy_creates_no_version_when_nothing_changed(app, session):
    before = session.scalar(select(ProcessVersion.version).where(ProcessVersion.key == "trip"))
    result = app.test_cli_runner().invoke(args=["deploy", str(ROOT / "bpmn")])
    assert result.exit_code == 0, result.output
    assert "trip v1 unchanged" in result.output
    assert session.scalar(select(ProcessVersion.version).where(ProcessVersion.key == "trip")) == before


def test_timers_run_at_fires_what_is_due(app, start_case, session):
    case = start_case("complaint_handling", by="customer_service", urgency="urgent")
    runner = app.test_cli_runner()
    early = runner.invoke(args=["timers", "run", "--at", "2026-11-23T10:59:00+08:00"])
    assert early.exit_code == 0 and "0 case(s)" in early.output
    due = runner.invoke(args=["timers", "run", "--at", "2026-11-23T11:00:00+08:00"])
    assert "1 case(s)" in due.output
    session.expire_all()
    assert open_task(session, case.id, "escalate_complaint")
    assert runner.invoke(args=["timers", "run", "--at", "not-a-time"]).exit_code != 0


def test_check_names_cases_that_disagree(app, start_case, session):
    case = start_case()
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["check"])
    assert clean.exit_code == 0, clean.output
    session.execute(update(WorkItem).where(WorkItem.case_id == case.id).values(status="cancelled"))
    session.commit()
    broken = runner.invoke(args=["check"])
    assert broken.exit_code == 1 and f"case {case.id}:" in broken.output
