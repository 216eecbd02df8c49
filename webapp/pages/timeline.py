"""A case's history as people read it: who, when, what happened, and which values changed.

The audit trail stores ids and the services' own short English notes; this turns each event
into a translated line, and its ``data_changes`` (``{variable: [old, new]}``) into labelled values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from .common import local_datetime
from .labels import case_status_label, event_label, message_label, role_label, task_label
from .people import person_name
from .system_texts import incident_summary, migration_text
from .values import HIDDEN, Shown, label, scalar_text, show

MINOR = ("task_created", "task_claimed", "task_unclaimed")
# Changes listed under a "show" toggle: a completed form records every answer, a start every input.
COLLAPSED = ("task_completed", "case_started")
_ASSIGNED = re.compile(r"^assigned to (\S+)$")
_HANDED = re.compile(r"^(\S+) is away; handed to (\S+)$")
_REFUSED = re.compile(
    r"^not assigned to (.+): (no such user|the user is disabled|not an employee|not in lane (\S+))$"
)
_DUE = re.compile(r"^due (\S+)$")
_RETRY = re.compile(r"^retry of (\S+): (.*)$", re.S)


@dataclass(frozen=True)
class Change:
    label: str
    new: Shown
    old: str = ""  # the earlier value in words, when there was a plain one


@dataclass(frozen=True)
class Entry:
    kind: str
    at: datetime
    user: str | None
    title: str
    text: str = ""
    changes: list[Change] = field(default_factory=list)
    collapsed: bool = False
    minor: bool = False


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def changes_of(data_changes: dict[str, Any] | None, index: dict[str, dict[str, Any]]) -> list[Change]:
    shown = []
    for key, pair in (data_changes or {}).items():
        if key.startswith(("_", *HIDDEN)):
            continue
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        before = (
            ""
            if _is_empty(old) or isinstance(old, dict | list) or old == new
            else scalar_text(key, old, index)
        )
        after = (
            show(key, new, index) if not _is_empty(new) else Shown(key, label(key, index), "text", text="—")
        )
        shown.append(Change(after.label, after, before))
    return shown


def _text(event: Any, names: dict[str, str]) -> str:
    """The event's note in the reader's language where the services write a known pattern."""
    text = (event.text or "").strip()
    kind = event.kind
    if kind == "task_assigned":
        handed = _HANDED.match(text)
        if handed:
            away, user = (person_name(handed.group(i)) for i in (1, 2))
            return _("%(away)s is away; handed to %(user)s", away=away, user=user)
        assigned = _ASSIGNED.match(text)
        return _("Assigned to %(user)s", user=person_name(assigned.group(1))) if assigned else text
    if kind == "assignment_refused":
        return _refusal_text(text)
    if kind == "timer_fired":
        due = _DUE.match(text)
        return _("Due %(at)s", at=local_datetime(due.group(1))) if due else text
    if kind == "case_completed":
        return _("Outcome: %(status)s", status=case_status_label(text)) if text else ""
    if kind == "case_retried":
        retry = _RETRY.match(text)
        if retry:
            step = task_label(retry.group(1), names.get(retry.group(1)))
            return _("%(step)s ran again after: %(message)s", step=step, message=retry.group(2))
    if kind == "data_changed" and text == "set by the process":
        return _("Set by the process")
    if kind in ("case_started", "message_received"):
        return ""  # the process and the message name are in the title
    if kind == "case_migrated":
        return migration_text(text)
    if kind == "case_error":
        return incident_summary(text)  # the raw message stays on the incident and in the API
    return text


def _refusal_text(text: str) -> str:
    """Why a task named by case data went to the group inbox instead (``Step._assign`` writes it)."""
    refused = _REFUSED.match(text)
    if refused is None:
        return text
    user, reason, lane = refused.groups()
    if lane:
        why = _("%(user)s does not hold the role %(role)s", user=user, role=role_label(lane))
    elif reason == "no such user":
        why = _("%(user)s does not exist", user=user)
    elif reason == "the user is disabled":
        why = _("%(user)s is disabled", user=user)
    else:
        why = _("%(user)s is not an employee", user=user)
    return _("%(why)s: the task waits in the group inbox", why=why)


def _title(event: Any, names: dict[str, str]) -> str:
    title = event_label(event.kind)
    if event.kind == "message_received" and event.text:
        return f"{title}: {message_label(event.text)}"
    if event.bpmn_id:
        return f"{title}: {task_label(event.bpmn_id, event.task_name or names.get(event.bpmn_id))}"
    return title


def timeline(
    events: list[Any], index: dict[str, dict[str, Any]], names: dict[str, str] | None = None
) -> list[Entry]:
    """``names``: element ids -> names in the model, for elements the label catalogue does not know."""
    return [
        Entry(
            kind=e.kind,
            at=e.at,
            user=e.user,
            title=_title(e, names or {}),
            text=_text(e, names or {}),
            changes=changes_of(e.data_changes, index),
            collapsed=e.kind in COLLAPSED,
            minor=e.kind in MINOR,
        )
        for e in events
    ]
