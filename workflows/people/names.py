"""People by name: the display names of usernames, read in one query for a whole page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.models import User


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """``{username: display name}`` for every known username among ``usernames``; a user without a
    display name (or not a user, such as ``system``) is absent, and callers show the username."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
    return {username: name for username, name in rows if name}


def people_of(items: Iterable[object]) -> list[str]:
    """Every username a list of work items or events mentions (assignee, holder, actor)."""
    out: list[str] = []
    for item in items:
        for attr in ("assignee", "claimed_by", "completed_by", "user"):
            value = getattr(item, attr, None)
            if isinstance(value, str):
                out.append(value)
    return out


def search_people(session: Session, text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Active users whose display name or username contains ``text`` (any case): an assignment
    picker's suggestions, ``[(username, display name)]`` by name."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.execute(
        select(User.username, User.display_name)
        .where(
            User.active.is_(True),
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
            ),
        )
        .order_by(User.display_name, User.username)
        .limit(limit)
    )
    return [(u, n or u) for u, n in rows]
