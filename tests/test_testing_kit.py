"""The testing kit (db/testing, schema tributary_test) and the engine clock.

- A production deploy has no clock control: no setting moves ``tributary.now()``.
- ``migrate.up(dsn, testing=True)`` (and ``tributary migrate up --testing``) deploys the kit after
  the engine; the kit's clock then moves ``tributary.now()`` for the session that sets it.
- Reverting the kit puts the production clock back, exactly as it was, and leaves the engine;
  reverting the engine reverts the kit first.
- This suite's template database has the kit, so a session can move the clock across
  autocommit statements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from tests.test_cli import run_main
from tributary import migrate
from tributary.errors import MigrationError

AT = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
Conn = psycopg.Connection[Any]


def kit_names() -> list[str]:
    return [f"tributary_test:{change.name}" for change in migrate.plan(testing=True)]


def engine_names() -> list[str]:
    return [change.name for change in migrate.plan()]


def clock_moves(dsn: str) -> dict[str, bool]:
    """For each clock setting, whether setting it moves tributary.now() in that transaction."""
    moved = {}
    with psycopg.connect(dsn) as conn:
        for setting in ("tributary.fake_now", "tributary_test.fake_now"):
            with conn.transaction(force_rollback=True):
                conn.execute("SELECT set_config(%s, %s, true)", (setting, AT.isoformat()))
                row = conn.execute("SELECT tributary.now() = %s, tributary.now() = now()", (AT,)).fetchone()
                assert row is not None
                assert row[0] != row[1]
                moved[setting] = bool(row[0])
    return moved


def clock_definition(dsn: str) -> tuple[int, str, str]:
    """The oid, definition and comment of tributary.now()."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT oid::int, pg_get_functiondef(oid), obj_description(oid, 'pg_proc') FROM pg_proc "
            "WHERE oid = 'tributary.now()'::regprocedure"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def has_schema(dsn: str, schema: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (schema,)).fetchone()
    return bool(row and row[0])


def test_a_production_deploy_has_no_clock_control(empty_dsn: str) -> None:
    migrate.up(empty_dsn)
    assert clock_moves(empty_dsn) == {"tributary.fake_now": False, "tributary_test.fake_now": False}
    assert not has_schema(empty_dsn, "tributary_test")


def test_the_kit_deploys_after_the_engine_and_moves_the_clock(empty_dsn: str) -> None:
    assert migrate.up(empty_dsn, testing=True) == engine_names() + kit_names()
    assert migrate.up(empty_dsn, testing=True) == []
    assert clock_moves(empty_dsn) == {"tributary.fake_now": False, "tributary_test.fake_now": True}
    statuses = migrate.status(empty_dsn, testing=True)
    assert [s.name for s in statuses] == engine_names() + kit_names()
    assert all(s.applied for s in statuses)
    assert [s.name for s in migrate.status(empty_dsn)] == engine_names()


def test_reverting_the_kit_puts_the_production_clock_back(empty_dsn: str) -> None:
    migrate.up(empty_dsn)
    production = clock_definition(empty_dsn)
    migrate.up(empty_dsn, testing=True)
    kit_clock = clock_definition(empty_dsn)
    assert kit_clock[0] == production[0]  # replaced in place: column defaults and grants still point at it
    assert kit_clock[1:] != production[1:]

    assert migrate.down(empty_dsn, testing=True) == list(reversed(kit_names()))
    assert clock_definition(empty_dsn) == production
    assert not has_schema(empty_dsn, "tributary_test")
    assert clock_moves(empty_dsn) == {"tributary.fake_now": False, "tributary_test.fake_now": False}
    assert all(s.applied for s in migrate.status(empty_dsn))  # the engine stays


