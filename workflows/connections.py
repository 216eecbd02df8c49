"""Database connections: SQLite's WAL and immediate write transactions, PostgreSQL's prepared
statements kept across requests, a dead connection refused at checkout without a round trip, and
read-only requests ended with COMMIT (``end_read``)."""

from __future__ import annotations

from select import select as select_fd
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for step transactions.

    Python's sqlite3 driver defers BEGIN until the first write, so two steps could both read a
    case before either writes; an immediate transaction makes the second wait instead.
    """
    if engine.dialect.name == "postgresql":
        _keep_prepared_statements(engine)
        event.listen(engine.pool, "checkout", _refuse_dead_connection)

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("tripflow_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def _keep_prepared_statements(engine: Engine) -> None:
    """psycopg prepares a statement on a connection once it ran there twice, and keeps up to 500.

    It forgets them all at every ROLLBACK, so a request that ends cleanly ends with COMMIT
    (``end_read``) and a connection keeps its prepared statements from one request to the next."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "connect")
    def _prepare_early(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.prepare_threshold = 2
        dbapi_connection.prepared_max = 500


def _refuse_dead_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The disconnect check instead of ``pool_pre_ping``: no round trip, a look at the socket.

    An idle connection's socket has nothing to read unless the server closed it (a restart, an
    idle timeout, a killed backend): then the pool is told to take a fresh connection (SQLAlchemy
    retries the checkout on ``DisconnectionError``). A false alarm costs one reconnect.
    """
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("connection closed")
    try:
        readable, _w, _x = select_fd([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:
        raise DisconnectionError("connection socket gone") from exc
    if readable:
        raise DisconnectionError("the server closed the connection")


_WROTE = "tripflow_flushed"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_flush(session: Session) -> None:
    session.info.pop(_WROTE, None)


def end_read(session: Session) -> None:
    """End a request's transaction with COMMIT when it only read (keeps prepared statements), else
    leave it to the rollback that closes the session. Called once the request is answered.

    Only a transaction that wrote nothing (nothing flushed, nothing pending) is committed: whatever a
    view changed by mistake is still thrown away, as before."""
    plain = session() if isinstance(session, scoped_session) else session
    if not plain.in_transaction() or plain.info.get(_WROTE) or plain.new or plain.dirty or plain.deleted:
        return
    try:
        plain.commit()
    except SQLAlchemyError:
        plain.rollback()
