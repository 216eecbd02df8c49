"""URL converters: ``<int:...>`` only matches numbers a database integer column can hold.

Werkzeug's own ``int`` matches any length of digits; a 30-digit case id would reach SQLite or
PostgreSQL and fail there (a 500). Bounded, such a URL matches no route: 404.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1
"""The largest id in a URL: PostgreSQL's ``integer``, the type of every id column."""


class IdConverter(IntegerConverter):
    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
