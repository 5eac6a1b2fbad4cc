"""The connection the completer and each fetcher keep (tributary.runtime.dedicated): the same
backend for every call, and a new one after the kept one broke or a call was interrupted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.client_helpers import WAIT_SECONDS, Conn, fast_config, started
from tests.fix_database import Connect
from tributary import Client, InsertOpts, QueueConfig, Step, StepArgs, Worker
from tributary.runtime.dedicated import DedicatedConnection


async def backend_pid(dedicated: DedicatedConnection) -> int:
    async with dedicated.connection() as conn:
        row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def test_every_call_is_served_by_the_same_backend(dsn: str) -> None:
    opened: list[int] = []

    async def on_open(conn: psycopg.AsyncConnection[Any]) -> None:
        opened.append(conn.info.backend_pid)

    async def scenario() -> list[int]:
        dedicated = DedicatedConnection(dsn, on_open)
        try:
            return [await backend_pid(dedicated) for _ in range(5)]
        finally:
            await dedicated.close()

    pids = asyncio.run(scenario())
    assert len(set(pids)) == 1
    assert opened == pids[:1]  # opened once, at the first call


def test_a_broken_connection_is_replaced_at_the_next_call(dsn: str, connect: Connect) -> None:
    killer = connect()

    async def scenario() -> tuple[int, int]:
        dedicated = DedicatedConnection(dsn, lambda conn: asyncio.sleep(0))
        try:
            first = await backend_pid(dedicated)
            killer.execute("SELECT pg_terminate_backend(%s)", (first,))
            with pytest.raises(psycopg.OperationalError):
                await backend_pid(dedicated)
            return first, await backend_pid(dedicated)
        finally:
            await dedicated.close()

    first, second = asyncio.run(scenario())
    assert second != first


def test_an_interrupted_call_does_not_leave_its_statement_to_the_next(dsn: str) -> None:
    """A call cancelled mid-statement (a shutdown): the next call gets its own answer, on the kept
    connection once psycopg has cancelled the statement, or on a new one if it could not."""

    async def scenario() -> bool:
        dedicated = DedicatedConnection(dsn, lambda conn: asyncio.sleep(0))
        try:

            async def slow() -> None:
                async with dedicated.connection() as conn:
                    await conn.execute("SELECT pg_sleep(5)")

            task = asyncio.create_task(slow())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            async with dedicated.connection() as conn:
                row = await (await conn.execute("SELECT 41 + 1")).fetchone()
                idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            return row == (42,) and idle
        finally:
            await dedicated.close()

    assert asyncio.run(scenario())


def test_a_connection_whose_setup_failed_is_closed_and_the_next_call_opens_another(dsn: str, connect: Connect) -> None:
    observer = connect()
    opened: list[int] = []

    async def flaky_on_open(conn: psycopg.AsyncConnection[Any]) -> None:
        opened.append(conn.info.backend_pid)
        if len(opened) == 1:
            raise RuntimeError("setup failed")

    async def scenario() -> int:
        dedicated = DedicatedConnection(dsn, flaky_on_open)
        try:
            with pytest.raises(RuntimeError):
                await backend_pid(dedicated)
            return await backend_pid(dedicated)
        finally:
            await dedicated.close()

    second = asyncio.run(scenario())
    assert second == opened[1] != opened[0]
    row = observer.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (opened[0],)).fetchone()
    assert row == (0,), "the first connection was closed, not left open"


class Hop(StepArgs):
    kind = "budget_hop"
    fail_first: bool = False


class HopWorker(Worker[Hop]):
    async def work(self, step: Step[Hop]) -> None:
        if step.args.fail_first and step.attempt == 1:
            raise RuntimeError("once")  # a failure goes through the pool


def test_a_worker_process_stays_within_its_connection_budget(dsn: str, conn: Conn) -> None:
    """docs/operations.md: (number of queues + 4) connections for the work, one LISTEN
    connection and up to 4 in the client's own pool; after chains, fan-outs and a retry on two
    queues, with no wait() in progress, the database sees no more than that."""
    queues = {"budget_a": QueueConfig(max_workers=4), "budget_b": QueueConfig(max_workers=4)}
    config = fast_config(HopWorker(), queues=queues, retry_backoff=timedelta(0))
    with Client(dsn, config) as client, started(client):
        ids = []
        for queue in queues:
            on_queue = InsertOpts(queue=queue)
            builder = client.new_workflow(f"budget-{queue}")
            builder.add_task("root", Hop(fail_first=True), insert_opts=on_queue)
            for i in range(12):
                builder.add_task(f"m{i}", Hop(), depends_on=["root"], insert_opts=on_queue)
            builder.add_task("sink", Hop(), depends_on=[f"m{i}" for i in range(12)], insert_opts=on_queue)
            ids.append(builder.execute())
        for workflow_id in ids:
            assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "completed"
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    assert 0 < int(row[0]) <= len(queues) + 4 + 1 + 4
