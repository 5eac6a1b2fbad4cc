"""Round trips of the client's calls, read from libpq's protocol trace.

Creating a workflow outside a caller's transaction is one statement sent alone (no BEGIN and
COMMIT around it: three round trips where one does), and the connection goes back to the pool
as it came. A started worker has already run its hot calls once on its first connections, so
the first steps of a chain do not pay for the catalog loads and plans of those backends.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg.pq import Trace
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tributary import AsyncClient, Client, Config, StepArgs

Conn = psycopg.Connection[TupleRow]


class Nothing(StepArgs):
    kind = "nothing"


@contextmanager
def trace_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        yield Path(scratch) / "trace.txt"


TRACE_FILES: list[IO[str]] = []  # open as long as the test process lives: libpq writes to their descriptors


def start_tracing(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any], path: Path) -> None:
    out = path.open("a")
    TRACE_FILES.append(out)
    conn.pgconn.trace(out.fileno())
    conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)


def sent_commands(path: Path) -> list[str]:
    """The transaction commands the client sent (simple-protocol ``Query`` messages)."""
    return [line for line in path.read_text().splitlines() if line.startswith("F\t") and "\tQuery\t" in line]


def workflow_count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM tributary.workflows").fetchone()
    assert row is not None
    return int(row[0])


def test_execute_sends_one_statement_and_returns_a_transactional_connection(dsn: str, conn: Conn) -> None:
    with trace_file() as path:
        pool = ConnectionPool(dsn, min_size=1, max_size=1, configure=lambda c: start_tracing(c, path), open=True)
        try:
            client = Client(pool, Config())
            workflow_id = client.new_workflow("one").add_task("a", Nothing()).execute()
            client.insert_many([client.new_workflow(f"bulk-{i}").add_task("a", Nothing()) for i in range(2)])
            assert client.get_workflow(workflow_id).state == "running"
            assert sent_commands(path) == []  # no BEGIN, no COMMIT: the call alone, in autocommit
            assert workflow_count(conn) == 3
            with client.connection() as own:  # the pool's connection is transactional again
                assert not own.autocommit
                client.new_workflow("two").add_task("a", Nothing()).execute(conn=own)
                own.rollback()
            assert workflow_count(conn) == 3  # inside a caller's transaction, as before
            assert client.get_workflow(workflow_id).state == "running"
        finally:
            pool.close()


def test_async_insert_sends_one_statement_and_returns_a_transactional_connection(dsn: str, conn: Conn) -> None:
    async def scenario() -> None:
        with trace_file() as path:

            async def configure(c: psycopg.AsyncConnection[Any]) -> None:
                start_tracing(c, path)

            pool = AsyncConnectionPool(dsn, min_size=1, max_size=1, configure=configure, open=False)
            await pool.open()
            try:
                client = AsyncClient(pool, Config())
                first = await client.insert(client.new_workflow("one").add_task("a", Nothing()))
                await client.insert_many([client.new_workflow(f"bulk-{i}").add_task("a", Nothing()) for i in range(3)])
                assert (await client.get_workflow(first)).state == "running"
                assert sent_commands(path) == []
                async with client.connection() as own:
                    assert not own.autocommit
                    await client.insert(client.new_workflow("two").add_task("a", Nothing()), conn=own)
                    await own.rollback()
            finally:
                await pool.close()

    asyncio.run(scenario())
    assert workflow_count(conn) == 4
