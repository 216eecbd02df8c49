"""Reading scenario files: YAML into checked ``Scenario`` objects, every mistake named by file and step.

The YAML is read with timestamps left as text, so that a date in a form answer reaches the form
exactly as written (``2026-12-20``) and an instant keeps its offset; the runner parses instants
where it compares them. The format is described in ``bpmn/scenarios/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTIONS = (
    "start",
    "claim",
    "unclaim",
    "complete",
    "comment",
    "cancel",
    "move_clock",
    "fire_timers",
    "message",
    "include",
    "check",
)
STEP_KEYS = {
    "start": {"as", "data", "expect", "note", "expect_error"},
    "claim": {"as", "case", "expect", "note", "expect_error"},
    "unclaim": {"as", "case", "expect", "note", "expect_error"},
    "complete": {"as", "case", "answers", "expect", "note", "expect_error"},
    "comment": {"as", "case", "task", "expect", "note", "expect_error"},
    "cancel": {"as", "reason", "expect", "note", "expect_error"},
    "move_clock": {"expect", "note", "fire_timers"},
    "fire_timers": {"expect", "note"},
    "message": {"as", "case", "data", "expect", "note", "expect_error"},
    "include": {"note"},
    "check": {"expect", "note"},
}
EXPECT_KEYS = {
    "note",
    "case",
    "tasks",
    "status",
    "data",
    "documents",
    "history",
    "no_history",
    "timers",
    "metrics",
    "cases",
    "listed",
}
TOP_KEYS = {"name", "description", "process", "clock", "fixtures", "start", "steps", "covers"}
DEFAULT_CLOCK = "2026-11-23T09:00:00+08:00"


class ScenarioError(Exception):
    """A scenario file that cannot be read: names the file and, when it can, the step."""

    def __init__(self, path: str, message: str, step: int | None = None) -> None:
        self.path, self.step, self.message = path, step, message
        where = f"{path}, step {step}" if step is not None else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Step:
    """One step: an action with its value and options, and what must hold after it."""

    number: int  # 1-based, as a reader counts them in the file
    action: str
    value: Any
    options: dict[str, Any]
    expect: list[dict[str, Any]]
    source: str  # the file the step was written in (an included scenario keeps its own)


@dataclass(frozen=True)
class Scenario:
    path: str  # relative to the scenario root, e.g. "birthday_reminder/greeting_sent.yaml"
    name: str
    process: str
    description: str = ""
    clock: str = DEFAULT_CLOCK
    fixtures: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()

    @property
    def key(self) -> str:
        return self.path.removesuffix(".yaml")


class _TextTimestamps(yaml.SafeLoader):
    """SafeLoader that leaves dates and instants as strings."""


_TextTimestamps.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=_TextTimestamps)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError(path, f"not valid YAML: {exc}") from None


def load_text(text: str, path: str, *, process: str | None = None) -> Scenario:
    """Check one scenario given as text; ``path`` is how errors name it."""
    doc = parse_yaml(text, path)
    if not isinstance(doc, dict):
        raise ScenarioError(path, "a scenario is a mapping with name, process and steps")
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise ScenarioError(
            path, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TOP_KEYS))}"
        )
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(path, "'name' is required: one line saying what the scenario proves")
    proc = doc.get("process", process)
    if not isinstance(proc, str) or not proc:
        raise ScenarioError(path, "'process' is required: the process id the scenario is about")
    if process is not None and proc != process:
        raise ScenarioError(path, f"'process' is {proc} but the file lies in the folder of {process}")
    clock = doc.get("clock", DEFAULT_CLOCK)
    _instant(clock, path, None, "clock")
    fixtures = doc.get("fixtures") or {}
    if not isinstance(fixtures, dict) or set(fixtures) - {"users", "customers"}:
        raise ScenarioError(path, "'fixtures' may hold 'users' and 'customers' only")
    raw_steps = doc.get("steps") or []
    if not isinstance(raw_steps, list):
        raise ScenarioError(path, "'steps' must be a list")
    if "start" in doc:
        start = doc["start"]
        if not isinstance(start, dict):
            raise ScenarioError(path, "'start' is a mapping: as, data, expect")
        raw_steps = [{"start": proc, **start}, *raw_steps]
    steps = tuple(_step(path, number, raw) for number, raw in enumerate(raw_steps, start=1))
    return Scenario(
        path=path,
        name=name.strip(),
        process=proc,
        description=str(doc.get("description") or "").strip(),
        clock=clock,
        fixtures=fixtures,
        steps=steps,
    )


def _step(path: str, number: int, raw: Any) -> Step:
    if not isinstance(raw, dict):
        raise ScenarioError(path, "a step is a mapping such as {complete: task_id, answers: {...}}", number)
    actions = [key for key in raw if key in ACTIONS]
    if "move_clock" in actions and "fire_timers" in actions:
        actions.remove("fire_timers")  # here an option of move_clock: move, then fire what is due
    if len(actions) != 1:
        found = ", ".join(actions) or "none"
        raise ScenarioError(
            path, f"a step has exactly one action of {', '.join(ACTIONS)} (found {found})", number
        )
    action = actions[0]
    options = {k: v for k, v in raw.items() if k != action}
    unknown = sorted(set(options) - STEP_KEYS[action])
    if unknown:
        allowed = ", ".join(sorted(STEP_KEYS[action]))
        raise ScenarioError(
            path, f"'{action}' does not take {', '.join(unknown)} (allowed: {allowed})", number
        )
    value = raw[action]
    if action in ("claim", "unclaim", "complete", "message", "include") and not (
        isinstance(value, str) and value
    ):
        raise ScenarioError(
            path, f"'{action}' names a {'file' if action == 'include' else 'task or message'}", number
        )
    if action == "move_clock":
        if not isinstance(value, dict) or len(set(value) & {"to", "by"}) != 1 or set(value) - {"to", "by"}:
            raise ScenarioError(
                path, "move_clock takes {to: <instant>} or {by: <ISO duration such as PT2H>}", number
            )
        if "to" in value:
            _instant(value["to"], path, number, "move_clock.to")
        else:
            _duration(value["by"], path, number)
    if "answers" in options and not isinstance(options["answers"], dict):
        raise ScenarioError(path, "'answers' is a mapping of form fields", number)
    expect = options.pop("expect", None)
    if action == "check" and expect is None:
        expect = value
    blocks = [] if expect is None else expect if isinstance(expect, list) else [expect]
    for block in blocks:
        if not isinstance(block, dict):
            raise ScenarioError(path, "'expect' is a mapping (or a list of them, one per case)", number)
        unknown = sorted(set(block) - EXPECT_KEYS)
        if unknown:
            allowed = ", ".join(sorted(EXPECT_KEYS))
            raise ScenarioError(
                path, f"expect does not know {', '.join(unknown)} (allowed: {allowed})", number
            )
    return Step(number=number, action=action, value=value, options=options, expect=blocks, source=path)


def _instant(value: Any, path: str, step: int | None, what: str) -> None:
    from datetime import datetime

    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ScenarioError(
            path, f"{what} must be an instant with its offset, e.g. 2026-11-23T09:00:00+08:00", step
        )


def _duration(value: Any, path: str, step: int | None) -> None:
    from workflows.scenarios.timing import parse_duration

    try:
        parse_duration(value)
    except ValueError as exc:
        raise ScenarioError(path, str(exc), step) from None


def load_file(file: Path, root: Path) -> Scenario:
    """Load ``file``; its folder under ``root`` is the process it belongs to."""
    path = file.relative_to(root).as_posix()
    process = file.parent.name if file.parent != root else None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, f"cannot read: {exc}") from None
    return load_text(text, path, process=process)


def scenario_files(root: Path, process: str | None = None) -> list[Path]:
    """Every scenario file under ``root`` (or of one process), in a stable order."""
    base = root / process if process else root
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.yaml") if p.is_file())


def load_all(root: Path, process: str | None = None) -> list[Scenario]:
    return [load_file(p, root) for p in scenario_files(root, process)]
