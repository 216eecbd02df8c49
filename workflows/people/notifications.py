"""Telling people about work: a task lands in their inbox, is assigned to them, or nears its deadline.

A notice is a ``notification`` row, written in the same transaction as the step that made or
assigned the work item, so a notice exists exactly when its task does. Only the bell reads these
rows in the request; e-mail and group-robot posts are sent after commit by the worker
(``workflows.people.delivery``), and deadline notices are produced by the worker's scan below.

A group task notifies every active user holding the lane's role: one row per person, which is
cheap at an agency's size (tens of people per role) but grows with the group; a very large group
would want one row per role and a per-user read marker instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.errors import Invalid, NotFound
from workflows.models import Notification, User, UserRole, WorkItem
from workflows.permissions import Actor
from workflows.unit import begin_write, unit_of_work

KINDS = ("task_assigned", "task_in_group", "due_soon", "overdue")
OPEN = ("ready", "claimed")
DUE_SOON = timedelta(hours=1)


# --- written in the step's transaction ---------------------------------------------------------


def notify_new_work(session: Session, item: WorkItem, now: datetime) -> None:
    """A new work item: its assignee is told, or else everyone of its lane's role (and the role's robot)."""
    if item.assignee:
        _tell_people(session, item, "task_assigned", now, [item.assignee])
    elif item.lane:
        _tell_role(session, item, "task_in_group", now)


def notify_assigned(session: Session, item: WorkItem, now: datetime, *, by: str) -> None:
    """A supervisor handed the task to someone (who is not told about their own doing)."""
    if item.assignee and item.assignee != by:
        _tell_people(session, item, "task_assigned", now, [item.assignee])


def _tell_role(session: Session, item: WorkItem, kind: str, now: datetime) -> None:
    members = select(UserRole.user_id).where(UserRole.role == item.lane)
    users = session.scalars(select(User).where(User.id.in_(members), User.active.is_(True)))
    _write(session, item, kind, now, list(users))
    # the role's group robot; also the mark that this notice was made, whoever received it
    session.add(_row(item, kind, now, username=None, webhook_status="pending"))


def _tell_people(session: Session, item: WorkItem, kind: str, now: datetime, usernames: list[str]) -> None:
    users = list(session.scalars(select(User).where(User.username.in_(usernames), User.active.is_(True))))
    if not _write(session, item, kind, now, users):
        session.add(_row(item, kind, now, username=None, in_app=False))  # the mark alone


def _write(session: Session, item: WorkItem, kind: str, now: datetime, users: list[User]) -> int:
    written = 0
    for user in users:
        by_email = bool(user.notify_email and user.email)
        if not (user.notify_in_app or by_email):
            continue
        session.add(
            _row(
                item,
                kind,
                now,
                username=user.username,
                in_app=user.notify_in_app,
                email_status="pending" if by_email else None,
            )
        )
        written += 1
    return written


def _row(item: WorkItem, kind: str, now: datetime, *, username: str | None, **fields: Any) -> Notification:
    fields.setdefault("in_app", username is not None)
    return Notification(
        username=username,
        role=item.lane,
        at=now,
        kind=kind,
        case_id=item.case_id,
        work_item_id=item.id,
        task_name=item.name,
        customer_name=item.customer_name,
        destination=item.destination,
        due_at=item.due_at,
        **fields,
    )


# --- the worker's deadline scan ----------------------------------------------------------------


def warn_deadlines(session: Session, now: datetime, limit: int = 200) -> int:
    """Tell whoever holds (or could take) an open task that it is due within the hour, or overdue.

    Each task gets each notice once: the scan skips tasks that have it, and re-checks after taking
    the row lock, so two workers side by side never both write it. Commits; returns the count.
    """

    made = 0
    # (kind, due after, due at or before): a task already late when first seen is only "overdue"
    for kind, due_after, due_before in (
        ("overdue", None, now),
        ("due_soon", now, now + DUE_SOON),
    ):
        already = select(Notification.id).where(
            Notification.work_item_id == WorkItem.id, Notification.kind == kind
        )
        window = [WorkItem.sort_due <= due_before]
        if due_after is not None:
            window.append(WorkItem.sort_due > due_after)
        query = (
            select(WorkItem)
            .where(WorkItem.status.in_(OPEN), WorkItem.due_at.is_not(None), *window, ~already.exists())
            .order_by(WorkItem.sort_due)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WorkItem)
        )
        begin_write(session)  # SQLite: one writer at a time; PostgreSQL: the row locks above
        for item in list(session.scalars(query)):
            if _has_notice(session, item.id, kind):
                continue
            holder = item.claimed_by or item.assignee
            if holder:
                _tell_people(session, item, kind, now, [holder])
            elif item.lane:
                _tell_role(session, item, kind, now)
            else:
                session.add(_row(item, kind, now, username=None, in_app=False))
            made += 1
        session.commit()
    return made


def _has_notice(session: Session, work_item_id: int, kind: str) -> bool:
    query = select(Notification.id).where(
        Notification.work_item_id == work_item_id, Notification.kind == kind
    )
    return session.scalars(query.limit(1)).first() is not None


# --- the bell ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    id: int
    at: datetime
    kind: str
    case_id: int | None
    task_id: int | None
    task_name: str | None
    customer_name: str | None
    destination: str | None
    due_at: datetime | None
    read: bool


def _view(row: Notification) -> NotificationView:
    return NotificationView(
        id=row.id,
        at=row.at,
        kind=row.kind,
        case_id=row.case_id,
        task_id=row.work_item_id,
        task_name=row.task_name,
        customer_name=row.customer_name,
        destination=row.destination,
        due_at=row.due_at,
        read=row.read_at is not None,
    )


def my_notifications(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 50, unread_only: bool = False
) -> tuple[list[NotificationView], str | None]:
    """Mine, newest first, paged by id; raises ``Invalid`` for a bad cursor."""
    query = select(Notification).where(Notification.username == actor.username, Notification.in_app.is_(True))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and int(cursor) < 2**31):
            raise Invalid("bad cursor", [{"field": "cursor", "message": "not a cursor"}])
        query = query.where(Notification.id < int(cursor))
    rows = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return [_view(r) for r in rows[:limit]], next_cursor


def unread_count(session: Session, actor: Actor, cap: int = 100) -> int:
    """Unread notices for the bell's badge, counted up to ``cap`` (cheap at any history length)."""
    query = (
        select(Notification.id)
        .where(
            Notification.username == actor.username,
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
        .limit(cap)
    )
    return len(list(session.scalars(query)))


def mark_read(session: Session, actor: Actor, notification_id: int, now: datetime) -> NotificationView:
    """Mark one of mine read; someone else's is ``NotFound``, as if it did not exist. Commits."""
    with unit_of_work(session):
        row = session.get(Notification, notification_id)
        if row is None or row.username != actor.username or not row.in_app:
            raise NotFound(f"notification {notification_id} does not exist")
        if row.read_at is None:
            row.read_at = now
        return _view(row)


def mark_all_read(session: Session, actor: Actor, now: datetime) -> int:
    """Mark every unread notice of mine read. Commits; returns how many."""
    with unit_of_work(session):
        result = session.execute(
            update(Notification)
            .where(Notification.username == actor.username, Notification.read_at.is_(None))
            .values(read_at=now)
        )
    return int(getattr(result, "rowcount", 0) or 0)


# --- channel choices (/me) ---------------------------------------------------------------------


def get_channels(session: Session, actor: Actor) -> dict[str, Any]:
    user = _me(session, actor)
    return {"in_app": user.notify_in_app, "email": user.notify_email, "address": user.email}


def set_channels(session: Session, actor: Actor, *, in_app: Any, email: Any, address: Any) -> dict[str, Any]:
    """Choose how I am told. E-mail needs an address that looks like one; raises ``Invalid``. Commits."""
    user = _me(session, actor)
    address = address.strip() if isinstance(address, str) else None
    errors = []
    if not isinstance(in_app, bool):
        errors.append({"field": "in_app", "message": "must be true or false"})
    if not isinstance(email, bool):
        errors.append({"field": "email", "message": "must be true or false"})
    if address and (len(address) > 254 or "@" not in address.strip("@") or not _printable(address)):
        errors.append({"field": "address", "message": "not an e-mail address"})
    elif email is True and not address:
        errors.append({"field": "address", "message": "give an address to be told by e-mail"})
    if errors:
        raise Invalid("bad notification settings", errors)
    with unit_of_work(session):
        user = _me(session, actor)
        user.notify_in_app, user.notify_email, user.email = in_app, email, address or None
    return get_channels(session, actor)


def _printable(text: str) -> bool:
    return all(c.isprintable() and not c.isspace() for c in text)


def _me(session: Session, actor: Actor) -> User:
    user = session.scalars(select(User).where(User.username == actor.username)).first()
    if user is None:
        raise NotFound(f"user {actor.username} does not exist")
    return user


# --- copies for a role (not work: nothing to complete) ------------------------------------------


def notify_role_copy(
    session: Session,
    role: str,
    kind: str,
    now: datetime,
    *,
    case_id: int,
    title: str,
    customer_name: str | None = None,
    destination: str | None = None,
) -> int:
    """A copy of something filed on a case for everyone of ``role`` (seed 004: 抄送主管), in the
    step's transaction; e-mail goes out after commit like any notice. Returns the people told."""
    members = select(UserRole.user_id).where(UserRole.role == role)
    users = list(session.scalars(select(User).where(User.id.in_(members), User.active.is_(True))))
    told = 0
    for user in users:
        by_email = bool(user.notify_email and user.email)
        if not (user.notify_in_app or by_email):
            continue
        session.add(
            Notification(
                username=user.username,
                role=role,
                at=now,
                kind=kind,
                case_id=case_id,
                task_name=title,
                customer_name=customer_name,
                destination=destination,
                in_app=user.notify_in_app,
                email_status="pending" if by_email else None,
            )
        )
        told += 1
    return told


def notify_roles_overdue(session: Session, item: WorkItem, now: datetime, roles: list[str]) -> None:
    """People of other roles than the task's own hear that it is late (an incident not answered in time)."""
    members = select(UserRole.user_id).where(UserRole.role.in_(roles))
    users = session.scalars(select(User).where(User.id.in_(members), User.active.is_(True)))
    if not _write(session, item, "overdue", now, list(users)):
        session.add(_row(item, "overdue", now, username=None, in_app=False))  # the mark alone
