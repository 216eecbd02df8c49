"""The web pages people use, one blueprint per area; this module registers them."""

from __future__ import annotations

from flask import Flask


def register_pages(app: Flask) -> None:
    from .auth import bp as auth

    app.register_blueprint(auth)
