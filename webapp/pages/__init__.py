"""The web pages people use, one blueprint per area; this module registers them."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from workflows.cases.export import count_cases
from workflows.inbox import queries as inbox_queries
from workflows.people import notifications as notices
from workflows.permissions import (
    DEPLOY,
    EDIT_CUSTOMERS,
    FIX_CASES,
    MANAGE_USERS,
    READ_METRICS,
    START_ROLES,
    SUPERVISE,
    Actor,
    may_start,
)
from workflows.unit import read_or_none

from ..auth import current_actor
from ..extensions import db
from .common import TEMPLATE_FILTERS
from .labels import TEMPLATE_GLOBALS
from .people import person_name
from .system_texts import TEMPLATE_GLOBALS as SYSTEM_TEXTS
from .values import FIELD_INDEX_KEY

BADGE_CAP = inbox_queries.BADGE_CAP


def badge(count: int) -> str:
    return f"{BADGE_CAP - 1}+" if count >= BADGE_CAP else str(count)


def _inbox_counts() -> dict[str, int] | None:
    """Badge counts for the top bar: two cheap indexed counts, only when a page asks for them."""
    who = current_actor()
    if who is None:
        return None
    return read_or_none(
        db.session,
        lambda: {
            scope: inbox_queries.count_tasks(db.session, who, scope, cap=BADGE_CAP)
            for scope in ("mine", "group")
        },
    )


def _incident_count() -> int | None:
    """Cases in error, for the badge beside "Incidents" (one indexed count)."""
    return read_or_none(db.session, lambda: count_cases(db.session, "error"))


def _unread_notifications() -> int | None:
    """The bell's badge when the page is drawn (then kept fresh by notifications.js)."""
    who = current_actor()
    if who is None:
        return None
    return read_or_none(db.session, lambda: notices.unread_count(db.session, who))


def _has_page(endpoint: str) -> bool:
    """Whether a page exists in this build (a blueprint added later shows its link once registered)."""
    return endpoint in current_app.view_functions


def _may_start_something(who: Actor) -> bool:
    return any(may_start(who, key) for key in START_ROLES)


def _page_globals() -> dict[str, Any]:
    return {
        "inbox_counts": _inbox_counts,
        "may_start": may_start,
        "may_start_something": _may_start_something,
        "incident_count": _incident_count,
        "unread_notifications": _unread_notifications,
        "has_page": _has_page,
        "EDIT_CUSTOMERS": EDIT_CUSTOMERS,
        "READ_METRICS": READ_METRICS,
        "MANAGE_CASES": SUPERVISE | FIX_CASES,
        "DEPLOY": DEPLOY,
        "MANAGE_USERS": MANAGE_USERS,
    }


def _fresh_request_state() -> None:
    """Per-request caches kept on ``g`` start empty, also when tests keep one app context open
    across requests (Flask then reuses it, and Flask-Babel's chosen locale would stick)."""
    g.pop("_flask_babel", None)
    g.pop(FIELD_INDEX_KEY, None)


def register_pages(app: Flask) -> None:
    from .accounts import bp as accounts
    from .auth import bp as auth
    from .benefits import TEMPLATE_GLOBALS as BENEFIT_GLOBALS
    from .benefits import bp as benefits
    from .cases import bp as cases
    from .customers import bp as customers
    from .handbooks import bp as handbooks
    from .inbox import bp as inbox_pages
    from .manage import bp as manage
    from .models import bp as models
    from .notifications import bp as me
    from .processes import bp as processes
    from .reports import bp as reports
    from .tasks import bp as tasks
    from .trip_links import bp as trip_links
    from .trip_page import bp as trip_page

    pages = (auth, inbox_pages, tasks, cases, customers, processes, reports, manage, models, accounts, me)
    from .partners import bp as partners  # the emergency resource pool (issue 17)

    pages += (trip_page, trip_links)  # the customer's own trip page (no sign-in); its staff side
    pages = (*pages, handbooks, partners)
    for blueprint in pages:
        app.register_blueprint(blueprint)
    app.register_blueprint(benefits)
    app.add_template_filter(badge, "badge")
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    app.jinja_env.globals.update(SYSTEM_TEXTS)
    app.jinja_env.globals.update(BENEFIT_GLOBALS)
    app.jinja_env.globals["person_name"] = person_name  # global: the ``person`` macro is imported
    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    app.context_processor(_page_globals)
    app.before_request(_fresh_request_state)
