"""The asyncio client against a real database: creating one or many workflows, reading,
waiting, cancelling and retrying, without blocking the loop; and the bulk form of the sync
client. create_workflows itself (errors, idempotency) is tested in pgTAP."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from psycopg.rows import TupleRow

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tributary import AsyncClient, Client, Config, Step, StepArgs, UnknownDependency, WaitTimeout, Worker

Conn = psycopg.Connection[TupleRow]


class Double(StepArgs):
    kind = "double"
    n: int


class DoubleWorker(Worker[Double]):
    def work(self, step: Step[Double]) -> int:
        return 2 * step.args.n + sum(int(value) for value in step.dependency_results.values())


class StartNext(StepArgs):
    kind = "start_next"
    left: int


class StartNextWorker(Worker[StartNext]):
    """An async handler that starts the next workflow of a chain through the async client."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def work(self, step: Step[StartNext]) -> int:
        if step.args.left > 0:
            async with AsyncClient(self.dsn, Config()) as client:
                following = client.new_workflow("hop", idempotency_key=f"hop-{step.args.left - 1}")
                await client.insert(following.add_task("next", StartNext(left=step.args.left - 1)))
        return step.args.left


def test_async_client_creates_waits_cancels_and_retries(dsn: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(dsn, Config()) as client:
            first = await client.insert(
                client.new_workflow("one").add_task("a", Double(n=1)).add_task("b", Double(n=2), depends_on=["a"])
            )
            ids = await client.insert_many(
                [client.new_workflow(f"bulk-{i}").add_task("a", Double(n=i)) for i in range(5)]
            )
            assert ids == sorted(ids)
            assert first not in ids
            current = await client.get_workflow(first)
            assert (current.state, set(current.steps)) == ("running", {"a", "b"})
            with pytest.raises(WaitTimeout, match="no live worker process serves queue default"):
                await client.wait(first, timeout=0.3)
            assert await client.cancel_workflow(ids[0]) is True
            assert (await client.get_workflow(ids[0])).state == "cancelled"
            assert await client.retry_workflow(ids[0]) == 1
            with pytest.raises(UnknownDependency, match="nope"):
                await client.insert_many(
                    [
                        client.new_workflow("good").add_task("a", Double(n=1)),
                        client.new_workflow("bad").add_task("a", Double(n=1), depends_on=["nope"]),
                    ]
                )

    asyncio.run(scenario())
    with Client(dsn, fast_config(DoubleWorker())) as worker, started(worker):
        assert worker.wait(1, timeout=WAIT_SECONDS).result("b") == 2 * 2 + 2


def test_a_failed_bulk_insert_creates_nothing(dsn: str, conn: Conn) -> None:
    with Client(dsn, Config()) as client:
        with pytest.raises(UnknownDependency):
            client.insert_many(
                [
                    client.new_workflow("good").add_task("a", Double(n=1)),
                    client.new_workflow("bad").add_task("a", Double(n=1), depends_on=["nope"]),
                ]
            )
        assert conn.execute("SELECT count(*) FROM tributary.workflows").fetchone() == (0,)
        ids = client.insert_many(
            [client.new_workflow(f"w{i}", idempotency_key=f"k{i % 2}").add_task("a", Double(n=i)) for i in range(4)]
        )
        assert ids[0] == ids[2]
        assert ids[1] == ids[3]  # idempotency per workflow


def test_bulk_insert_joins_the_callers_transaction(dsn: str, conn: Conn) -> None:
    with Client(dsn, Config()) as client, psycopg.connect(dsn) as own:
        client.insert_many([client.new_workflow("t").add_task("a", Double(n=1))], conn=own)
        assert conn.execute("SELECT count(*) FROM tributary.workflows").fetchone() == (0,)
        own.rollback()
    assert conn.execute("SELECT count(*) FROM tributary.workflows").fetchone() == (0,)


def test_an_async_handler_starts_the_next_workflow_without_blocking_its_loop(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(StartNextWorker(dsn))) as client, started(client):
        first = client.new_workflow("hop").add_task("next", StartNext(left=3)).execute()
        client.wait(first, timeout=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            states = conn.execute("SELECT state FROM tributary.workflows ORDER BY id").fetchall()
            if len(states) == 4 and all(s == ("completed",) for s in states):
                break
            time.sleep(0.05)
    finished = conn.execute("SELECT count(*), bool_and(state = 'completed') FROM tributary.workflows").fetchone()
    assert finished == (4, True)
