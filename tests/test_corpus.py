"""Every file of the shared corpus (real BPMN and DMN from other tools) through ``POST /api/v1/processes``.

Each file is uploaded alone into a fresh copy of the database and must get a 201/200 deploy or a
4xx whose details name the file (and, where there is one, the element and line) in a sentence; never
a 5xx, never a hang, never a silent half-deploy. What SpiffWorkflow's own parser can run on its own
must deploy; the few exceptions are named below with their reason.

The corpus lives outside the repository: ``$TRIPFLOW_CORPUS`` or ``<repo>/../shared/corpus``. The
tests are skipped only when it is absent and ``CI`` is not set.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from webapp import create_app
from webapp.extensions import db
from workflows.engine.xml import file_kind, parse_model_xml
from workflows.people.tokens import issue_token
from workflows.people.users import find_user

from .conftest import ROOT, SHARED_SPECS, TEMPLATE_CLOCK, app_config, prepare_database

SECONDS_PER_FILE = 5.0


def corpus_root() -> Path | None:
    configured = os.environ.get("TRIPFLOW_CORPUS")
    path = Path(configured) if configured else ROOT.parent / "shared" / "corpus"
    return path.resolve() if path.is_dir() else None


CORPUS = corpus_root()
pytestmark = [
    pytest.mark.skipif(
        CORPUS is None and not os.environ.get("CI"),
        reason="no corpus at $TRIPFLOW_CORPUS or ../shared/corpus",
    ),
    # SpiffWorkflow warns about spiff extensions older files use; that is the corpus's business, not ours
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

# Why a deploy refuses a file: the first detail's message, sorted into the README's categories.
REASONS = [
    ("not executable (isExecutable=false)", r"isExecutable=|none has any steps"),
    ("no process in the file", r"contains no BPMN process|not a BPMN 2.0 document"),
    (
        "service task without a Tripflow handler",
        r"has no implementation|Java or a Camunda expression|connector|"
        r"calls the handler",
    ),
    (
        "Camunda ${...} expression",
        r"Camunda expression language|Java expression|is an expression|with the "
        r"expression",
    ),
    ("sequence flow without id", r"sequence flow from .* has no id"),
    (
        "broken reference",
        r"no element of the file|must agree with the sequence flows|is attached to '|does not define; add|"
        r"which is no step of the process|not one of its outgoing",
    ),
    ("data store", r"data store"),
    ("timer without a time", r"timer without a time"),
    ("unquoted ISO timer", r"must be quoted"),
    ("script not in Python", r"Python scripts only|is written in"),
    ("refused by the script sandbox", r"script sandbox|sandbox accepts"),
    ("called process missing", r"calls process '.*neither|names no process to call"),
    ("call activity calls itself", r"calls its own process|back into"),
    ("decision missing", r"refers to decision"),
    ("business rule task without decision", r"names no decision table"),
    ("form file missing", r"uses the form"),
    ("duplicate ids", r"used twice"),
    ("message reference with prefix", r"namespace prefix"),
    ("Camunda listener or mapping", r"listener|input/output"),
    (
        "DMN not runnable (FEEL, hit policy)",
        r"not Python \(DMN|hit policy|aggregates|not a decision table|"
        r"no input expression",
    ),
    ("process without a start event", r"no start event"),
    ("not well-formed XML", r"well-formed|DTD|empty"),
    ("file type not deployable", r"can be deployed"),
    ("SpiffWorkflow parser refusal", r"SpiffWorkflow cannot"),
]
# What SpiffWorkflow runs but Tripflow deliberately refuses, with the reason (see the module docstring).
RUNNABLE_BUT_REFUSED = {
    "refused by the script sandbox": "scripts call print(), which the sandbox refuses at run time too "
    "(in files made with a Camunda modeler the calls are removed, with a note)",
    "form file missing": "the form file is not part of the upload, so the task could not be shown "
    "(in files made with a Camunda modeler a form without fields stands in, with a note)",
    "call activity calls itself": "a process that calls itself straight from the start would loop forever",
    "broken reference": "a lane lists steps that do not exist, or bpmn:outgoing names a flow that is not "
    "there "
    "(Approvals.bpmn, spiff_properties.bpmn): the model says two things, and deploy does not guess",
}


@dataclass
class Outcome:
    path: str
    status: int
    seconds: float
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def details(self) -> list[dict[str, Any]]:
        return self.body.get("details") or []

    @property
    def reason(self) -> str:
        return reason_of(self.details[0]["message"]) if self.details else "-"


def reason_of(message: str) -> str:
    return next((name for name, pattern in REASONS if re.search(pattern, message)), "other")


def corpus_files() -> list[Path]:
    if CORPUS is None:
        return []
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and not p.relative_to(CORPUS).parts[0] == "LICENSES"
        and p.suffix in (".bpmn", ".dmn", ".xml", ".bpmn2", ".json")
    )


def runs_in_spiffworkflow(files: list[Path]) -> bool:
    """The reference: SpiffWorkflow's own parser builds every executable process with its called processes,
    and no process has a service task (those need a handler bound)."""
    parser = SpiffBpmnParser()
    try:
        for path in files:
            tree = parse_model_xml(path.read_bytes())
            if path.suffix == ".dmn":
                parser.add_dmn_xml(tree.getroot(), filename=path.name)
            else:
                parser.add_bpmn_xml(tree, filename=path.name)
        ids = parser.get_process_ids()
        if not ids:
            return False
        for pid in ids:
            specs = [parser.get_spec(pid), *parser.get_subprocess_specs(pid).values()]
            if any("ServiceTask" in type(ts).__name__ for spec in specs for ts in spec.task_specs.values()):
                return False
    except Exception:  # noqa: BLE001 - any refusal of the reference parser means "does not run"
        return False
    return True


class Deployer:
    """A fresh copy of the database per upload, and a process owner's token that every copy knows."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.template = workdir / "template.db"
        prepare_database(f"sqlite:///{self.template}", TEMPLATE_CLOCK)
        app = create_app(app_config(f"sqlite:///{self.template}"), clock=TEMPLATE_CLOCK)
        with app.app_context():
            user = find_user(db.session, "process_owner")
            assert user is not None
            self.token = issue_token(db.session, user, now=TEMPLATE_CLOCK.now())
            db.session.commit()
            db.session.remove()
            db.engine.dispose()

    def upload(self, files: list[Path], label: str) -> Outcome:
        copy = self.workdir / "copy.db"
        shutil.copyfile(self.template, copy)
        app = create_app(app_config(f"sqlite:///{copy}"), clock=TEMPLATE_CLOCK)
        app.extensions["tripflow"].specs = SHARED_SPECS
        with app.app_context():
            client = app.test_client()
            handles = [open(p, "rb") for p in files]  # noqa: SIM115 - closed below
            try:
                started = time.monotonic()
                response = client.post(
                    "/api/v1/processes",
                    headers={"Authorization": f"Bearer {self.token}"},
                    data={"file": [(h, p.name) for h, p in zip(handles, files, strict=True)]},
                    content_type="multipart/form-data",
                )
                seconds = time.monotonic() - started
            finally:
                for handle in handles:
                    handle.close()
            outcome = Outcome(label, response.status_code, seconds, response.get_json(silent=True) or {})
            if outcome.status in (200, 201):
                for item in outcome.body.get("items", []):  # what was deployed is really there
                    got = client.get(
                        f"/api/v1/processes/{item['key']}/bpmn?version={item['version']}",
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                    assert got.status_code == 200, (label, item)
            db.session.remove()
            db.engine.dispose()
        return outcome


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    if CORPUS is None:
        pytest.fail("CI is set but the corpus is missing: set TRIPFLOW_CORPUS")
    deployer = Deployer(tmp_path_factory.mktemp("corpus"))
    results = {}
    for path in corpus_files():
        label = str(path.relative_to(CORPUS))
        results[label] = deployer.upload([path], label)
    _print_summary(results)
    return results


def _print_summary(results: dict[str, Outcome]) -> None:
    statuses = Counter(o.status for o in results.values())
    reasons = Counter(o.reason for o in results.values() if o.status >= 400)
    print(f"\ncorpus: {len(results)} files; " + ", ".join(f"{n} × {s}" for s, n in sorted(statuses.items())))
    for reason, count in reasons.most_common():
        print(f"  refused: {count:3d}  {reason}")


def test_corpus_is_complete(outcomes):
    assert len(outcomes) >= 250
    manifest = (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]  # type: ignore[operator]
    listed = {line.split("\t")[1] for line in manifest if line}
    assert listed <= set(outcomes), sorted(listed - set(outcomes))[:5]


def test_no_file_gets_a_server_error_or_hangs(outcomes):
    assert {o.status for o in outcomes.values()} <= {200, 201, 400, 413, 422}, [
        (k, o.status, o.body) for k, o in outcomes.items() if o.status >= 500
    ]
    slow = {k: round(o.seconds, 2) for k, o in outcomes.items() if o.seconds >= SECONDS_PER_FILE}
    assert not slow


def test_every_refusal_names_the_file_and_says_why(outcomes):
    vague = []
    for label, outcome in outcomes.items():
        if outcome.status < 400:
            continue
        assert outcome.body["error"] in ("invalid_model", "too_large", "invalid"), label
        name = Path(label).name
        for detail in outcome.details or [{}]:
            ok = detail.get("file") == name and len(detail.get("message", "")) >= 20
            ok = ok and detail["message"][:1].isupper() and "Traceback" not in detail["message"]
            if not ok:
                vague.append((label, detail))
        if outcome.reason == "other":
            vague.append((label, outcome.details[0]))
    assert not vague, vague[:5]


def test_refusals_about_an_element_name_its_id_and_line(outcomes):
    missing = []
    for label, outcome in outcomes.items():
        for detail in outcome.details:
            element_words = re.search(
                r"\((?!line)[^)]*\)|task|event|flow|gateway|activity", detail["message"]
            )
            file_level = reason_of(detail["message"]) in (
                "not well-formed XML",
                "no process in the file",
                "file type not deployable",
                "SpiffWorkflow parser refusal",
            )
            if (
                element_words
                and not file_level
                and "sequence flow from" not in detail["message"]
                and not (detail.get("element_id") and detail.get("line"))
            ):
                missing.append((label, detail))
    assert not missing, missing[:5]


def test_what_spiffworkflow_runs_deploys(outcomes):
    """Files of spiffworkflow-tests and spiff-sample-models that the plain Spiff parser runs deploy.

    (Runs: parses with everything it calls, and has no service task to bind.)
    """
    refused = {}
    checked = 0
    for label, outcome in outcomes.items():
        if not label.startswith(("spiffworkflow-tests/", "spiff-sample-models/")) or not label.endswith(
            ".bpmn"
        ):
            continue
        if not runs_in_spiffworkflow([CORPUS / label]):  # type: ignore[operator]
            continue
        checked += 1
        if outcome.status in (200, 201):
            continue
        reasons = {reason_of(d["message"]) for d in outcome.details}
        if not reasons <= set(RUNNABLE_BUT_REFUSED):
            refused[label] = outcome.details
    assert checked >= 50
    assert not refused, refused


def test_what_deploys_is_something_spiffworkflow_can_parse(outcomes):
    """No silent half-deploy: every deployed file's processes parse in SpiffWorkflow, with all they call."""
    for label, outcome in outcomes.items():
        if outcome.status == 201:
            assert outcome.body["items"], label


CAMUNDA_TESTS = "camunda7-platform/engine/src/test/resources/org/camunda/bpm/engine/test/"
SPIFF_TESTS = "spiffworkflow-tests/tests/SpiffWorkflow/"
TRAPS = {
    "call activity calls itself": SPIFF_TESTS + "bpmn/data/call_activity_nested/call_activity_level_3.bpmn",
    "not executable (isExecutable=false)": "bpmn-js-fixtures/test/fixtures/bpmn/basic.bpmn",
    "duplicate ids": "bpmn-js-fixtures/test/fixtures/bpmn/error/duplicate-ids.bpmn",
    "service task without a Tripflow handler": "camunda7-platform/webapps/assembly/src/main/runtime/develop/"
    "resources/pa3/complex-process.bpmn",
    "data store": "bpmn-js-fixtures/test/fixtures/bpmn/collaboration-data-items.bpmn",
    "timer without a time": "miwg/ARIS 10.2025.07/C.1.0-export.bpmn",
    "script not in Python": "camunda7-examples/bpmn-model-api/parse-bpmn/src/test/resources/process.bpmn",
    "called process missing": SPIFF_TESTS + "bpmn/data/single_call_activity.bpmn",
    "business rule task without decision": "miwg/Reference/C.7.0.bpmn",
    "decision missing": SPIFF_TESTS + "spiff/data/business_rule_task.bpmn",
    "Camunda ${...} expression": "camunda7-platform/examples/invoice/src/main/resources/invoice.v1.bpmn",
}
# Traps that are now translated, with a note saying what was done (issue 16)
TRANSLATED = {
    CAMUNDA_TESTS
    + "api/form/FormDataTest.testGetFormFieldBasicProperties.bpmn20.xml": "had no id; it was given",
    CAMUNDA_TESTS
    + "bpmn/event/timer/BoundaryTimerEventTest.testInterruptingTimerDuration.bpmn20.xml": "was quoted",
    CAMUNDA_TESTS
    + "bpmn/event/message/MessageStartEventTest.testSingleMessageStartEvent.bpmn20.xml": "was read as",
    "camunda7-platform/examples/invoice/src/main/resources/reviewInvoice.bpmn": "was read as due P2D",
    SPIFF_TESTS + "bpmn/data/transaction.bpmn": "print() calls",
    SPIFF_TESTS + "camunda/data/parallel_multiinstance_collection.bpmn": "multi-instance input",
}


@pytest.mark.parametrize("reason", TRAPS)
def test_the_readme_traps_are_caught(outcomes, reason):
    outcome = outcomes[TRAPS[reason]]
    assert outcome.status == 422, outcome.body
    assert reason in {reason_of(d["message"]) for d in outcome.details}, outcome.details


@pytest.mark.parametrize("label", TRANSLATED)
def test_translated_traps_deploy_with_a_note(outcomes, label):
    outcome = outcomes[label]
    assert outcome.status == 201, outcome.body
    assert any(TRANSLATED[label] in n["message"] for n in outcome.body["notes"]), outcome.body["notes"]
    assert all(n["file"] == Path(label).name for n in outcome.body["notes"])


SAMPLE_FOLDERS = [
    "dmn-boolean-test",
    "set-timeout",
    "workflow_one",
    "lanes",
    "script-task",
    "manual-task-with-timer",
]


def test_sample_folders_deploy_together(tmp_path):
    """A process with its decision tables, uploaded together, deploys when SpiffWorkflow runs it."""
    deployer = Deployer(tmp_path)
    base = CORPUS / "spiff-sample-models" / "misc" / "category_number_one"  # type: ignore[operator]
    for folder in SAMPLE_FOLDERS:
        files = sorted(p for p in (base / folder).iterdir() if file_kind(p.name))
        outcome = deployer.upload(files, folder)
        if runs_in_spiffworkflow(files):
            assert outcome.status == 201, (folder, outcome.body)
            assert {i["created"] for i in outcome.body["items"]} == {True}
        else:
            assert outcome.status == 422, (folder, outcome.body)
