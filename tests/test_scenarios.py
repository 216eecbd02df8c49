"""Every scenario in bpmn/scenarios, one test each, played through the case service on a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.scenarios.loader import load_file, scenario_files
from workflows.scenarios.runner import run_scenario

from .conftest import ROOT

SCENARIOS = ROOT / "bpmn" / "scenarios"
FILES = scenario_files(SCENARIOS)


@pytest.mark.parametrize("file", FILES, ids=[f.relative_to(SCENARIOS).as_posix() for f in FILES])
def test_scenario(file: Path, session, rt):
    result = run_scenario(session, rt, load_file(file, SCENARIOS), SCENARIOS)
    if not result.passed:
        pytest.fail(str(result.failure), pytrace=False)
