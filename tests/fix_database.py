"""Our suite's database fixtures, on top of the package's pytest plugin
(tributary.testing.pytest_plugin, which pytest loads through its entry point): a PostgreSQL
server, a migrated template database, and one clone per test.

Where the server comes from, first match wins:

1. ``TRIBUTARY_TEST_EPHEMERAL=1`` forces a throwaway cluster from the local PostgreSQL binaries
   (tributary.testing.cluster), ignoring everything below; handy to test that path on a machine
   that has a server running.
2. ``--tributary-dsn``, else ``TRIBUTARY_TEST_DSN``, else ``DATABASE_URL``: an existing server
   (the plugin's ``tributary_server``). Its database is only used to create and drop the test
   databases (CREATEDB needed).
3. A testcontainers PostgreSQL container, when a Docker engine answers (image from
   ``TRIBUTARY_TEST_IMAGE``, default postgres:16-alpine).
4. A throwaway cluster from the local PostgreSQL binaries (the plugin's ``tributary_server``).

Per session a template database is deployed with ``tributary.migrate.up(..., testing=True)`` (the
engine and the testing kit, schema ``tributary_test``) and then loaded with our own fixtures,
``db/tests/fixtures.sql``, if that file exists; each test that asks for ``dsn`` (or
``conn``/``connect``) gets its own ``CREATE DATABASE ... TEMPLATE`` clone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest
from psycopg.rows import TupleRow

from tributary import migrate
from tributary.testing.cluster import EphemeralCluster
from tributary.testing.databases import create_database, drop_database, throwaway_database, unique_name, with_dbname

logger = logging.getLogger(__name__)

FIXTURES_SQL = Path(__file__).resolve().parent.parent / "db" / "tests" / "fixtures.sql"


class Connect(Protocol):
    """Type of the ``connect`` fixture: opens a new connection to the test's database."""

    def __call__(self, *, autocommit: bool = True) -> psycopg.Connection[TupleRow]: ...


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
    if forced_ephemeral:
        with EphemeralCluster() as cluster:
            yield cluster.dsn
        return
    if not configured and _docker_answers():
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
    yield request.getfixturevalue("tributary_server")


@pytest.fixture(scope="session")
def template_database(admin_dsn: str) -> Iterator[str]:
    """Name of this session's template: the migrated schema, the testing kit and our fixtures."""
    name = unique_name("tributary_template")
    create_database(admin_dsn, name)
    try:
        migrate.up(with_dbname(admin_dsn, name), testing=True)
        if FIXTURES_SQL.is_file():
            with psycopg.connect(with_dbname(admin_dsn, name), autocommit=True) as conn:
                conn.execute(FIXTURES_SQL.read_bytes())
        yield name
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
def dsn(admin_dsn: str, template_database: str) -> Iterator[str]:
    """Conninfo of a fresh clone of the template, dropped after the test."""
    with throwaway_database(admin_dsn, prefix="tributary_t", template=template_database) as clone:
        yield clone


@pytest.fixture
def empty_dsn(admin_dsn: str) -> Iterator[str]:
    """Conninfo of a new database with nothing deployed in it, dropped after the test."""
    with throwaway_database(admin_dsn, prefix="tributary_e") as empty:
        yield empty


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
