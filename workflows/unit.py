"""The one unit of work: every change Tripflow makes is one transaction opened here.

A ``workflows`` operation wraps its writes in ``unit_of_work(session)``: the transaction begins
as a write (``BEGIN IMMEDIATE`` on SQLite, so two writers queue instead of both reading stale
rows), commits once at the end and rolls back on any error, so a refused call changes nothing.
Units nest: an operation called inside another one's unit (an attachment stored while a task is
completed) joins that transaction, and only the outermost unit commits. Views never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from workflows.errors import Conflict

_DEPTH = "tripflow_unit_depth"
T = TypeVar("T")


def _plain(session: Session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def begin_write(session: Session) -> None:
    """Start the one write transaction of a service call (ending any read the caller left open).

    PostgreSQL: a read the caller left open (the request's auth) simply becomes the write
    transaction; under READ COMMITTED each statement sees what is committed when it runs, and the
    rows a step changes are locked when it reads them. Loaded objects are expired as a commit would
    expire them, so nothing read before is trusted. That saves a COMMIT and a BEGIN round trip.
    SQLite: the read is committed and ``BEGIN IMMEDIATE`` starts the write (one writer at a time).
    """
    plain = _plain(session)
    if plain.in_transaction():
        if plain.get_bind().dialect.name == "postgresql":
            plain.flush()
            plain.expire_all()
            return
        plain.commit()
    session.connection(execution_options={"tripflow_write": True})


@contextmanager
def unit_of_work(session: Session, *, advisory_lock: int | None = None) -> Iterator[Session]:
    """One write transaction: begin, yield, commit once; roll back on any error.

    ``advisory_lock`` serialises units that must not run side by side across servers (deploying
    the models at start): a PostgreSQL transaction-level advisory lock, released at commit or
    rollback. SQLite's single writer serialises them already.
    """
    plain = _plain(session)
    depth = plain.info.get(_DEPTH, 0)
    if depth:  # inside another operation's unit: its transaction, its commit
        plain.info[_DEPTH] = depth + 1
        try:
            yield session
        finally:
            plain.info[_DEPTH] = depth
        return
    begin_write(session)
    plain.info[_DEPTH] = 1
    try:
        if advisory_lock is not None and session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_lock})
        yield session
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict("the case was changed by someone else at the same time; try again") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        plain.info[_DEPTH] = 0


def read_or_none(session: Session, read: Callable[[], T]) -> T | None:
    """A read whose answer is optional (a badge): None when the database fails, the session usable again.

    So that the error page of a database failure still renders its top bar.
    """
    try:
        return read()
    except SQLAlchemyError:
        session.rollback()
        return None
