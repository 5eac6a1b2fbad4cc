"""A fresh, migrated database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tributary.testing.databases import throwaway_database

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def bench_database() -> Iterator[str]:
    """Yields the conninfo of a new database on DATABASE_URL's server (deployed schema)."""
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    with throwaway_database(server, prefix="tributary_bench", migrated=True) as dsn:
        yield dsn
