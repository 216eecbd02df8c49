"""A field's error in the user's language, worded from the ``code`` and ``params`` the service gives.

``workflows.forms`` names each bad field with a code (``required``, ``minimum``, ``date_after``…)
and an English message for the API. People read the sentence made here instead; details without
a code (from older services or hooks) get a generic sentence, with the service's message in English.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale, gettext, ngettext


def _type_word(kind: Any) -> str:
    kind = kind[0] if isinstance(kind, list) and kind else kind
    return {
        "integer": gettext("a whole number"),
        "number": gettext("a number"),
        "boolean": gettext("yes or no"),
        "string": gettext("text"),
        "array": gettext("a list"),
        "object": gettext("a group of fields"),
    }.get(str(kind), str(kind))


def _format_sentence(fmt: Any) -> str:
    return {
        "date": gettext("Please enter a valid date."),
        "date-time": gettext("Please enter a valid date and time."),
        "email": gettext("Please enter a valid email address."),
    }.get(str(fmt), gettext("This value is not in the expected format."))


def _limit(params: dict[str, Any]) -> Any:
    limit = params.get("limit")
    return int(limit) if isinstance(limit, float) and limit.is_integer() else limit


def _legacy_code(detail: dict[str, Any]) -> str | None:
    """Services that give only an English message: recognise the common ones."""
    message = str(detail.get("message", "")).lower()
    empty = message.endswith(("should be non-empty", "is too short"))
    if empty or message in ("this field is required", "is required", "must not be empty"):
        return "required"
    if "is not a 'date'" in message:
        return "format:date"
    if "is not a 'email'" in message:
        return "format:email"
    return None


def error_text(detail: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One sentence for one ``{"field", "code", "params", "message"}`` detail."""
    code = detail.get("code") or _legacy_code(detail)
    params = detail.get("params") or {}
    if code and code.startswith("format:"):
        code, params = "format", {"format": code.split(":", 1)[1]}
    limit = _limit(params)
    if code == "required":
        return gettext("This field is required.")
    if code == "type":
        return gettext("Please enter %(what)s.", what=_type_word(params.get("type")))
    if code == "minimum":
        return gettext("Must be at least %(limit)s.", limit=limit)
    if code == "exclusiveMinimum":
        return gettext("Must be more than %(limit)s.", limit=limit)
    if code == "maximum":
        return gettext("Must be at most %(limit)s.", limit=limit)
    if code == "exclusiveMaximum":
        return gettext("Must be less than %(limit)s.", limit=limit)
    if code == "minLength":
        if limit == 1:
            return gettext("This field is required.")
        return ngettext(
            "Enter at least %(num)d character.", "Enter at least %(num)d characters.", int(limit or 0)
        )
    if code == "maxLength":
        return ngettext(
            "Enter at most %(num)d character.", "Enter at most %(num)d characters.", int(limit or 0)
        )
    if code == "minItems":
        return ngettext("Add at least %(num)d row.", "Add at least %(num)d rows.", int(limit or 0))
    if code == "maxItems":
        return ngettext("Add at most %(num)d row.", "Add at most %(num)d rows.", int(limit or 0))
    if code == "enum":
        return gettext("Please choose one of the options.")
    if code == "format":
        return _format_sentence(params.get("format"))
    if code == "attachment":
        return gettext("Please attach the file again.")
    if code == "file_size":
        return gettext("The file is larger than %(limit)s MB.", limit=limit)
    if code == "file_type":
        return gettext("Please attach a PDF or an image (PDF, PNG, JPEG, GIF, WebP, HEIC).")
    if code == "checklist":
        text = params.get("text") if isinstance(params.get("text"), dict) else {}
        said = text.get(str(get_locale())) or text.get("en")
        return str(said) if said else gettext("This value is not valid.")
    if code == "date_after":
        other = str(params.get("other", ""))
        return gettext("Must be after %(other)s.", other=(labels or {}).get(other, other))
    generic = gettext("This value is not valid.")
    message = detail.get("message")
    if message and str(get_locale()) == "en":
        return f"{generic} ({message})"
    return generic
