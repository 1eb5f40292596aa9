"""PostgreSQL for relay tests: a fresh database per session, a fresh schema per test.

``KEYBOUND_TEST_PG_DSN`` names a role that may create databases (default
``postgresql://keybound:keybound@127.0.0.1:5432/postgres``; ``.ci/run``
creates it).  Without a reachable server the tests are skipped on a
developer machine and fail in CI (``tests.conftest.unavailable``).

The per-test DSN selects its schema through ``search_path``, so a relay
process started from it (another node, a subprocess) sees the same tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.conftest import unavailable

DEFAULT_PG_DSN = "postgresql://keybound:keybound@127.0.0.1:5432/postgres"


def _admin_dsn() -> str:
    return os.environ.get("KEYBOUND_TEST_PG_DSN", DEFAULT_PG_DSN)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """DSN of a database created for this test session (dropped at the end)."""
    try:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ImportError as exc:
        unavailable(f"psycopg is not installed: {exc}")
    admin = _admin_dsn()
    where = {k: v for k, v in conninfo_to_dict(admin).items() if k in ("host", "port", "user")}
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        # the message names host and user, never the password
        unavailable(f"no PostgreSQL server for the relay tests at {where}: {exc}".strip())
    name = f"keybound_test_{os.getpid()}_{secrets.token_hex(4)}"
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def pg_dsn(pg_database: str) -> Iterator[str]:
    """DSN of an empty schema of its own, for one test (dropped after it)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield make_conninfo(pg_database, options=f"-c search_path={schema}")
    finally:
        with psycopg.connect(pg_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
