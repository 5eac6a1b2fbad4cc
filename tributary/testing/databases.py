"""Throwaway databases on a PostgreSQL server, created and dropped by name.

The one helper for every suite, benchmark and script that needs a database of its own: the
server's DSN is only used to create and drop them (CREATEDB needed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tributary import migrate


def with_dbname(dsn: str, dbname: str) -> str:
    """``dsn`` (URL or key=value conninfo) pointing at database ``dbname`` instead."""
    return make_conninfo(dsn, dbname=dbname)


def create_database(server_dsn: str, name: str, template: str = "template0") -> str:
    """Creates database ``name`` as a copy of ``template``; returns its DSN."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    return with_dbname(server_dsn, name)


def drop_database(server_dsn: str, name: str) -> None:
    """Drops database ``name`` if it exists, disconnecting whoever is still in it."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def throwaway_database(
    server_dsn: str, *, prefix: str = "tributary_tmp", template: str = "template0", migrated: bool = False
) -> Iterator[str]:
    """Yields the DSN of a new database (a copy of ``template``; with the schema deployed when
    ``migrated``), dropped afterwards whatever happens."""
    name = unique_name(prefix)
    dsn = create_database(server_dsn, name, template)
    try:
        if migrated:
            migrate.up(dsn)
        yield dsn
    finally:
        drop_database(server_dsn, name)
