"""Small helpers shared by the concurrency tests: build workflows, claim steps, run threads.

Every helper calls exactly one engine function or reads one table; none of them re-implements
engine logic, so a test failure points at the engine, not at a helper.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Conn = psycopg.Connection[TupleRow]
T = TypeVar("T")

#: Upper bound of every wait in these tests (a lock wait, a thread, a notification).
WAIT_SECONDS = 10.0

FINALIZED_CHANNEL = "tributary_workflow_finalized"
AVAILABLE_CHANNEL = "tributary_step_available"


@dataclass(frozen=True)
class Claimed:
    """One row of claim_step's answer that the tests care about."""

    step_id: int
    workflow_id: int
    task_name: str
    attempt: int


def task(name: str, *, kind: str = "noop", **options: Any) -> dict[str, Any]:
    """A task object for create_workflow's p_tasks."""
    return {"name": name, "kind": kind, **options}


def create_workflow(
    conn: Conn, name: str, tasks: Sequence[dict[str, Any]], scheduled_at: datetime | None = None
) -> int:
    row = conn.execute(
        "SELECT tributary.create_workflow(%s, %s, %s)", (name, Jsonb(list(tasks)), scheduled_at)
    ).fetchone()
    assert row is not None
    return int(row[0])


def claim(conn: Conn, queue: str, worker_id: str, max_steps: int = 1) -> list[Claimed]:
    rows = conn.execute(
        "SELECT step_id, workflow_id, task_name, attempt FROM tributary.claim_step(%s, %s, %s)",
        (queue, worker_id, max_steps),
    ).fetchall()
    return [Claimed(int(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows]


def complete_steps(conn: Conn, steps: Sequence[Claimed], results: Sequence[Any] | None = None) -> dict[int, str]:
    """complete_steps for the claimed steps; returns step id -> outcome."""
    payload = [Jsonb(r) for r in results] if results is not None else None
    rows = conn.execute(
        "SELECT step_id, outcome FROM tributary.complete_steps(%s, %s, %s::jsonb[])",
        ([s.step_id for s in steps], [s.attempt for s in steps], payload),
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def complete_step(conn: Conn, step_id: int, attempt: int, result: Any = None) -> None:
    conn.execute(
        "SELECT tributary.complete_step(%s, %s, %s)",
        (step_id, attempt, None if result is None else Jsonb(result)),
    )


def workflow_state(conn: Conn, workflow_id: int) -> tuple[str, int, bool]:
    """(state, steps_unfinished, finalized_at is set) of a workflow."""
    row = conn.execute(
        "SELECT state, steps_unfinished, finalized_at IS NOT NULL FROM tributary.workflows WHERE id = %s",
        (workflow_id,),
    ).fetchone()
    assert row is not None, f"workflow {workflow_id} does not exist"
    return str(row[0]), int(row[1]), bool(row[2])


def step_ids(conn: Conn, workflow_id: int) -> dict[str, int]:
    """Task name -> step id of a workflow."""
    rows = conn.execute("SELECT task_name, id FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def backend_pid(conn: Conn) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def wait_until_blocked(
    observer: Conn,
    pid: int,
    timeout: float = WAIT_SECONDS,
    unless: threading.Event | None = None,
) -> None:
    """Waits until backend ``pid`` waits on a heavyweight lock (pg_stat_activity), or until
    ``unless`` is set (the blocking statement finished without blocking)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if unless is not None and unless.is_set():
            return
        row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row is not None and row[0] == "Lock":
            return
        time.sleep(0.005)
    raise AssertionError(f"backend {pid} did not block on a lock within {timeout}s")


def fast_deadlock_detection(conn: Conn, timeout: str = "100ms") -> None:
    """Lowers deadlock_timeout for this session when allowed (it needs superuser), so a test
    that provokes deadlocks on purpose spends less time waiting for the detector."""
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT set_config('deadlock_timeout', %s, false)", (timeout,))


def run_in_threads(fns: Sequence[Callable[[], T]], timeout: float = WAIT_SECONDS) -> list[T]:
    """Runs each callable in its own thread; returns their results in order.

    Every thread is joined (the executor's exit waits for them) and the first exception is
    re-raised; a thread still running after ``timeout`` fails the test.
    """
    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        futures = [pool.submit(fn) for fn in fns]
        return [future.result(timeout=timeout) for future in futures]


def drain_notifications(listener: Conn, sentinel_conn: Conn, channel: str, timeout: float = WAIT_SECONDS) -> list[str]:
    """Payloads received on ``channel`` before a sentinel notification sent now.

    Notifications are delivered in commit order, so everything committed before the sentinel
    arrives before it: "exactly these notifications" is checked without sleeping.
    """
    sentinel = f"sentinel-{time.monotonic_ns()}"
    sentinel_conn.execute("SELECT pg_notify(%s, %s)", (channel, sentinel))
    payloads: list[str] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        for notify in listener.notifies(timeout=left, stop_after=1):
            if notify.channel == channel and notify.payload == sentinel:
                return payloads
            if notify.channel == channel:
                payloads.append(notify.payload)
    raise AssertionError(f"sentinel notification on {channel} not received within {timeout}s")


def finalized(payload: str) -> dict[str, Any]:
    """A tributary_workflow_finalized payload, decoded."""
    decoded = json.loads(payload)
    assert isinstance(decoded, dict)
    return decoded
