"""The scenario format's promises: mistakes named by file and step, refusals as expectations, instants
compared as instants, flows inferred from the token path, and failures that say expected and actual."""

from __future__ import annotations

import pytest

from workflows.scenarios.coverage import Taken, coverage_of, model_elements
from workflows.scenarios.loader import ScenarioError, load_text
from workflows.scenarios.runner import run_scenario

from .conftest import ROOT

GREETING = """
name: greeting
process: birthday_reminder
clock: 2026-11-21T08:00:00+08:00
fixtures:
  customers:
    gao: {name: Gao Yuan, birthday: "1980-11-28", tier: A}
steps:
  - fire_timers: true
    expect: {case: birthday_reminder, tasks: [send_birthday_greeting]}
"""


@pytest.mark.parametrize(
    ("text", "step", "words"),
    [
        ("name: x\nprocess: trip\nsteps:\n  - {complete: a, claim: b}", 1, "exactly one action"),
        ("name: x\nprocess: trip\nsteps:\n  - {check: {}}\n  - {finish: a}", 2, "exactly one action"),
        ("name: x\nprocess: trip\nsteps:\n  - {complete: a, with: {}}", 1, "does not take with"),
        ("name: x\nprocess: trip\nsteps:\n  - {move_clock: {by: 2 hours}}", 1, "ISO 8601 duration"),
        ("name: x\nprocess: trip\nsteps:\n  - {move_clock: {to: '2026-12-01T09:00'}}", 1, "with its offset"),
        ("name: x\nprocess: trip\nsteps:\n  - {check: {task: [a]}}", 1, "expect does not know task"),
        ("name: x\nprocess: trip\nsteps:\n  - {complete: a, answers: [1]}", 1, "mapping of form fields"),
        ("process: trip\nsteps: []", None, "'name' is required"),
        ("name: x\nprocess: trip\nstep: []", None, "unknown key(s) step"),
        ("name: x\nprocess: [", None, "not valid YAML"),
    ],
)
def test_mistakes_name_the_file_and_the_step(text, step, words):
    with pytest.raises(ScenarioError) as error:
        load_text(text, "trip/broken.yaml", process="trip")
    assert error.value.path == "trip/broken.yaml" and error.value.step == step
    assert words in str(error.value)
    assert str(error.value).startswith("trip/broken.yaml" + (f", step {step}" if step else ""))


def test_a_file_in_another_process_folder_is_refused():
    with pytest.raises(ScenarioError, match="lies in the folder of trip"):
        load_text("name: x\nprocess: quarterly_review\n", "trip/x.yaml", process="trip")


def test_dates_stay_text_as_written():
    scenario = load_text(GREETING, "birthday_reminder/g.yaml")
    assert scenario.fixtures["customers"]["gao"]["birthday"] == "1980-11-28"
    assert scenario.clock == "2026-11-21T08:00:00+08:00"


def test_a_refusal_the_file_expects_passes_and_changes_nothing(session, rt):
    text = GREETING + (
        "  - complete: send_birthday_greeting\n"
        "    case: birthday_reminder\n"
        "    answers: {greeted_via: carrier pigeon, gift: tea set, delivery: courier}\n"
        "    expect_error: {code: invalid, fields: [greeted_via]}\n"
        "    expect: {case: birthday_reminder, status: running, tasks: [send_birthday_greeting]}\n"
    )
    result = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml"))
    assert result.passed, str(result.failure)


def test_an_unexpected_refusal_fails_with_the_fields_named(session, rt):
    text = GREETING + (
        "  - complete: send_birthday_greeting\n    case: birthday_reminder\n"
        "    answers: {greeted_via: carrier pigeon, gift: tea set, delivery: courier}\n"
    )
    result = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml"))
    failure = result.failure
    assert (failure.step, failure.action, failure.what) == (2, "complete", "refused")
    assert failure.actual["code"] == "invalid" and failure.actual["fields"] == ["greeted_via"]


def test_a_refusal_expected_but_not_given_fails(session, rt):
    text = GREETING + (
        "  - complete: send_birthday_greeting\n    case: birthday_reminder\n"
        "    answers: {greeted_via: phone, gift: tea set, delivery: courier}\n    expect_error: invalid\n"
    )
    failure = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml")).failure
    assert failure is not None and failure.message == "the step was not refused"


def test_instants_compare_across_offsets(session, rt):
    same = GREETING.replace(
        "tasks: [send_birthday_greeting]",
        "tasks: [{task: send_birthday_greeting, due: '2026-11-28T01:00:00Z'}]",
    )
    assert run_scenario(session, rt, load_text(same, "birthday_reminder/g.yaml")).passed


def test_a_wrong_status_names_the_case_and_both_values(session, rt):
    text = GREETING.replace("tasks: [send_birthday_greeting]}", "status: completed}")
    failure = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml")).failure
    assert (failure.what, failure.expected, failure.actual) == (
        "status of birthday_reminder",
        "completed",
        "running",
    )


def test_ambiguous_case_selector_asks_for_a_number(session, rt):
    text = GREETING + (
        "  - start: birthday_reminder\n    data: {greet_by: '2026-12-01T09:00:00+08:00'}\n"
        "  - check: {case: birthday_reminder, status: running}\n"
    )
    failure = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml")).failure
    assert failure.step == 3 and "birthday_reminder#<n>" in failure.message
    assert failure.actual == ["birthday_reminder#1", "birthday_reminder#2"]


def test_flows_are_inferred_from_the_token_path_boundary_timers_included():
    model = model_elements((ROOT / "bpmn" / "complaint_handling.bpmn").read_bytes())[0]
    taken = Taken(
        nodes={"complaint_handling": {"resolution_overdue", "escalate_complaint"}},
        pairs={"complaint_handling": {("resolution_overdue", "escalate_complaint"), ("a", "b")}},
    )
    coverage = coverage_of(model, taken)
    assert coverage.flows_taken == {"flow_overdue_to_escalate"}
    assert {"resolution_overdue", "escalate_complaint"} == set(coverage.nodes_taken)
    assert "flow_escalated_to_end" in coverage.flows_missed


def test_claim_unclaim_and_cancel_go_through_the_case_service(session, rt):
    text = GREETING + (
        "  - claim: send_birthday_greeting\n    as: account_manager\n"
        "    expect: {tasks: [{task: send_birthday_greeting, claimed_by: account_manager}]}\n"
        "  - claim: send_birthday_greeting\n    as: travel_advisor\n    expect_error: forbidden\n"
        "  - unclaim: send_birthday_greeting\n    as: account_manager\n"
        "    expect: {tasks: [{task: send_birthday_greeting, claimed_by: null}]}\n"
        "  - cancel: birthday_reminder\n    reason: customer asked for no calls\n"
        "    expect:\n      case: birthday_reminder\n      status: cancelled\n      tasks: []\n"
        "      history: [{kind: case_cancelled, user: service_supervisor, text: no calls}]\n"
    )
    result = run_scenario(session, rt, load_text(text, "birthday_reminder/g.yaml"))
    assert result.passed, str(result.failure)
