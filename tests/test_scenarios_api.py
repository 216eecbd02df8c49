"""Running a model's scenarios before deploying it: the API the workbench calls, and deploy's warning."""

from __future__ import annotations

from sqlalchemy import func, select

from workflows.models import Case, ProcessVersion

from .conftest import ROOT
from .test_deploy import upload

BIRTHDAY = (ROOT / "bpmn" / "birthday_reminder.bpmn").read_bytes()
# still a valid model, but the greeting no longer carries its due instant: the scenario must catch it
NO_DUE = BIRTHDAY.replace(b'name="dueAtVariable" value="greet_by"', b'name="dueAtVariable" value="nothing"')
RUN = "/api/v1/processes/birthday_reminder/scenarios/run"


def test_scenarios_of_the_shipped_model_pass_with_full_coverage(api, session):
    response = upload(api, ("birthday_reminder.bpmn", BIRTHDAY), path=RUN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["passed"] is True
    assert [s["scenario"] for s in body["scenarios"]] == ["birthday_reminder/greeting_sent"]
    coverage = body["coverage"]
    assert coverage["percent"] == 100.0
    assert coverage["nodes"]["taken"] == ["end_birthday", "send_birthday_greeting", "start_birthday"]
    assert coverage["flows"]["missed"] == []
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == 0  # played elsewhere, not here


def test_a_failing_scenario_names_its_step_with_expected_and_actual(api):
    body = upload(api, ("birthday_reminder.bpmn", NO_DUE), path=RUN).get_json()
    assert body["passed"] is False
    [result] = body["scenarios"]
    failure = result["failure"]
    assert (failure["step"], failure["action"], failure["what"]) == (1, "fire_timers", "tasks")
    assert failure["expected"][0]["due"] == "2026-11-28T09:00:00+08:00"
    assert failure["actual"][0]["due"] is None
    assert "send_birthday_greeting" not in body["coverage"]["nodes"]["taken"]


def test_only_a_process_owner_runs_scenarios(api):
    response = upload(api, ("birthday_reminder.bpmn", BIRTHDAY), path=RUN, user="travel_advisor")
    assert response.status_code == 403


def test_deploy_refuses_a_model_whose_scenarios_fail_until_forced(api, session):
    before = _versions(session)
    refused = upload(api, ("birthday_reminder.bpmn", NO_DUE))
    assert refused.status_code == 409
    body = refused.get_json()
    assert "force=true" in body["message"]
    assert [d["field"] for d in body["details"]] == ["birthday_reminder/greeting_sent"]
    assert _versions(session) == before
    forced = upload(api, ("birthday_reminder.bpmn", NO_DUE), path="/api/v1/processes?force=true")
    assert forced.status_code == 201, forced.get_json()
    assert _versions(session) == before + 1


def _versions(session):
    session.rollback()
    return session.scalar(
        select(func.count()).select_from(ProcessVersion).where(ProcessVersion.key == "birthday_reminder")
    )
