"""Invariant 8, second half: PostgreSQL crashing and restarting mid-run loses no committed state.

A private cluster (the local server binaries) runs a workflow with a slow step; while that step
runs, the server is stopped in "immediate" mode (a crash: recovery at the next start) and
started again. The workers reconnect by themselves, the workflow completes, and what was
committed before the crash stays as it was: the first step is not run again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, migrate
from tributary.testing.cluster import EphemeralCluster, find_bindir


class Nap(StepArgs):
    kind = "nap"
    seconds: float


class NapWorker(Worker[Nap]):
    def __init__(self) -> None:
        self.runs: list[tuple[str, int]] = []

    async def work(self, step: Step[Nap]) -> dict[str, int]:
        self.runs.append((step.task_name, step.attempt))
        await asyncio.sleep(step.args.seconds)
        return {"attempt": step.attempt}


@pytest.fixture
def private_server() -> Iterator[EphemeralCluster]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no local PostgreSQL server binaries")
    with EphemeralCluster(bindir) as cluster:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            # The private cluster trades durability for speed; a crash test needs it back.
            conn.execute("ALTER SYSTEM SET synchronous_commit = on")
            conn.execute("SELECT pg_reload_conf()")
        migrate.up(cluster.dsn)
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("UPDATE tributary.settings SET lease_duration = '2 seconds', default_retry_backoff = '100 ms'")
        yield cluster


def step_state(dsn: str, workflow_id: int, task: str) -> str | None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT state FROM tributary.steps WHERE workflow_id = %s AND task_name = %s", (workflow_id, task)
        ).fetchone()
    return None if row is None else str(row[0])


def test_a_crash_and_restart_of_postgresql_loses_no_committed_state(private_server: EphemeralCluster) -> None:
    dsn = private_server.dsn
    worker = NapWorker()
    config = Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(worker),
        fetch_poll_interval=timedelta(milliseconds=200),
        heartbeat_interval=timedelta(milliseconds=300),
        rescue_interval=timedelta(milliseconds=500),
        shutdown_grace=timedelta(seconds=1),
    )
    with Client(dsn, config) as client:
        client.start()
        workflow_id = (
            client.new_workflow("through-a-crash")
            .add_task("first", Nap(seconds=0))
            .add_task("slow", Nap(seconds=1.5), depends_on=["first"])
            .add_task("last", Nap(seconds=0), depends_on=["slow"])
            .execute()
        )
        deadline = time.monotonic() + 15
        while step_state(dsn, workflow_id, "slow") != "running":
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.05)
        assert step_state(dsn, workflow_id, "first") == "completed"

        private_server.restart("immediate")

        result = client.wait(workflow_id, timeout=40)

    assert result.state == "completed"
    assert (result.steps["first"].attempt, result.result("first")) == (1, {"attempt": 1})
    assert [run for run in worker.runs if run[0] == "first"] == [("first", 1)]
    assert result.steps["slow"].state == "completed"
    assert result.result("last") == {"attempt": result.steps["last"].attempt}
