"""The errors service functions raise; the web layer maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


class TripflowError(Exception):
    """Base of every refusal a service function gives; ``code`` is the API's error code."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(TripflowError):
    code = "not_found"


class Forbidden(TripflowError):
    code = "forbidden"


class Conflict(TripflowError):
    """The case or task is not in a state that allows the action (409)."""

    code = "conflict"


class Invalid(TripflowError):
    """Bad input (400); ``details`` holds one ``{"field", "message"}`` per bad field."""

    code = "invalid"


class InvalidModel(TripflowError):
    """A BPMN/DMN/form file that cannot be deployed (422); details name file, line and element."""

    code = "invalid_model"


class TooLarge(TripflowError):
    code = "too_large"
