"""A long handler keeps its lease: heartbeats renew it, so rescue never takes the step away.

The lease is 1 s in the test database and the client leaves ``heartbeat_interval`` unset (so
it renews every third of the lease); its own rescue runs every ~0.1 s and, on top of that, the
test calls ``rescue_expired_steps()`` itself every 50 ms while the handler runs. A handler that
runs about four leases must still run exactly once, as attempt 1, and complete with its result,
with no ``lease_expired`` entry in its error history and no ``lease_lost`` or ``rescued`` event.
While it runs, the test also watches the lease move forward, so the step was really held past
its first lease by heartbeats, not by a rescue that never ran.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.client_helpers import WAIT_SECONDS, Conn, fast_config, started, step_rows
from tributary import Client, Step, StepArgs, Worker
from tributary.hooks import Hook, RuntimeEvent

LEASE_SECONDS = 1.0
RESCUE_EVERY = 0.05  # seconds between the test's own rescue calls
LOST = {"lease_lost", "rescued"}


class Long(StepArgs):
    kind = "long"
    seconds: float


class AsyncLong(StepArgs):
    kind = "async_long"
    seconds: float


@dataclass
class Runs:
    """Every handler run, as ``(task, attempt)``, from any thread."""

    seen: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, step: Step[Any]) -> dict[str, Any]:
        with self.lock:
            self.seen.append((step.task_name, step.attempt))
        return {"task": step.task_name, "attempt": step.attempt}


class LongWorker(Worker[Long]):
    """A plain handler: blocks its thread for ``seconds``."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    def work(self, step: Step[Long]) -> dict[str, Any]:
        result = self.runs.record(step)
        time.sleep(step.args.seconds)
        return result


class AsyncLongWorker(Worker[AsyncLong]):
    """An ``async def`` handler: awaits for ``seconds`` on the runtime's event loop."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    async def work(self, step: Step[AsyncLong]) -> dict[str, Any]:
        result = self.runs.record(step)
        await asyncio.sleep(step.args.seconds)
        return result


class EventLog(Hook):
    """Keeps the runtime's events."""

    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)


@dataclass
class LeaseWatch:
    """What the test saw of a step while it ran: the leases it held, how long past its claim it
    was still running as attempt 1, and how many steps the test's own rescue calls took back."""

    leases: set[datetime] = field(default_factory=set)
    held_for: float = 0.0
    rescued: int = 0


def watch_while_running(conn: Conn, step_ids: list[int], timeout: float) -> dict[int, LeaseWatch]:
    """From the first time one of ``step_ids`` runs until none runs as attempt 1 any more (the
    handlers returned, or a rescue took the steps back): calls ``rescue_expired_steps()`` every
    50 ms and records each step's lease. Fails after ``timeout`` seconds."""
    watches = {step_id: LeaseWatch() for step_id in step_ids}
    deadline = time.monotonic() + timeout
    started_running = False
    while time.monotonic() < deadline:
        rescued_row = conn.execute("SELECT tributary.rescue_expired_steps()").fetchone()
        assert rescued_row is not None
        rows = conn.execute(
            "SELECT id, state, attempt, lease_expires_at, extract(epoch FROM clock_timestamp() - attempted_at)"
            " FROM tributary.steps WHERE id = ANY (%s)",
            (step_ids,),
        ).fetchall()
        running = [row for row in rows if row[1] == "running" and row[2] == 1]
        for step_id, _, _, lease, age in running:
            watch = watches[step_id]
            watch.leases.add(lease)
            watch.held_for = max(watch.held_for, float(age))
        for watch in watches.values():
            watch.rescued += int(rescued_row[0])
        started_running = started_running or bool(running)
        if started_running and not running:
            return watches
        time.sleep(RESCUE_EVERY)
    raise AssertionError(f"steps {step_ids} still running after {timeout} s")


def client_for(dsn: str, conn: Conn, events: EventLog, *workers: Worker[Any]) -> Client:
    """A client on a 1 s lease, rescuing every ~0.1 s, heartbeat interval following the lease."""
    conn.execute(f"UPDATE tributary.settings SET lease_duration = '{LEASE_SECONDS:g} second'")
    return Client(dsn, fast_config(*workers, hooks=[events], rescue_interval=timedelta(milliseconds=100)))


def assert_kept(step: dict[str, Any], watch: LeaseWatch, handler_seconds: float) -> None:
    """The step completed by attempt 1, with no error, after the test saw its lease renewed."""
    assert watch.rescued == 0, "the test's own rescue call took a step back"
    assert (step["state"], step["attempt"], step["errors"]) == ("completed", 1, []), step
    assert step["result"] == {"task": step["task_name"], "attempt": 1}
    # Held well past its first lease, with the lease moved forward several times meanwhile.
    assert watch.held_for > handler_seconds - LEASE_SECONDS, watch
    assert len(watch.leases) >= 3, watch


def test_a_handler_running_several_leases_is_neither_rescued_nor_run_twice(dsn: str, conn: Conn) -> None:
    runs, events = Runs(), EventLog()
    seconds = 4 * LEASE_SECONDS
    with client_for(dsn, conn, events, LongWorker(runs)) as client, started(client):
        workflow_id = client.new_workflow("long").add_task("long", Long(seconds=seconds)).execute()
        step_id = step_rows(conn, workflow_id)["long"]["id"]
        watches = watch_while_running(conn, [step_id], timeout=seconds + WAIT_SECONDS)
        assert_kept(step_rows(conn, workflow_id)["long"], watches[step_id], seconds)
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert runs.seen == [("long", 1)]
    assert [event for event in events.events if event.name in LOST] == []


def test_a_sync_and_an_async_handler_both_keep_their_lease(dsn: str, conn: Conn) -> None:
    runs, events = Runs(), EventLog()
    seconds = 3.5 * LEASE_SECONDS
    with client_for(dsn, conn, events, LongWorker(runs), AsyncLongWorker(runs)) as client, started(client):
        workflow_id = (
            client.new_workflow("long-both")
            .add_task("in-thread", Long(seconds=seconds))
            .add_task("on-loop", AsyncLong(seconds=seconds))
            .execute()
        )
        step_ids = {task: row["id"] for task, row in step_rows(conn, workflow_id).items()}
        watches = watch_while_running(conn, list(step_ids.values()), timeout=seconds + WAIT_SECONDS)
        rows = step_rows(conn, workflow_id)
        for task, step_id in step_ids.items():
            assert_kept(rows[task], watches[step_id], seconds)
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert sorted(runs.seen) == [("in-thread", 1), ("on-loop", 1)]
    assert [event for event in events.events if event.name in LOST] == []
