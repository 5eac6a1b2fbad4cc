"""The Python migrator deploys, reports and reverts the sqitch plan without sqitch."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from tributary import Client, Config, migrate
from tributary.errors import MigrationError


def names() -> list[str]:
    return [change.name for change in migrate.plan()]


def schema_exists(dsn: str, schema: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (schema,)).fetchone()
    return bool(row and row[0])


def test_plan_is_not_empty() -> None:
    assert names(), "sqitch.plan has no changes"
    assert len(set(names())) == len(names())


def test_up_applies_the_plan_once(empty_dsn: str) -> None:
    assert migrate.up(empty_dsn) == names()
    assert migrate.up(empty_dsn) == []
    assert schema_exists(empty_dsn, "tributary")


def test_status_lists_every_change_as_applied(dsn: str) -> None:
    statuses = migrate.status(dsn)
    assert [status.name for status in statuses] == names()
    assert all(status.applied and status.applied_at is not None for status in statuses)


def test_status_of_an_empty_database(empty_dsn: str) -> None:
    statuses = migrate.status(empty_dsn)
    assert [status.name for status in statuses] == names()
    assert not any(status.applied or status.applied_at for status in statuses)
    assert not schema_exists(empty_dsn, "tributary_migrator")  # status() writes nothing


def test_down_then_up_round_trip(dsn: str) -> None:
    migrate.down(dsn, testing=True)  # the template's testing kit (tests/test_testing_kit.py)
    assert migrate.down(dsn) == list(reversed(names()))
    assert not schema_exists(dsn, "tributary")
    assert not any(status.applied for status in migrate.status(dsn))
    assert migrate.down(dsn) == []
    assert migrate.up(dsn) == names()
    assert all(status.applied for status in migrate.status(dsn))


def test_down_to_keeps_that_change(dsn: str) -> None:
    migrate.down(dsn, testing=True)  # the template's testing kit (tests/test_testing_kit.py)
    first, *rest = names()
    assert migrate.down(dsn, to=first) == list(reversed(rest))
    assert [status.applied for status in migrate.status(dsn)] == [True] + [False] * len(rest)
    assert migrate.up(dsn) == rest


def test_down_to_an_unknown_change_raises(dsn: str) -> None:
    with pytest.raises(MigrationError, match="not in the plan"):
        migrate.down(dsn, to="no/such/change")


def test_concurrent_up_applies_each_change_once(empty_dsn: str) -> None:
    barrier = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(migrate.up(empty_dsn))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(results, key=len) == [[], names()]
    with psycopg.connect(empty_dsn) as conn:
        rows = conn.execute("SELECT change FROM tributary_migrator.changes").fetchall()
    assert sorted(row[0] for row in rows) == sorted(names())


def test_up_takes_a_caller_connection(empty_dsn: str) -> None:
    with psycopg.connect(empty_dsn) as conn:
        assert migrate.up(conn) == names()
        assert conn.autocommit is False  # restored


def test_adopts_a_sqitch_deployed_database(empty_dsn: str) -> None:
    migrate.up(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA tributary_migrator CASCADE")
        conn.execute("CREATE SCHEMA sqitch")
        conn.execute("CREATE TABLE sqitch.changes (change text, project text, committed_at timestamptz DEFAULT now())")
        for name in names():  # sqitch lists a reworked change under its plain name, once per version
            plain = name.partition("@")[0]
            conn.execute("INSERT INTO sqitch.changes (change, project) VALUES (%s, 'tributary')", (plain,))
    assert all(status.applied for status in migrate.status(empty_dsn))
    assert migrate.up(empty_dsn) == []
    assert len(migrate.down(empty_dsn)) == len(names())


PLAN = """\
%syntax-version=1.0.0
%project=tributary

# a comment
schema 2026-01-01T00:00:00Z A Person <a@example.invalid> # The schema
tables/things [schema] 2026-01-01T00:00:01Z A Person <a@example.invalid> # Things
@v1 2026-01-01T00:00:02Z A Person <a@example.invalid> # release

tables/things [tables/things@v1] 2026-01-01T00:00:03Z A Person <a@example.invalid> # Reworked
broken 2026-01-01T00:00:04Z A Person <a@example.invalid>
"""


def test_parse_plan_names_reworked_changes_by_tag() -> None:
    changes = migrate._parse_plan(PLAN)
    assert changes == [
        migrate.Change("schema", "The schema"),
        migrate.Change("tables/things@v1", "Things"),
        migrate.Change("tables/things", "Reworked"),
        migrate.Change("broken", ""),
    ]


def test_parse_plan_rejects_garbage() -> None:
    with pytest.raises(MigrationError, match="line 2"):
        migrate._parse_plan("%project=tributary\nthis is not a change\n")


def test_a_failing_script_stops_the_run(empty_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = {
        "schema": "BEGIN; CREATE SCHEMA tributary; COMMIT;",
        "tables/things@v1": "BEGIN; CREATE TABLE tributary.things (id int); COMMIT;",
        "tables/things": "BEGIN; ALTER TABLE tributary.things ADD name text; COMMIT;",
        "broken": "BEGIN; CREATE TABLE tributary.x (id int); SELECT 1/0; COMMIT;",
    }
    for name, text in scripts.items():
        path = tmp_path / "deploy" / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "sqitch.plan").write_text(PLAN)
    source = migrate._Source(tmp_path / "sqitch.plan", tmp_path / "deploy", tmp_path / "revert")
    monkeypatch.setattr(migrate, "_source", lambda: source)

    with pytest.raises(MigrationError, match="deploy of change 'broken' failed"):
        migrate.up(empty_dsn)
    assert [status.applied for status in migrate.status(empty_dsn)] == [True, True, True, False]
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT to_regclass('tributary.x')").fetchone() == (None,)
        columns = conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'things'").fetchone()
    assert columns == (2,)


def test_client_with_auto_migrate_deploys_the_schema(empty_dsn: str) -> None:
    with Client(empty_dsn, Config(auto_migrate=True)) as client:
        assert all(change.applied for change in migrate.status(empty_dsn))
        with client.connection() as conn:
            row = conn.execute("SELECT to_regclass('tributary.steps') IS NOT NULL").fetchone()
    assert row == (True,)
