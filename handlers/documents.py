"""Rendering the documents a trip produces (itinerary, contract, letters, forms) as HTML.

Jinja2 without Flask: the templates live in handlers/templates and autoescape everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **values: Any) -> bytes:
    return _env.get_template(template).render(**values).encode("utf-8")
