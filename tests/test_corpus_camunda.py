"""Camunda 7 / Activiti models of the shared corpus that could run here come across, and start.

The set: every corpus file that uses the Camunda or Activiti namespace (or comes from the Camunda 7
folders), has an executable process with steps, and has no Java delegate (``camunda:class``,
``delegateExpression``, an expression-implemented task or a Java listener), no connector, no
Camunda 8 job worker (``zeebe:taskDefinition``), no service task and no script in a language other
than Python. Each is uploaded alone, or, when it calls a process, decision or form defined beside
it, together with the model files of its folder and subfolders; every process deployed must then
start a case. A file that calls a process or decision its folder does not define either is not
executable as it stands (``NOT_EXECUTABLE``), and is listed with that refusal.

What happens to each file is kept in ``corpus_camunda_expected.tsv``: ``deployed`` or the reason
it is refused. The test fails when any file's outcome changes, so a better translator updates the
file (and the count) on purpose. ``TRIPFLOW_CORPUS_WRITE=1`` rewrites it.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from webapp import create_app
from webapp.extensions import db
from workflows.deploy.problems import executable_processes, has_flow_nodes
from workflows.engine.xml import file_kind, parse_model_xml

from .conftest import SHARED_SPECS, TEMPLATE_CLOCK, app_config
from .test_corpus import CORPUS, Deployer, reason_of

pytestmark = [
    pytest.mark.skipif(CORPUS is None and not os.environ.get("CI"), reason="no corpus"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    # werkzeug's spooled upload files are closed by the garbage collector, not by us
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

EXPECTED = Path(__file__).with_name("corpus_camunda_expected.tsv")
CAMUNDA_NS = {"http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn"}
PYTHON = ("", "python", "python3", "text/python", "text/x-python")
NEEDS_FOLDER = ("called process missing", "decision missing", "form file missing")
# Even with every file of its folder it calls a process or decision defined nowhere there: no
# engine could start it as it stands, so it counts as not executable, with the refusal kept.
NOT_EXECUTABLE = "not executable: calls what its folder lacks"


def cannot_run(tree: etree._ElementTree) -> str | None:
    """Why a Camunda model cannot run anywhere but in a Java engine, or None."""
    for element in tree.getroot().iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        vendor = {etree.QName(a).localname for a in element.attrib if etree.QName(a).namespace in CAMUNDA_NS}
        if vendor & {"class", "delegateExpression"}:
            return "Java delegate"
        if tag in ("serviceTask", "sendTask", "businessRuleTask") and vendor & {"expression", "type"}:
            return "Java delegate"
        if tag in ("executionListener", "taskListener"):
            return "Java delegate"
        if tag == "connector":
            return "connector"
        if tag == "taskDefinition":  # zeebe: a Camunda 8 job worker, code outside the model
            return "job worker"
        if tag == "serviceTask":
            return "service task"
        if tag == "scriptTask" and (element.get("scriptFormat") or "").strip().lower() not in PYTHON:
            return "script not in Python"
    return None


def camunda_files() -> list[Path]:
    if CORPUS is None:
        return []
    chosen = []
    for path in sorted(CORPUS.rglob("*")):
        relative = path.relative_to(CORPUS)
        if relative.parts[0] == "LICENSES" or path.suffix not in (".bpmn", ".xml", ".bpmn2"):
            continue
        try:
            tree = parse_model_xml(path.read_bytes())
        except Exception:  # noqa: BLE001 - not a model: not in the set
            continue
        root = tree.getroot()
        if (
            etree.QName(root).localname != "definitions"
            or "dmn" in (etree.QName(root).namespace or "").lower()
        ):
            continue
        namespaces = set(root.nsmap.values())
        if not (namespaces & CAMUNDA_NS or relative.parts[0].startswith("camunda7")):
            continue
        if not any(has_flow_nodes(p) for p in executable_processes(tree)) or cannot_run(tree):
            continue
        chosen.append(path)
    return chosen


def _defines_and_needs(path: Path) -> tuple[set[str], set[str]]:
    """What a model file of the folder defines (process and decision ids, its own name) and refers to."""
    if file_kind(path.name) == "form":
        return {path.name}, set()
    try:
        root = parse_model_xml(path.read_bytes()).getroot()
    except Exception:  # noqa: BLE001 - an unreadable neighbour is no companion
        return set(), set()
    defines, needs = set(), set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        if tag in ("process", "decision") and element.get("id"):
            defines.add(element.get("id"))
        for attribute, value in element.attrib.items():
            if etree.QName(attribute).localname in ("calledElement", "decisionRef", "formKey"):
                needs.add(value.strip())
        if tag in ("calledDecisionId", "formJsonSchemaFilename", "formUiSchemaFilename") and element.text:
            needs.add(element.text.strip())
    return defines, needs


def companions(path: Path) -> list[Path]:
    """The files of ``path``'s folder (and its subfolders, such as ``dmn/``) defining what it calls, and
    what those call, one file per id."""
    folder = {
        p: _defines_and_needs(p)
        for p in sorted(path.parent.rglob("*"))
        if p != path and p.is_file() and file_kind(p.name)
    }
    defined, needed = _defines_and_needs(path)
    chosen: list[Path] = []
    while True:
        missing = needed - defined
        found = next(
            (p for p, (d, _) in folder.items() if p not in chosen and d & missing and not d & defined), None
        )
        if found is None:
            return chosen
        chosen.append(found)
        defined |= folder[found][0]
        needed |= folder[found][1]


def deploy_and_start(deployer: Deployer, files: list[Path], label: str) -> tuple[str, list[str]]:
    """``deployed`` (every deployed process started a case) or the refusal's reason; and the messages."""
    copy = deployer.workdir / "copy.db"
    shutil.copyfile(deployer.template, copy)
    app = create_app(app_config(f"sqlite:///{copy}"), clock=TEMPLATE_CLOCK)
    app.extensions["tripflow"].specs = SHARED_SPECS
    headers = {"Authorization": f"Bearer {deployer.token}"}
    with app.app_context():
        client = app.test_client()
        handles = [open(p, "rb") for p in files]  # noqa: SIM115 - closed below
        try:
            response = client.post(
                "/api/v1/processes",
                headers=headers,
                data={"file": [(h, p.name) for h, p in zip(handles, files, strict=True)]},
                content_type="multipart/form-data",
            )
        finally:
            for handle in handles:
                handle.close()
        body = response.get_json(silent=True) or {}
        try:
            if response.status_code not in (200, 201):
                details = body.get("details") or [{"message": body.get("message", "")}]
                return reason_of(details[0]["message"]), [d["message"] for d in details]
            for item in body["items"]:
                started = client.post(
                    "/api/v1/cases", headers=headers, json={"process": item["key"], "data": {}}
                )
                if started.status_code != 201:
                    return f"does not start ({started.status_code})", [str(started.get_json())]
            return "deployed", [n["message"] for n in body.get("notes", [])]
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def camunda_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str]]]:
    deployer = Deployer(tmp_path_factory.mktemp("camunda"))
    results = {}
    for path in camunda_files():
        label = str(path.relative_to(CORPUS))
        outcome = deploy_and_start(deployer, [path], label)
        if outcome[0] in NEEDS_FOLDER:
            outcome = deploy_and_start(deployer, [path, *companions(path)], label)
            lacking = [m for m in outcome[1] if reason_of(m) in NEEDS_FOLDER]
            if outcome[0] != "deployed" and lacking:
                outcome = (NOT_EXECUTABLE, lacking)
        results[label] = outcome
    counts = Counter(reason for reason, _ in results.values())
    runnable = len(results) - counts[NOT_EXECUTABLE]
    print(
        f"\ncamunda 7 / activiti set: {len(results)} files, {runnable} executable; "
        f"{counts['deployed']} of them deploy and start"
    )
    for reason, count in counts.most_common():
        print(f"  {count:3d}  {reason}")
    for label, (reason, _) in sorted(results.items()):
        if reason != "deployed":
            print(f"       {reason}: {label}")
    return results


def test_camunda_models_come_across(camunda_outcomes):
    got = {label: reason for label, (reason, _) in camunda_outcomes.items()}
    if os.environ.get("TRIPFLOW_CORPUS_WRITE"):
        lines = [
            f"{label}\t{reason}\t{(messages[:1] or [''])[0][:200]}"
            for label, (reason, messages) in sorted(camunda_outcomes.items())
        ]
        EXPECTED.write_text("path\toutcome\tfirst message\n" + "\n".join(lines) + "\n")
    expected = {
        line.split("\t")[0]: line.split("\t")[1] for line in EXPECTED.read_text().splitlines()[1:] if line
    }
    assert len(got) >= 70, len(got)
    assert got == expected, {k: (expected.get(k), v) for k, v in got.items() if expected.get(k) != v}
    deployed = sorted(k for k, v in got.items() if v == "deployed")
    assert len(deployed) == sum(1 for v in expected.values() if v == "deployed")
