"""Text that no store can hold is refused at the door: NUL characters in query strings and forms.

PostgreSQL's text columns refuse NUL (0x00), so a search for ``%00`` or a form field holding one
would fail in the database, as a 500. JSON bodies are checked by the API layer
(``workflows.cases.forms.value_problems``), which refuses NUL there too.
"""

from __future__ import annotations

from flask import request

from workflows.errors import Invalid


def refuse_nul_characters() -> None:
    """Raises ``Invalid`` (400) naming each query parameter or form field that holds a NUL."""
    sources = [request.args]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.form)
    bad = sorted(
        {
            name
            for values in sources
            for name, value in values.items(multi=True)
            if "\x00" in value or "\x00" in name
        }
    )
    if bad:
        raise Invalid(
            "a field holds a NUL character",
            [
                {"field": name.replace("\x00", "\\u0000"), "message": "holds a NUL character (\\u0000)"}
                for name in bad
            ],
        )
