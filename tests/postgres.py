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

    return psycopg.connect(
        SERVER.replace("postgresql+psycopg", "postgresql"), autocommit=True, connect_timeout=3
    )


def postgres_available() -> bool:
    try:
        with _admin_connection():
            return True
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False


def require_postgres() -> None:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("CI is set but no PostgreSQL server answers on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")


def url_of(name: str) -> str:
    return SERVER.rsplit("/", 1)[0] + "/" + name


def create_template(prepare) -> str:  # type: ignore[no-untyped-def]
    """A database prepared once per run, which ``fresh_database(template=...)`` copies."""
    require_postgres()
    name = f"tripflow_tpl_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prepare(url_of(name))
    return name


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(template: str | None = None) -> Iterator[str]:
    require_postgres()
    name = f"tripflow_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield url_of(name)
    finally:
        drop_database(name)
