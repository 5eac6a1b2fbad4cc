"""Helpers shared by the client-level tests: a fast Config, a started client, table reads.

They only start/stop the public client and read tables; none re-implements engine logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import TupleRow, dict_row

from tributary import Client, Config, QueueConfig, Worker, Workers
from tributary.hooks import Hook

Conn = psycopg.Connection[TupleRow]

#: Upper bound of every wait in these tests.
WAIT_SECONDS = 10.0


def fast_config(
    *workers: Worker[Any],
    hooks: list[Hook] | None = None,
    queues: dict[str, QueueConfig] | None = None,
    **overrides: Any,
) -> Config:
    """A Config with short timings so retries and shutdown take milliseconds, not seconds."""
    settings: dict[str, Any] = {
        "queues": queues if queues is not None else {"default": QueueConfig(max_workers=4)},
        "workers": Workers(*workers),
        "hooks": hooks or [],
        "fetch_poll_interval": timedelta(milliseconds=50),
        "shutdown_grace": timedelta(seconds=1),
        "rescue_interval": timedelta(seconds=30),
    }
    settings.update(overrides)
    return Config(**settings)


@contextmanager
def started(client: Client) -> Iterator[Client]:
    """``client`` with its workers running; always stopped (bounded) on exit."""
    client.start()
    try:
        yield client
    finally:
        client.stop(timeout=WAIT_SECONDS)


def runtime_alive(client: Client) -> bool:
    """Whether the client's worker runtime thread is still running."""
    thread = client._runtime_thread  # private: the tests check the runtime did not crash
    return thread is not None and thread.is_alive()


def step_rows(conn: Conn, workflow_id: int) -> dict[str, dict[str, Any]]:
    """Every column of a workflow's steps, keyed by task name."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT * FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)).fetchall()
    return {str(r["task_name"]): r for r in rows}


def steps_text(conn: Conn, workflow_id: int) -> str:
    """The whole of a workflow's step rows as text (to look for leaked plaintext)."""
    row = conn.execute(
        "SELECT coalesce(string_agg(s::text, E'\\n'), '') FROM tributary.steps AS s WHERE s.workflow_id = %s",
        (workflow_id,),
    ).fetchone()
    assert row is not None
    return str(row[0])


def workflow_state(conn: Conn, workflow_id: int) -> str:
    row = conn.execute("SELECT state FROM tributary.workflows WHERE id = %s", (workflow_id,)).fetchone()
    assert row is not None, f"workflow {workflow_id} does not exist"
    return str(row[0])


def count_rows(conn: Conn) -> tuple[int, int]:
    """(workflows, steps) in the database."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM tributary.workflows), (SELECT count(*) FROM tributary.steps)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Polls ``predicate`` every 10 ms until true; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
