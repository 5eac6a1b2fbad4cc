"""LOGIN roles in Tributary's group roles, for tests that connect as a worker, a submitter...

Roles belong to the whole cluster, and other suites run on the same server: every role gets a
random name and is dropped when the test ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: ``make_login(dsn, label, member_of)``: makes a LOGIN role that is a member of ``member_of`` and
#: returns a conninfo that logs in as it to the database of ``dsn``.
MakeLogin = Callable[[str, str, list[str]], str]


def as_user(dsn: str, user: str) -> str:
    """``dsn`` with another user and no password (the test server trusts local connections)."""
    params = conninfo_to_dict(dsn)
    params.pop("password", None)
    params["user"] = user
    return make_conninfo("", **params)


@pytest.fixture
def make_login(admin_dsn: str) -> Iterator[MakeLogin]:
    """``make_login(dsn, label, member_of)``: a new LOGIN role, member of ``member_of``; returns a
    conninfo for it to ``dsn``'s database. Every role made is dropped at teardown."""
    made: list[str] = []

    def factory(dsn: str, label: str, member_of: list[str]) -> str:
        name = f"tributary_t_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
            made.append(name)
            for group in member_of:
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name)))
        return as_user(dsn, name)

    yield factory
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in made:
            # Its sessions may outlive the test by a moment (a worker's pool closing).
            conn.execute(
                "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
