"""Text that no store can hold is refused at the door: NUL and control characters in the path, the
query string, form fields and the names of uploaded files.

PostgreSQL's text columns refuse NUL (0x00), so a search for ``%00``, a form field or a file name
holding one would fail in the database, as a 500; a control character in a process key or a file
name is never meant, and breaks the XML, headers and file names it ends up in. So a path segment, a
field name and a file name may hold no control character at all, and a value may hold none but
TAB, LF and CR (text areas send those). JSON bodies are checked by the API layer
(``workflows.cases.forms.value_problems``), which refuses NUL there too.
"""

from __future__ import annotations

import re

from flask import request

from workflows.errors import Invalid

# C0 controls and DEL: nothing a name, a path segment or a file name ever needs
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# in a value, TAB, LF and CR are ordinary text (a comment's paragraphs)
_VALUE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters() -> None:
    """Raises ``Invalid`` (400) naming the path, each field and each file name holding a control character."""
    problems: dict[str, str] = {}
    if _ANY_CONTROL.search(request.path):
        problems["path"] = _message(request.path)
    sources = [request.args]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.form)
        for name, upload in request.files.items(multi=True):
            if _ANY_CONTROL.search(name):
                problems.setdefault(_shown(name), _message(name))
            elif upload.filename and _ANY_CONTROL.search(upload.filename):
                problems.setdefault(name, "the file name " + _message(upload.filename))
    for values in sources:
        for name, value in values.items(multi=True):
            if _ANY_CONTROL.search(name):
                problems.setdefault(_shown(name), _message(name))
            elif _VALUE_CONTROL.search(value):
                problems.setdefault(name, _message(value, _VALUE_CONTROL))
    if problems:
        raise Invalid(
            "a field holds a NUL or control character",
            [{"field": field, "message": message} for field, message in sorted(problems.items())],
        )


def _message(text: str, pattern: re.Pattern[str] = _ANY_CONTROL) -> str:
    if "\x00" in text:
        return "holds a NUL character (\\u0000)"
    found = sorted({f"\\u{ord(c):04x}" for c in pattern.findall(text)})
    return f"holds a control character ({', '.join(found)})"


def _shown(name: str) -> str:
    """A field name as the answer can show it (JSON and logs must not carry the control characters)."""
    return _ANY_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", name)
