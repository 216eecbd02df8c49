"""The database session around a request: read transactions end with COMMIT (so PostgreSQL keeps
its prepared statements), anything written outside a unit of work is still thrown away, and a
connection the server closed is replaced at checkout without a pre-ping round trip."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select, text

from webapp.extensions import db
from workflows.connections import end_read
from workflows.models import User

from .conftest import TEST_DATABASE

pg_only = pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="PostgreSQL connections")


def test_a_read_ends_with_commit_and_a_stray_write_is_rolled_back(app: Any) -> None:
    session = db.session()  # the request's plain session
    session.scalars(select(User).limit(1)).first()
    assert session.in_transaction()
    end_read(session)
    assert not session.in_transaction()  # committed: nothing left for the closing rollback

    user = session.scalars(select(User).where(User.username == "customer_service")).one()
    user.display_name = "changed by a view"
    session.flush()  # written, not committed: end_read must not make it durable
    end_read(session)
    assert session.in_transaction()
    session.rollback()
    assert session.scalars(select(User.display_name).where(User.username == "customer_service")).one() != (
        "changed by a view"
    )


@pg_only
def test_prepared_statements_survive_from_one_request_to_the_next(app: Any, api: Any) -> None:
    api.as_("customer_service")
    for _ in range(4):
        assert api.get("/api/v1/tasks?scope=group").status_code == 200
    db.session.remove()
    with db.engine.connect() as connection:  # the pool's one connection, the requests' own
        prepared = connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared and prepared > 0


@pg_only
def test_a_connection_the_server_closed_is_replaced_without_an_error(app: Any, api: Any) -> None:
    api.as_("customer_service")
    assert api.get("/api/v1/me").status_code == 200
    db.session.remove()
    with db.engine.connect() as connection:
        pids = connection.scalars(text("SELECT pg_backend_pid()")).all()
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    # close every pooled connection from the server's side, as a restart or an idle timeout would
    killer = db.engine.pool._creator()  # a fresh connection outside the pool
    try:
        cursor = killer.cursor()
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        killer.commit()
        _wait_until_gone(cursor, pids)
    finally:
        killer.close()
    for _ in range(3):
        assert api.get("/api/v1/me").status_code == 200


def _wait_until_gone(cursor: Any, pids: list[int]) -> None:
    """pg_terminate_backend only signals: wait until the backends have exited and closed their
    sockets, as they have once a restart or an idle timeout is over."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
        if cursor.fetchone()[0] == 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"backends {pids} still running")
