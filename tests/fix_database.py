"""pytest plugin: a PostgreSQL server, a migrated template database, and one clone per test.

Where the server comes from, first match wins:

1. ``TRIBUTARY_TEST_EPHEMERAL=1`` forces a throwaway cluster from the local PostgreSQL binaries
   (tributary._ephemeral), ignoring everything below; handy to test that path on a machine
   that has a server running.
2. ``--tributary-dsn``, else ``TRIBUTARY_TEST_DSN``, else ``DATABASE_URL``: an existing server.
   The DSN's database is only used to create and drop the test databases (CREATEDB needed).
3. A testcontainers PostgreSQL container, when a Docker engine answers (image from
   ``TRIBUTARY_TEST_IMAGE``, default postgres:16-alpine).
4. A throwaway cluster from the local PostgreSQL binaries.

Per session a template database is deployed with ``tributary.migrate.up(..., testing=True)`` (the
engine and the testing kit, schema ``tributary_test``) and then loaded with our own fixtures,
``db/tests/fixtures.sql``, if that file exists; each test that asks for ``dsn`` (or
``conn``/``connect``) gets its own ``CREATE DATABASE ... TEMPLATE`` clone.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from tributary import migrate
from tributary._ephemeral import EphemeralCluster

logger = logging.getLogger(__name__)

FIXTURES_SQL = Path(__file__).resolve().parent.parent / "db" / "tests" / "fixtures.sql"


class Connect(Protocol):
    """Type of the ``connect`` fixture: opens a new connection to the test's database."""

    def __call__(self, *, autocommit: bool = True) -> psycopg.Connection[TupleRow]: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tributary-dsn",
        default=None,
        help="PostgreSQL server to test against (default: TRIBUTARY_TEST_DSN, DATABASE_URL, "
        "a Docker container, or a throwaway local cluster)",
    )


def with_dbname(dsn: str, dbname: str) -> str:
    """``dsn`` (URL or key=value conninfo) pointing at database ``dbname`` instead."""
    return make_conninfo(dsn, dbname=dbname)


def _docker_answers() -> bool:
    """True when a Docker engine answers; a docker client without a daemon is common."""
    try:
        import docker  # noqa: PLC0415 - optional: only with the test extra

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@pytest.fixture(scope="session")
def admin_dsn(request: pytest.FixtureRequest) -> Iterator[str]:
    """Conninfo of the server-level database, used to create and drop test databases."""
    forced_ephemeral = os.environ.get("TRIBUTARY_TEST_EPHEMERAL", "") not in ("", "0")
    configured: str | None = (
        request.config.getoption("--tributary-dsn")
        or os.environ.get("TRIBUTARY_TEST_DSN")
        or os.environ.get("DATABASE_URL")
    )
    if configured and not forced_ephemeral:
        yield configured
        return
    if not forced_ephemeral and _docker_answers():
        from testcontainers.postgres import PostgresContainer  # noqa: PLC0415 - optional

        image = os.environ.get("TRIBUTARY_TEST_IMAGE", "postgres:16-alpine")
        container: Any = PostgresContainer(image, driver=None)
        try:
            container.start()
        except Exception:
            logger.warning("cannot start %s; using a local throwaway cluster", image, exc_info=True)
        else:
            try:
                yield str(container.get_connection_url())
            finally:
                container.stop()
            return
    with EphemeralCluster() as cluster:
        yield cluster.dsn


def _create_database(admin: str, name: str, template: str = "template0") -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))


def _drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_database(admin_dsn: str) -> Iterator[str]:
    """Name of this session's template: the migrated schema, the testing kit and our fixtures."""
    name = f"tributary_template_{uuid.uuid4().hex[:12]}"
    _create_database(admin_dsn, name)
    try:
        migrate.up(with_dbname(admin_dsn, name), testing=True)
        if FIXTURES_SQL.is_file():
            with psycopg.connect(with_dbname(admin_dsn, name), autocommit=True) as conn:
                conn.execute(FIXTURES_SQL.read_bytes())
        yield name
    finally:
        _drop_database(admin_dsn, name)


@pytest.fixture
def dsn(admin_dsn: str, template_database: str) -> Iterator[str]:
    """Conninfo of a fresh clone of the template, dropped after the test."""
    name = f"tributary_t_{uuid.uuid4().hex[:12]}"
    _create_database(admin_dsn, name, template=template_database)
    try:
        yield with_dbname(admin_dsn, name)
    finally:
        _drop_database(admin_dsn, name)


@pytest.fixture
def empty_dsn(admin_dsn: str) -> Iterator[str]:
    """Conninfo of a new database with nothing deployed in it, dropped after the test."""
    name = f"tributary_e_{uuid.uuid4().hex[:12]}"
    _create_database(admin_dsn, name)
    try:
        yield with_dbname(admin_dsn, name)
    finally:
        _drop_database(admin_dsn, name)


@pytest.fixture
def connect(dsn: str) -> Iterator[Connect]:
    """A factory of new connections to the test's database, all closed at teardown."""
    opened: list[psycopg.Connection[TupleRow]] = []

    def factory(*, autocommit: bool = True) -> psycopg.Connection[TupleRow]:
        connection = psycopg.connect(dsn, autocommit=autocommit)
        opened.append(connection)
        return connection

    yield factory
    for connection in opened:
        connection.close()


@pytest.fixture
def conn(connect: Connect) -> psycopg.Connection[TupleRow]:
    """An autocommit connection to the test's database."""
    return connect()
