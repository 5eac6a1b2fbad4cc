"""The pytest plugin for applications built on Tributary (``pip install 'tributary[pytest]'``).

Registered as the ``pytest11`` entry point ``tributary``: installed, pytest loads it by itself
(``-p no:tributary`` turns it off). Its fixtures, all prefixed ``tributary_``:

- ``tributary_server`` (session): a PostgreSQL server's DSN, used only to create and drop
  databases: ``--tributary-dsn``, else ``TRIBUTARY_TEST_DSN``, else ``DATABASE_URL``, else a
  throwaway cluster from the local PostgreSQL server binaries.
- ``tributary_template`` (session): a database with the schema and the testing kit deployed
  (``migrate.up(..., testing=True)``), the template of every test's database.
- ``tributary_dsn``: a fresh copy of the template for one test (``CREATE DATABASE ... TEMPLATE``,
  milliseconds), dropped afterwards.
- ``tributary_config``: the :class:`~tributary.Config` under test; ``Config()`` unless the
  application's conftest overrides it (``return my_app.config()``).
- ``tributary_client``: a :class:`~tributary.Client` on ``tributary_dsn`` with that config (not
  started: create workflows with it, or start workers).
- ``tributary_runner``: an :class:`~tributary.testing.inline.InlineRunner` that runs the
  config's handlers in the test, deterministically, with the engine clock under its control.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tributary import migrate
from tributary.client import Client
from tributary.config import Config
from tributary.testing.cluster import EphemeralCluster
from tributary.testing.databases import create_database, drop_database, throwaway_database, unique_name, with_dbname
from tributary.testing.inline import InlineRunner


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tributary-dsn",
        default=None,
        help="PostgreSQL server for Tributary's test databases (needs CREATEDB; default: TRIBUTARY_TEST_DSN, "
        "DATABASE_URL, else a throwaway cluster from the local server binaries)",
    )


@pytest.fixture(scope="session")
def tributary_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL server's DSN; its database is used only to create and drop test databases."""
    configured: str | None = (
        request.config.getoption("--tributary-dsn")
        or os.environ.get("TRIBUTARY_TEST_DSN")
        or os.environ.get("DATABASE_URL")
    )
    if configured:
        yield configured
        return
    with EphemeralCluster() as cluster:
        yield cluster.dsn


@pytest.fixture(scope="session")
def tributary_template(tributary_server: str) -> Iterator[str]:
    """The name of this session's template database: the schema and the testing kit."""
    name = unique_name("tributary_template")
    create_database(tributary_server, name)
    try:
        migrate.up(with_dbname(tributary_server, name), testing=True)
        yield name
    finally:
        drop_database(tributary_server, name)


@pytest.fixture
def tributary_dsn(tributary_server: str, tributary_template: str) -> Iterator[str]:
    """A database of this test's own, copied from the template, dropped afterwards."""
    with throwaway_database(tributary_server, prefix="tributary_test", template=tributary_template) as dsn:
        yield dsn


@pytest.fixture
def tributary_config() -> Config:
    """The Config under test: override this fixture to return your application's."""
    return Config()


@pytest.fixture
def tributary_client(tributary_dsn: str, tributary_config: Config) -> Iterator[Client]:
    """A Client on the test's database with ``tributary_config`` (workers not started)."""
    with Client(tributary_dsn, tributary_config) as client:
        yield client


@pytest.fixture
def tributary_runner(tributary_dsn: str, tributary_config: Config) -> Iterator[InlineRunner]:
    """Runs ``tributary_config``'s handlers inside the test (see InlineRunner)."""
    with InlineRunner(tributary_dsn, tributary_config) as runner:
        yield runner
