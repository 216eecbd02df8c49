"""People by name on every page: a user id shown as the display name, with the id on hover."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from workflows.people.names import every_display_name
from workflows.trip_page.actions import CUSTOMER
from workflows.unit import read_or_none

from ..extensions import db


def person_name(username: str | None) -> str:
    """The display name of ``username`` (the username itself when it has none, e.g. ``system``);
    the staff list is read once per request."""
    if not username:
        return ""
    if username == CUSTOMER.username:  # the customer acting on their trip page: no user account
        return str(_("The customer (trip page)"))
    names = getattr(g, "_display_names", None)
    if names is None:
        names = read_or_none(db.session, lambda: every_display_name(db.session)) or {}
        g._display_names = names
    return names.get(username) or username
