"""Administering accounts: list, add, new password, disable or enable, change roles, revoke tokens.

Each function checks that the actor may manage users (``admin``; the command line acts as the
system) and owns its transaction. Whatever takes rights away ends the user's browser sessions at
once; a new password also revokes their API tokens, since whoever knew the old one may have
made some.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.errors import Conflict, Invalid, NotFound
from workflows.models import User, UserRole
from workflows.people.sessions import end_sessions_of
from workflows.people.tokens import revoke_all_tokens
from workflows.people.users import add_user, check_password_rule, check_roles, find_user, hash_password
from workflows.permissions import MANAGE_USERS, Actor
from workflows.unit import begin_write


@dataclass(frozen=True)
class Account:
    """A user as the admin page and ``users list`` show them."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "roles": list(self.roles),
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }


def _account(user: User) -> Account:
    return Account(user.username, user.display_name, tuple(sorted(user.roles)), user.active, user.created_at)


def _may_manage(actor: Actor) -> None:
    actor.require(MANAGE_USERS, "managing users")


def _locked_user(session: Session, username: str) -> User:
    begin_write(session)
    user = find_user(session, username)
    if user is None:
        session.rollback()
        raise NotFound(f"no user '{username}'")
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to leave no active admin: nobody could then administer accounts from the web."""
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == "admin", User.active.is_(True), User.id != user.id)
    )
    if not others:
        session.rollback()
        raise Conflict(f"'{user.username}' is the last active admin")


def list_accounts(session: Session, actor: Actor) -> list[Account]:
    _may_manage(actor)
    return [_account(u) for u in session.scalars(select(User).order_by(User.username))]


def get_account(session: Session, actor: Actor, username: str) -> Account:
    _may_manage(actor)
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"no user '{username}'")
    return _account(user)


def create_account(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    roles: list[str],
    *,
    now: datetime,
    display_name: str = "",
) -> Account:
    _may_manage(actor)
    begin_write(session)
    try:
        account = _account(add_user(session, username, password, roles, now=now, display_name=display_name))
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return account


def change_password(session: Session, actor: Actor, username: str, password: str, *, now: datetime) -> None:
    """A new password: every session of the user ends and every token is revoked."""
    _may_manage(actor)
    check_password_rule(password)
    user = _locked_user(session, username)
    user.password_hash = hash_password(password)
    end_sessions_of(session, user, now=now, why="password")
    revoke_all_tokens(session, user, now=now)
    session.commit()


def set_active(session: Session, actor: Actor, username: str, active: bool, *, now: datetime) -> Account:
    """Disable (sessions end; tokens stop working while disabled) or enable a user."""
    _may_manage(actor)
    user = _locked_user(session, username)
    if not active and user.active and "admin" in user.roles:
        _keep_an_admin(session, user)
    user.active = active
    if not active:
        end_sessions_of(session, user, now=now, why="disabled")
    account = _account(user)
    session.commit()
    return account


def set_roles(session: Session, actor: Actor, username: str, roles: list[str], *, now: datetime) -> Account:
    """Replace a user's roles; losing any role ends their sessions (they sign in again)."""
    _may_manage(actor)
    check_roles(roles)
    if not roles:
        raise Invalid("no role", [{"field": "role", "message": "give at least one role"}])
    user = _locked_user(session, username)
    wanted = list(dict.fromkeys(roles))
    if "admin" in user.roles and "admin" not in wanted and user.active:
        _keep_an_admin(session, user)
    lost = user.roles - set(wanted)
    user.role_rows = [row for row in user.role_rows if row.role in wanted]
    session.flush()  # the removed rows go before the new ones (same primary keys)
    user.role_rows += [UserRole(role=r) for r in wanted if r not in {row.role for row in user.role_rows}]
    if lost:
        end_sessions_of(session, user, now=now, why="roles")
    account = _account(user)
    session.commit()
    return account
