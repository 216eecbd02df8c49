"""Who can be chosen in a form: active users, by role (assignees, stand-ins, dedicated advisors)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import User, UserRole


def active_users(session: Session, role: str | None = None) -> list[tuple[str, str]]:
    """Active users (user name, display name), only those holding ``role`` when one is given."""
    query = select(User.username, User.display_name).where(User.active.is_(True)).order_by(User.username)
    if role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    return [(row.username, row.display_name or row.username) for row in session.execute(query)]
