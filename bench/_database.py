"""A fresh, migrated database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tributary import migrate

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def bench_database() -> Iterator[str]:
    """Yields the conninfo of a new database on DATABASE_URL's server (deployed schema)."""
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    name = f"tributary_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(server, dbname=name)
    try:
        migrate.up(dsn)
        yield dsn
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
