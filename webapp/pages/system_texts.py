"""Sentences the system writes into the record, shown in the reader's language.

Tier-change reasons, migration notes and incident messages are stored as the engine or a handler
wrote them (English, with figures in them): the record stays as written, and pages show it through
these patterns. Text that matches no pattern is shown as stored: a person typed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

Pattern = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
TASK = r"'(?P<task>[^']+)'(?P<where>.*)"  # how the migration check names a task

TIER_REASONS: list[Pattern] = [
    (
        re.compile(r"spend (?P<spend>[\d.,]+|None) CNY, (?P<trips>\d+|None) trips in 12 months"),
        lambda m: _(
            "spent %(spend)s CNY and travelled %(trips)s times in 12 months",
            spend=m["spend"].replace("None", "0"),
            trips=m["trips"].replace("None", "0"),
        ),
    ),
    (re.compile(r"carried over from the old CRM"), lambda m: _("carried over from the old CRM")),
]

MIGRATION: list[Pattern] = [
    (
        re.compile(r"version (?P<old>\d+) → (?P<new>\d+); changed: (?P<what>.+)"),
        lambda m: _(
            "version %(old)s → %(new)s; changed: %(what)s", old=m["old"], new=m["new"], what=m["what"]
        ),
    ),
    (
        re.compile(r"version (?P<old>\d+) → (?P<new>\d+)"),
        lambda m: _("version %(old)s → %(new)s", old=m["old"], new=m["new"]),
    ),
    (
        re.compile(r"every active task exists in version (?P<v>\d+); not yet done and changed: (?P<what>.+)"),
        lambda m: _(
            "every open task exists in version %(v)s; changed and not yet done: %(what)s",
            v=m["v"],
            what=m["what"],
        ),
    ),
    (
        re.compile(r"every active task exists in version (?P<v>\d+) unchanged"),
        lambda m: _("every open task exists unchanged in version %(v)s", v=m["v"]),
    ),
    (
        re.compile(r"the case already runs version (?P<v>\d+)"),
        lambda m: _("the case already runs version %(v)s", v=m["v"]),
    ),
    (
        re.compile(r"the case is (?P<status>\w+); only running, suspended or failed cases move"),
        lambda m: _(
            "the case is %(status)s; only running, suspended or failed cases move", status=m["status"]
        ),
    ),
    (
        re.compile(r"the case is at '(?P<task>[^']+)'(?P<where>.*), which the new version no longer has"),
        lambda m: _(
            "the case is at “%(task)s”%(where)s, which the new version no longer has", **m.groupdict()
        ),
    ),
    (
        re.compile(r"'(?P<task>[^']+)'(?P<where>.*) is already done and the new version no longer has it"),
        lambda m: _("“%(task)s”%(where)s is done and the new version no longer has it", **m.groupdict()),
    ),
    (
        re.compile(TASK + r" is already done and has changed in the new version \((?P<what>.+)\)"),
        lambda m: _(
            "“%(task)s”%(where)s is done and has changed in the new version (%(what)s)", **m.groupdict()
        ),
    ),
    (
        re.compile(TASK + r" has started and has changed in the new version \((?P<what>.+)\)"),
        lambda m: _(
            "“%(task)s”%(where)s has started and has changed in the new version (%(what)s)", **m.groupdict()
        ),
    ),
]

INCIDENTS: list[Pattern] = [
    (re.compile(r"division by zero"), lambda m: _("A calculation divided by zero.")),
    (
        re.compile(r"name '(?P<name>\w+)' is not defined"),
        lambda m: _("The step uses %(name)s, which the case data does not have.", name=m["name"]),
    ),
    (
        re.compile(r"KeyError: '?(?P<name>\w+)'?|'(?P<key>\w+)' is not defined|KeyError"),
        lambda m: _("The step looks up a value that is missing."),
    ),
    (
        re.compile(r"Error evaluating expression|Error executing Script|ScriptTask"),
        lambda m: _("A script or expression in the model failed."),
    ),
    (re.compile(r"timed out|timeout", re.I), lambda m: _("The step took too long and was stopped.")),
]


def _first(patterns: list[Pattern], text: str | None) -> str | None:
    if not text:
        return None
    for pattern, make in patterns:
        found = pattern.search(text)
        if found:
            return make(found)
    return None


def tier_reason(text: str | None) -> str:
    """A tier change's reason in words; a reason a supervisor typed is shown as typed."""
    if not text:
        return ""
    fullmatch = _first([(re.compile(f"^(?:{p.pattern})$"), make) for p, make in TIER_REASONS], text)
    return fullmatch or text


def migration_text(text: str | None) -> str:
    """A migration note or reason in words (the record keeps the engine's sentence)."""
    return _first(MIGRATION, text) or (text or "")


def incident_summary(message: str | None) -> str:
    """What went wrong, in one sentence in the reader's language; the raw message is shown beside it."""
    return _first(INCIDENTS, message) or _("The step failed; the engine's message follows.")


TEMPLATE_GLOBALS = {
    "tier_reason": tier_reason,
    "migration_text": migration_text,
    "incident_summary": incident_summary,
}
