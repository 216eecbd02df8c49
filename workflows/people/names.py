"""People by name: the display names of usernames, read in one query for a whole page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.models import User, UserRole
from workflows.permissions import SUPERVISE, Actor


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


def search_people(
    session: Session, actor: Actor, text: str, role: str | None = None, limit: int = 20
) -> list[tuple[str, str]]:
    """An assignment picker's suggestions: active users (holding ``role`` when given) whose display
    name or username contains ``text`` (any case), ``[(username, display name)]`` by name.
    Only for those who hand work around."""
    actor.require(SUPERVISE, "searching people to assign work to")
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(User.username, User.display_name).where(
        User.active.is_(True),
        or_(
            func.lower(User.display_name).like(pattern, escape="\\"),
            func.lower(User.username).like(pattern, escape="\\"),
        ),
    )
    if role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    rows = session.execute(query.order_by(User.display_name, User.username).limit(limit))
    return [(u, n or u) for u, n in rows]


def every_display_name(session: Session) -> dict[str, str]:
    """``{username: display name}`` of every user with one: a page that names many people reads the
    staff list once (an agency has tens of users, not thousands)."""
    rows = session.execute(select(User.username, User.display_name).where(User.display_name != ""))
    return {username: name for username, name in rows if name}
