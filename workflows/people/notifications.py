"""Telling people about work: a task lands in their inbox, is assigned to them, or nears its deadline.

A notice is a ``notification`` row, written in the same transaction as the step that made or
assigned the work item, so a notice exists exactly when its task does. Only the bell reads these
rows in the request; e-mail and group-robot posts are sent after commit by the worker
(``workflows.people.delivery``), and deadline notices are produced by the worker's scan below.

A group task (or a deadline of an unclaimed one) tells its lane with ONE row addressed to the role
(``username`` NULL, ``role`` the lane): the step writes the same single row whether the role has
three members or three hundred. Each member's bell reads the role's rows next to their own, and
reading one writes a per-user marker (``notification_read``); e-mails to the role's members and
the group-robot post are fanned out after commit by the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.orm import Session

from workflows.errors import Invalid, NotFound
from workflows.models import Notification, NotificationRead, User, UserRole, WorkItem
from workflows.permissions import OPEN, Actor
from workflows.unit import begin_write, unit_of_work

KINDS = ("task_assigned", "task_in_group", "due_soon", "overdue")
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
    # one row for the whole lane: the bell of each member, their e-mails and the group robot;
    # also the mark that this notice was made, whoever received it
    fields = {"in_app": True, "webhook_status": "pending", "email_status": "pending"}
    session.add(_row(item, kind, now, username=None, **fields))


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


def _view(row: Notification, read: bool | None = None) -> NotificationView:
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
        read=row.read_at is not None if read is None else read,
    )


def _mine(actor: Actor) -> Any:
    """Notices addressed to me by name."""
    return and_(Notification.username == actor.username, Notification.in_app.is_(True))


def _my_roles(actor: Actor) -> Any:
    """Notices addressed to a role I hold (shown while I choose the bell)."""
    return and_(
        Notification.username.is_(None),
        Notification.role.in_(sorted(actor.roles)),
        Notification.in_app.is_(True),
    )


def _read_by(actor: Actor) -> Any:
    return exists().where(
        NotificationRead.notification_id == Notification.id, NotificationRead.username == actor.username
    )


def _wants_bell(session: Session, actor: Actor) -> bool:
    chosen = session.scalars(select(User.notify_in_app).where(User.username == actor.username)).first()
    return bool(chosen)


def my_notifications(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int = 50, unread_only: bool = False
) -> tuple[list[NotificationView], str | None]:
    """Mine and my roles', newest first, paged by id; raises ``Invalid`` for a bad cursor."""
    if cursor and not (cursor.isascii() and cursor.isdigit() and int(cursor) < 2**31):
        raise Invalid("bad cursor", [{"field": "cursor", "message": "not a cursor"}])
    before = [Notification.id < int(cursor)] if cursor else []
    personal = select(Notification).where(_mine(actor), *before)
    if unread_only:
        personal = personal.where(Notification.read_at.is_(None))
    rows: list[tuple[Notification, bool | None]] = [
        (r, None) for r in session.scalars(personal.order_by(Notification.id.desc()).limit(limit + 1))
    ]
    if actor.roles and _wants_bell(session, actor):
        read = _read_by(actor)
        shared = select(Notification, read).where(_my_roles(actor), *before)
        if unread_only:
            shared = shared.where(~read)
        shared = shared.order_by(Notification.id.desc()).limit(limit + 1)
        rows += [(r, bool(was_read)) for r, was_read in session.execute(shared)]
        rows.sort(key=lambda pair: pair[0].id, reverse=True)
    next_cursor = str(rows[limit - 1][0].id) if len(rows) > limit else None
    return [_view(r, read) for r, read in rows[:limit]], next_cursor


def unread_count(session: Session, actor: Actor, cap: int = 100) -> int:
    """Unread notices for the bell's badge, counted up to ``cap`` (cheap at any history length)."""
    personal = select(Notification.id).where(_mine(actor), Notification.read_at.is_(None)).limit(cap)
    count = len(list(session.scalars(personal)))
    if count < cap and actor.roles and _wants_bell(session, actor):
        shared = select(Notification.id).where(_my_roles(actor), ~_read_by(actor)).limit(cap - count)
        count += len(list(session.scalars(shared)))
    return count


def mark_read(session: Session, actor: Actor, notification_id: int, now: datetime) -> NotificationView:
    """Mark one of mine (or my role's) read; anyone else's is ``NotFound`` as if it did not exist. Commits."""
    with unit_of_work(session):
        _lock_reader(session, actor)
        row = session.get(Notification, notification_id)
        if row is None or not row.in_app:
            raise NotFound(f"notification {notification_id} does not exist")
        if row.username is None and row.role in actor.roles:
            marker = session.get(NotificationRead, (row.id, actor.username))
            if marker is None:
                session.add(NotificationRead(notification_id=row.id, username=actor.username, read_at=now))
            return _view(row, read=True)
        if row.username != actor.username:
            raise NotFound(f"notification {notification_id} does not exist")
        if row.read_at is None:
            row.read_at = now
        return _view(row)


def mark_all_read(session: Session, actor: Actor, now: datetime) -> int:
    """Mark every unread notice of mine and my roles' read. Commits; returns how many."""
    with unit_of_work(session):
        _lock_reader(session, actor)
        result = session.execute(
            update(Notification)
            .where(Notification.username == actor.username, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if actor.roles:
            unread = select(Notification.id).where(_my_roles(actor), ~_read_by(actor))
            ids = list(session.scalars(unread))
            if ids:
                session.execute(
                    insert(NotificationRead),
                    [{"notification_id": i, "username": actor.username, "read_at": now} for i in ids],
                )
            count += len(ids)
    return count


def _lock_reader(session: Session, actor: Actor) -> None:
    """One user's read markers are written one request at a time (a double click writes one)."""
    session.execute(select(User.id).where(User.username == actor.username).with_for_update())


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