def test_reverting_the_kit_to_a_change_keeps_it(empty_dsn: str) -> None:
    migrate.up(empty_dsn, testing=True)
    _, second, *rest = kit_names()
    assert migrate.down(empty_dsn, to=second, testing=True) == list(reversed(rest))
    assert migrate.up(empty_dsn, testing=True) == rest
    with pytest.raises(MigrationError, match="not in the plan of project 'tributary_test'"):
        migrate.down(empty_dsn, to="functions/claim_step", testing=True)


def test_reverting_the_engine_reverts_the_kit_first(empty_dsn: str) -> None:
    migrate.up(empty_dsn, testing=True)
    last = engine_names()[-1]
    assert migrate.down(empty_dsn, to=engine_names()[-2]) == [*reversed(kit_names()), last]
    assert not has_schema(empty_dsn, "tributary_test")
    assert migrate.down(empty_dsn) == list(reversed(engine_names()[:-1]))


def test_a_revert_also_drops_helpers_added_to_the_kit_schema(dsn: str) -> None:
    # The template has our fixtures (db/tests/fixtures.sql) on top of the kit.
    assert migrate.down(dsn, testing=True) == list(reversed(kit_names()))
    assert not has_schema(dsn, "tributary_test")


def test_the_cli_deploys_lists_and_reverts_the_kit(empty_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "migrate", "up", "--testing", "--dsn", empty_dsn)
    assert code == 0
    assert f"+ {kit_names()[-1]}" in out
    code, out, _ = run_main(capsys, "migrate", "status", "--testing", "--dsn", empty_dsn)
    total = len(engine_names()) + len(kit_names())
    assert code == 0
    assert f"{total} of {total} changes applied" in out
    code, out, _ = run_main(capsys, "migrate", "up", "--testing", "--dsn", empty_dsn)
    assert f"nothing to deploy: all {total} changes are applied" in out
    code, out, _ = run_main(capsys, "migrate", "revert", "--testing", "--all", "--yes", "--dsn", empty_dsn)
    assert code == 0
    assert f"- {kit_names()[0]}" in out
    assert not has_schema(empty_dsn, "tributary_test")
    assert has_schema(empty_dsn, "tributary")


def test_a_session_keeps_its_clock_across_autocommit_statements(conn: Conn, connect: Any) -> None:
    conn.execute("SELECT tributary_test.set_now(%s)", (AT,))
    assert conn.execute("SELECT tributary.now()").fetchone() == (AT,)
    conn.execute("SELECT tributary_test.advance('1 minute')")
    row = conn.execute("SELECT tributary.now() - %s::timestamptz", (AT,)).fetchone()
    assert row is not None
    assert row[0].total_seconds() == 60
    other = connect()
    assert other.execute("SELECT tributary.now() = now()").fetchone() == (True,)  # per session
    conn.execute("SELECT tributary_test.reset_now()")
    assert conn.execute("SELECT tributary.now() = now()").fetchone() == (True,)


def test_what_is_claimable_leaves_out_steps_another_session_holds(conn: Conn, connect: Any) -> None:
    row = conn.execute(
        """SELECT tributary.create_workflow('locked', '[{"name": "a", "kind": "k", "queue": "lq"},
           {"name": "b", "kind": "k", "queue": "lq"}]')"""
    ).fetchone()
    assert row is not None
    workflow_id = row[0]
    assert conn.execute("SELECT tributary_test._claimable_tasks(%s)", (workflow_id,)).fetchone() == (["a", "b"],)
    holder = connect(autocommit=False)
    holder.execute(
        "SELECT 1 FROM tributary.steps WHERE id = tributary_test.step_id(%s, 'a') FOR UPDATE", (workflow_id,)
    )
    conn.execute("SET lock_timeout = '2s'")  # it must not wait for the lock: claim_step skips it
    assert conn.execute("SELECT tributary_test._claimable_tasks(%s)", (workflow_id,)).fetchone() == (["b"],)
    holder.rollback()
    assert conn.execute("SELECT tributary_test._claimable_tasks(%s)", (workflow_id,)).fetchone() == (["a", "b"],)
