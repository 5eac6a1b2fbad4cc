"""The group roles at deploy time: roles belong to the whole cluster while a deploy is per
database, so several databases deploying at once (with the same role names) all succeed, a
revert of one leaves the roles to the others, and the names can be chosen per deploy."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tributary import migrate
from tributary.testing.databases import with_dbname

PURPOSES = ("worker", "submitter", "reader", "admin")
DATABASES = 4


@pytest.fixture
def role_names(admin_dsn: str) -> Iterator[dict[str, str]]:
    """Random names for the four group roles, dropped at teardown (after the databases)."""
    suffix = uuid.uuid4().hex[:8]
    names = {purpose: f"tributary_t_{purpose}_{suffix}" for purpose in PURPOSES}
    yield names
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in names.values():
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def databases(admin_dsn: str) -> Iterator[list[str]]:
    names = [f"tributary_e_{uuid.uuid4().hex[:12]}" for _ in range(DATABASES)]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    yield [with_dbname(admin_dsn, name) for name in names]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def naming(dsn: str, names: dict[str, str]) -> str:
    """``dsn`` whose sessions set tributary.<purpose>_role, as PGOPTIONS would."""
    options = " ".join(f"-c tributary.{purpose}_role={name}" for purpose, name in names.items())
    return make_conninfo(dsn, options=options)


def test_concurrent_deploys_share_the_roles_and_a_revert_keeps_them(
    role_names: dict[str, str], databases: list[str]
) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(databases))

    def deploy(dsn: str) -> None:
        try:
            barrier.wait(timeout=30)
            migrate.up(naming(dsn, role_names))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=deploy, args=(dsn,)) for dsn in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    for dsn in databases:
        with psycopg.connect(dsn, autocommit=True) as conn:
            recorded: dict[str, str] = dict(
                conn.execute("SELECT purpose, role_name::text FROM tributary.roles").fetchall()
            )
            assert recorded == role_names, "every database records the chosen names"
            worker, submitter, reader, admin = (role_names[p] for p in PURPOSES)
            may_claim = conn.execute(
                "SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_roles"
                " WHERE NOT rolsuper AND rolname !~ '^pg_'"
                " AND has_function_privilege(oid, 'tributary.claim_step(text, text, integer)', 'execute')"
            ).fetchone()
            assert may_claim == (sorted([worker, admin]),), "the grants go to the chosen roles only"
            assert conn.execute(
                "SELECT has_function_privilege(%s, 'tributary.create_workflow(text, jsonb, timestamptz, jsonb, text)',"
                " 'execute'), has_function_privilege(%s, 'tributary.get_workflow(bigint)', 'execute')",
                (submitter, reader),
            ).fetchone() == (True, True)
            assert conn.execute(
                "SELECT pg_has_role(%s, %s, 'MEMBER') AND pg_has_role(%s, %s, 'MEMBER')"
                "       AND pg_has_role(%s, %s, 'MEMBER'),"
                "       (SELECT bool_or(rolcanlogin) FROM pg_roles WHERE rolname = ANY (%s))",
                (admin, worker, admin, submitter, submitter, reader, list(role_names.values())),
            ).fetchone() == (True, False), "admin includes the others, submitter includes reader; none can log in"

    # A revert of one database leaves the roles, which the other databases still use.
    migrate.down(databases[0])
    with psycopg.connect(databases[1], autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = ANY (%s)", (list(role_names.values()),)
        ).fetchone() == (len(PURPOSES),)
        assert conn.execute(
            "SELECT has_function_privilege(%s, 'tributary.claim_step(text, text, integer)', 'execute')",
            (role_names["worker"],),
        ).fetchone() == (True,)
    # ... and deploying it again finds them.
    migrate.up(naming(databases[0], role_names))
