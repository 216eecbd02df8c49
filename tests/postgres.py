"""A throwaway PostgreSQL database per test, on the server at 127.0.0.1:5432 when there is one.

Skipped only where no server answers and CI is not set; in CI a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER = os.environ.get("TRIPFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(SERVER.replace("postgresql+psycopg", "postgresql"), autocommit=True, connect_timeout=3)


def postgres_available() -> bool:
    try:
        with _admin_connection():
            return True
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False


@contextmanager
def fresh_database() -> Iterator[str]:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("CI is set but no PostgreSQL server answers on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    name = f"tripflow_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
