"""Flash messages with the categories the base template styles."""

from __future__ import annotations

from flask import flash


def flash_success(message: str) -> None:
    flash(message, "success")


def flash_info(message: str) -> None:
    flash(message, "info")


def flash_error(message: str) -> None:
    flash(message, "error")
