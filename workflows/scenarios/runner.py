"""Playing a scenario: its steps through the case service the API uses, on the given database.

The runner owns the clock of the runtime it is handed (a ``FixedClock`` set to the scenario's
start instant), creates the fixtures, and after each step checks the step's expectations. The
first step that fails ends the play; the result names it with the expected and actual values.
Every SpiffWorkflow task a step completes is observed for coverage (``coverage.Taken``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.cases import operations as cases
from workflows.cases.comments import comment_on_case, comment_on_task
from workflows.cases.interventions import cancel_case
from workflows.customers.operations import create_customer, set_tier
from workflows.engine.clock import FixedClock
from workflows.errors import TripflowError
from workflows.models import Case, Event, Timer, WorkItem
from workflows.people.users import actor_of, add_user, find_user
from workflows.permissions import OPEN, ROLES, SYSTEM, Actor
from workflows.runtime import Runtime
from workflows.scenarios import expect as checks
from workflows.scenarios.coverage import Taken
from workflows.scenarios.loader import Scenario, ScenarioError, Step, load_file
from workflows.scenarios.timing import parse_duration, parse_instant

FIXTURE_PASSWORD = "scenario-password-1"


@dataclass
class Failure:
    """The step that did not do what the file says, in words a process owner reads."""

    step: int
    action: str
    source: str
    what: str
    expected: Any
    actual: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "action": self.action,
            "file": self.source,
            "what": self.what,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }

    def __str__(self) -> str:
        return (
            f"{self.source}, step {self.step} ({self.action}): {self.what}: {self.message}\n"
            f"  expected: {self.expected!r}\n  actual:   {self.actual!r}"
        )


@dataclass
class ScenarioResult:
    scenario: Scenario
    failure: Failure | None = None
    steps_run: int = 0
    taken: Taken = field(default_factory=Taken)

    @property
    def passed(self) -> bool:
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.key,
            "name": self.scenario.name,
            "process": self.scenario.process,
            "passed": self.passed,
            "steps": len(self.scenario.steps),
            "steps_run": self.steps_run,
            "failure": self.failure.as_dict() if self.failure else None,
        }


class _StepFailed(Exception):
    def __init__(self, what: str, expected: Any, actual: Any, message: str = "") -> None:
        super().__init__(message)
        self.what, self.expected, self.actual, self.message = what, expected, actual, message


def run_scenario(
    session: Session, rt: Runtime, scenario: Scenario, root: Path | None = None
) -> ScenarioResult:
    """Play ``scenario`` on the database behind ``session``; ``root`` resolves ``include`` steps."""
    return _Play(session, rt, scenario, root).run()


class _Play:
    def __init__(self, session: Session, rt: Runtime, scenario: Scenario, root: Path | None) -> None:
        self.session, self.rt, self.scenario, self.root = session, rt, scenario, root
        self.result = ScenarioResult(scenario)
        self.customers: dict[str, int] = {}
        self.main_case: int | None = None

    # --- the play -------------------------------------------------------------------------------

    def run(self) -> ScenarioResult:
        clock = self.rt.clock
        if not isinstance(clock, FixedClock):
            raise TypeError("scenarios need a runtime with a FixedClock")
        clock.set(datetime.fromisoformat(self.scenario.clock))
        checks.set_zone(self.rt.timezone)
        observer, self.rt.task_observer = self.rt.task_observer, self.result.taken.observe
        try:
            self._fixtures(self.scenario)
            steps = self._expanded(self.scenario, set())
        except ScenarioError as exc:
            self.rt.task_observer = observer
            self.session.rollback()
            number = exc.step or 0
            self.result.failure = Failure(number, "load", exc.path, "file", None, None, exc.message)
            return self.result
        try:
            for step in steps:
                self.result.steps_run += 1
                try:
                    self._do(step)
                    for block in step.expect:
                        self._check(block)
                except _StepFailed as exc:
                    self.result.failure = Failure(
                        step.number, step.action, step.source, exc.what, exc.expected, exc.actual, exc.message
                    )
                    self.session.rollback()
                    break
        finally:
            self.rt.task_observer = observer
        return self.result

    def _expanded(self, scenario: Scenario, seen: set[str]) -> list[Step]:
        steps: list[Step] = []
        for step in scenario.steps:
            if step.action != "include":
                steps.append(step)
                continue
            if self.root is None:
                raise ScenarioError(step.source, "include needs the scenario folder", step.number)
            name = step.value if step.value.endswith(".yaml") else step.value + ".yaml"
            root = self.root.resolve()
            file = (root / name).resolve()
            if not file.is_relative_to(root) or not file.is_file():
                raise ScenarioError(step.source, f"no scenario file {name} to include", step.number)
            if name in seen:
                raise ScenarioError(step.source, f"{name} includes itself", step.number)
            included = load_file(file, root)
            self._fixtures(included)
            steps.extend(self._expanded(included, seen | {name}))
        return steps

    # --- fixtures ---------------------------------------------------------------------------------

    def _fixtures(self, scenario: Scenario) -> None:
        session, now = self.session, self.rt.clock.now()
        for role in ROLES:  # one user per role, named after it, as in the demo and the tests
            if find_user(session, role) is None:
                add_user(session, role, FIXTURE_PASSWORD, [role], now=now)
        for spec in scenario.fixtures.get("users") or []:
            if not isinstance(spec, dict) or not isinstance(spec.get("username"), str):
                raise ScenarioError(scenario.path, "a fixture user has a username and roles")
            user = find_user(session, spec["username"])
            if user is None:
                user = add_user(
                    session, spec["username"], FIXTURE_PASSWORD, list(spec.get("roles") or []), now=now
                )
            away = spec.get("away")
            if away:
                user.away_from = parse_instant(away.get("from"))
                user.away_to = parse_instant(away.get("to"))
                user.stand_in = away.get("stand_in")
        for handle, spec in (scenario.fixtures.get("customers") or {}).items():
            if handle in self.customers:
                continue
            fields = dict(spec or {})
            tier = fields.pop("tier", None)
            try:
                customer = create_customer(session, {"name": handle, **fields}, now=now)
                if tier:
                    set_tier(session, customer, tier, by="scenario", reason="fixture", now=now)
            except TripflowError as exc:
                raise ScenarioError(scenario.path, f"customer {handle}: {_error_text(exc)}") from None
            self.customers[handle] = customer.id
        session.commit()

    # --- actions ----------------------------------------------------------------------------------

    def _do(self, step: Step) -> None:
        opts = step.options
        wanted_error = opts.get("expect_error")
        try:
            if step.action != "check":  # a check step only checks (its expectations, after the step)
                getattr(self, "_" + step.action)(step)
        except TripflowError as exc:
            self.session.rollback()
            actual = _error_view(exc)
            if wanted_error is None:
                raise _StepFailed("refused", None, actual, _error_text(exc)) from None
            message = wanted_error.get("message") if isinstance(wanted_error, dict) else None
            if not checks.matches(_error_pattern(wanted_error), actual) or (
                message is not None and str(message) not in actual["message"]
            ):
                raise _StepFailed(
                    "expect_error", wanted_error, actual, "refused, but not as expected"
                ) from None
            return
        if wanted_error is not None:
            raise _StepFailed("expect_error", wanted_error, None, "the step was not refused")

    def _start(self, step: Step) -> None:
        who = self._actor(step.options.get("as") or "account_manager")
        data = self._resolve(step.options.get("data") or {})
        case = cases.start_case(self.session, self.rt, step.value, data, who)
        if self.main_case is None:
            self.main_case = case.id

    def _claim(self, step: Step) -> None:
        item = self._open_item(step)
        cases.claim_task(self.session, self.rt, item.id, self._actor_for(item, step))

    def _unclaim(self, step: Step) -> None:
        item = self._open_item(step)
        cases.unclaim_task(self.session, self.rt, item.id, self._actor_for(item, step))

    def _complete(self, step: Step) -> None:
        item = self._open_item(step)
        answers = self._resolve(step.options.get("answers") or {})
        cases.complete_task(self.session, self.rt, item.id, answers, self._actor_for(item, step))

    def _comment(self, step: Step) -> None:
        if step.options.get("task"):
            item = self._open_item(step, step.options["task"])
            comment_on_task(self.session, self.rt, item.id, step.value, self._actor_for(item, step))
        else:
            case = self._case(step.options.get("case"))
            comment_on_case(
                self.session,
                self.rt,
                case.id,
                step.value,
                self._actor(step.options.get("as") or "customer_service"),
            )
        self.session.commit()

    def _cancel(self, step: Step) -> None:
        case = self._case(step.value if isinstance(step.value, str) else None)
        who = self._actor(step.options.get("as") or "service_supervisor")
        cancel_case(
            self.session, self.rt, case.id, step.options.get("reason") or "cancelled in a scenario", who
        )

    def _move_clock(self, step: Step) -> None:
        clock = self.rt.clock
        assert isinstance(clock, FixedClock)
        if "to" in step.value:
            clock.set(datetime.fromisoformat(step.value["to"]))
        else:
            clock.set(clock.now() + parse_duration(step.value["by"]))
        if step.options.get("fire_timers"):
            self._fire()

    def _fire_timers(self, step: Step) -> None:
        self._fire()

    def _fire(self) -> None:
        """What one round of the timer worker does: calendar starts, then every due timer."""
        from workflows.cases.schedules import run_schedules

        run_schedules(self.session, self.rt)
        for _ in range(100):  # a timer may arm another that is due already: fire until none is due
            if not cases.fire_due_timers(self.session, self.rt, SYSTEM):
                return
        raise _StepFailed("timers", "no timer due after firing", "timers keep falling due", "a timer loop")

    def _message(self, step: Step) -> None:
        case = self._case(step.options.get("case"))
        who = self._actor(step.options["as"]) if step.options.get("as") else SYSTEM
        payload = self._resolve(step.options.get("data") or {})
        cases.deliver_message(self.session, self.rt, case.id, step.value, payload, who)

    def _shows(self, item: WorkItem) -> dict[str, Any]:
        """What the task's page and API show from earlier steps (``earlier_steps``)."""
        from workflows.inbox.tasks import earlier_steps, task_form

        case = self.session.get(Case, item.case_id)
        return earlier_steps(task_form(self.session, self.rt, item), (case.data if case else None) or {})

    def _check_listed(self, wanted: dict[str, Any], labels: dict[int, str]) -> None:
        """``listed: {as, filter, cases}``: the case list with those filters (``me`` = the user named
        by ``as``) holds exactly those cases."""
        from workflows.cases.queries import list_cases

        user = str(wanted.get("as") or "account_manager")
        filters = {k: (user if v == "me" else v) for k, v in (wanted.get("filter") or {}).items()}
        try:
            found, _next = list_cases(self.session, self.rt, limit=500, **filters)
        except TypeError as exc:
            raise _StepFailed("listed", wanted, str(exc), "not a filter of the case list") from None
        expected = sorted(labels[self._case(s).id] for s in wanted.get("cases") or [])
        actual = sorted(labels.get(c.id, str(c.id)) for c in found)
        if expected != actual:
            raise _StepFailed("listed", expected, actual, f"the case list filtered by {filters} differs")

    def _check(self, block: dict[str, Any]) -> None:
        self.session.expire_all()
        selector = block.get("case")
        block = {k: (v if k == "case" else self._resolve(v)) for k, v in block.items()}
        labels = self._labels()
        if "tasks" in block:
            query = select(WorkItem).where(WorkItem.status.in_(OPEN)).order_by(WorkItem.id)
            if selector is not None:
                query = query.where(WorkItem.case_id == self._case(selector).id)
            self._fail_on(
                checks.check_tasks(block["tasks"], list(self.session.scalars(query)), labels, self._shows)
            )
        if "cases" in block:
            counts: dict[str, int] = {}
            for key in self.session.scalars(select(Case.process_key)):
                counts[key] = counts.get(key, 0) + 1
            wanted = block["cases"]
            actual = {key: counts.get(key, 0) for key in wanted}
            if actual != wanted:
                raise _StepFailed("cases", wanted, counts, "a different number of cases")
        if "metrics" in block:
            self._check_metrics(block["metrics"])
        if "listed" in block:
            self._check_listed(block["listed"], labels)
        keys = {"status", "data", "documents", "history", "no_history", "timers"} & set(block)
        if not keys:
            return
        case = self._case(selector)
        label = labels[case.id]
        if "status" in block and case.status != block["status"]:
            actual = case.status + (
                f" ({case.error_element}: {case.error_message})" if case.status == "error" else ""
            )
            raise _StepFailed(f"status of {label}", block["status"], actual)
        if "data" in block:
            self._fail_on(checks.check_data(block["data"], case, label))
        if "documents" in block:
            self._fail_on(checks.check_documents(block["documents"], self.session, case, label))
        events = list(self.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id)))
        if "history" in block:
            self._fail_on(checks.check_history(block["history"], events, label))
        if "no_history" in block:
            self._fail_on(checks.check_no_history(block["no_history"], events, label))
        if "timers" in block:
            timers = list(
                self.session.scalars(select(Timer).where(Timer.case_id == case.id).order_by(Timer.id))
            )
            self._fail_on(checks.check_timers(block["timers"], timers, label))

    def _check_metrics(self, wanted: dict[str, Any]) -> None:
        from workflows.metrics import metrics_json, quarter_of, quarter_period

        wanted = dict(wanted)
        now = self.rt.clock.now()
        period_text = wanted.pop("period", None)
        if period_text:
            period = quarter_period(str(period_text), self.rt.timezone)
        else:
            from workflows.engine.today import local_today

            period = quarter_of(local_today(self.rt.clock, self.rt.timezone), self.rt.timezone)
        actual = metrics_json(self.session, period, now)
        for key, want in wanted.items():
            got = actual.get(key)
            if not checks.matches(want, got):
                raise _StepFailed(f"metrics.{key}", want, got)

    # --- lookups ----------------------------------------------------------------------------------

    def _fail_on(self, mismatch: checks.Mismatch | None) -> None:
        if mismatch is not None:
            raise _StepFailed(mismatch.what, mismatch.expected, mismatch.actual, mismatch.message)

    def _labels(self) -> dict[int, str]:
        """Each case as a selector names it: ``main``, else ``<process>`` or ``<process>#<n>``."""
        rows = list(self.session.execute(select(Case.id, Case.process_key).order_by(Case.id)))
        per_process: dict[str, list[int]] = {}
        for case_id, key in rows:
            per_process.setdefault(key, []).append(case_id)
        labels = {}
        for key, ids in per_process.items():
            for n, case_id in enumerate(ids, start=1):
                labels[case_id] = key if len(ids) == 1 else f"{key}#{n}"
        return labels

    def _case(self, selector: Any) -> Case:
        if selector in (None, "main"):
            if self.main_case is None:
                raise _StepFailed("case", "a started case", None, "no case has been started yet")
            case = self.session.get(Case, self.main_case)
            assert case is not None
            return case
        wanted = str(selector)
        key, _, number = wanted.partition("#")
        ids = list(self.session.scalars(select(Case.id).where(Case.process_key == key).order_by(Case.id)))
        if number.isdigit() and 1 <= int(number) <= len(ids):
            case_id = ids[int(number) - 1]
        elif not number and len(ids) == 1:
            case_id = ids[0]
        else:
            labels = sorted(self._labels().values())
            why = (
                f"{len(ids)} cases of {key}: name one as {key}#<n>" if len(ids) > 1 else f"no case '{wanted}'"
            )
            raise _StepFailed("case", wanted, labels, why)
        case = self.session.get(Case, case_id)
        assert case is not None
        return case

    def _open_item(self, step: Step, task: str | None = None) -> WorkItem:
        task = task or step.value
        query = select(WorkItem).where(WorkItem.bpmn_id == task, WorkItem.status.in_(OPEN))
        if step.options.get("case") is not None:
            query = query.where(WorkItem.case_id == self._case(step.options["case"]).id)
        items = list(self.session.scalars(query.order_by(WorkItem.id)))
        if len(items) != 1:
            labels = self._labels()
            open_now = [
                checks.task_view(i, labels.get(i.case_id, "?"))
                for i in self.session.scalars(select(WorkItem).where(WorkItem.status.in_(OPEN)))
            ]
            why = "not open" if not items else f"open in {len(items)} cases: name the case"
            raise _StepFailed(f"task {task}", "one open task", open_now, why)
        return items[0]

    def _actor(self, username: str) -> Actor:
        user = find_user(self.session, username)
        if user is None:
            raise _StepFailed("as", username, None, f"no user '{username}' (add it under fixtures.users)")
        return actor_of(user)

    def _actor_for(self, item: WorkItem, step: Step) -> Actor:
        """The user named by ``as``, else who holds the task, its assignee, or the user named as its lane."""
        username = (
            step.options.get("as") or item.claimed_by or item.assignee or item.lane or "service_supervisor"
        )
        return self._actor(username)

    def _resolve(self, value: Any) -> Any:
        """``{$customer: handle}`` → that customer's id; ``{$case: selector}`` → that case's id."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, ref),) = value.items()
                if key == "$customer":
                    if ref not in self.customers:
                        raise _StepFailed(
                            "$customer", ref, sorted(self.customers), "no such fixture customer"
                        )
                    return self.customers[ref]
                if key == "$case":
                    return self._case(ref).id
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value


def _error_view(exc: TripflowError) -> dict[str, Any]:
    errors = exc.details
    return {
        "code": getattr(exc, "code", type(exc).__name__),
        "message": str(exc),
        "fields": sorted({e.get("field") for e in errors if isinstance(e, dict) and e.get("field")}),
    }


def _error_pattern(wanted: Any) -> Any:
    """``expect_error: invalid`` or ``{code, fields: [...]}``; ``message`` is matched as a substring."""
    if isinstance(wanted, str):
        return {"code": wanted}
    return {k: v for k, v in wanted.items() if k != "message"}


def _error_text(exc: TripflowError) -> str:
    errors = exc.details
    detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    return f"{exc}" + (f" ({detail})" if detail else "")
