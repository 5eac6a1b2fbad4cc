"""A queue's ``prefetch``: claimed steps wait in the process for a slot, at most ``max_workers``
run, a waiting step's timeout counts from its claim, a stop gives the waiting steps back first,
one that waits behind a long step is given back for another process, one whose lease the engine
took back (its workflow cancelled) does not run, and two processes that claim ahead still run
every step once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.client_helpers import WAIT_SECONDS, Conn, fast_config, started, step_rows
from tributary import Client, InsertOpts, QueueConfig, Step, StepArgs, Worker
from tributary.hooks import Hook, RuntimeEvent


class Nap(StepArgs):
    kind = "nap"
    seconds: float


class NapWorker(Worker[Nap]):
    """Sleeps ``seconds``; records which steps ran and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.ran: list[int] = []

    async def work(self, step: Step[Nap]) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.ran.append(step.id)
        try:
            await asyncio.sleep(step.args.seconds)
        finally:
            with self.lock:
                self.running -= 1


class EventLog(Hook):
    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)


def running_count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM tributary.steps WHERE state = 'running'").fetchone()
    assert row is not None
    return int(row[0])


def wait_until(condition: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {condition} after {WAIT_SECONDS} s")
        time.sleep(0.01)


def naps(client: Client, count: int, seconds: float, opts: InsertOpts | None = None) -> int:
    """A workflow of ``count`` independent naps, every step ready before the worker starts."""
    builder = client.new_workflow("naps")
    for i in range(count):
        builder.add_task(f"n{i}", Nap(seconds=seconds), insert_opts=opts)
    return builder.execute()


def test_prefetch_claims_ahead_but_runs_at_most_max_workers(dsn: str, conn: Conn) -> None:
    worker = NapWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=2, prefetch=3)})
    with Client(dsn, config) as client:
        workflow_id = naps(client, 10, 0.5)
        peak_claimed = 0
        with started(client):
            # Until a third handler starts, none has ended: every running step is held by a claim.
            while len(worker.ran) <= 2 and client.get_workflow(workflow_id).state == "running":
                claimed = running_count(conn)
                if len(worker.ran) <= 2:  # still true once the count was read
                    peak_claimed = max(peak_claimed, claimed)
                time.sleep(0.01)
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert peak_claimed == 5, "the first claim takes max_workers + prefetch steps"
    assert worker.peak == 2, "no more than max_workers handlers at once"
    assert len(set(worker.ran)) == len(worker.ran) == 10
    assert all(step["attempt"] == 1 and step["errors"] == [] for step in step_rows(conn, workflow_id).values())


def test_a_step_whose_timeout_passes_while_it_waits_for_a_slot_fails_without_running(dsn: str, conn: Conn) -> None:
    worker = NapWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=1, prefetch=1)})
    with Client(dsn, config) as client:
        workflow_id = (
            client.new_workflow("timeouts")
            .add_task("long", Nap(seconds=0.6), insert_opts=InsertOpts(priority=10))
            .add_task("short", Nap(seconds=0.0), insert_opts=InsertOpts(timeout=timedelta(seconds=0.2), max_attempts=1))
            .execute()
        )
        with started(client):
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    steps = step_rows(conn, workflow_id)
    assert result.state == "failed"
    assert steps["long"]["state"] == "completed"
    assert steps["short"]["state"] == "discarded"
    assert worker.ran == [steps["long"]["id"]], "the late step's handler never ran"
    (error,) = steps["short"]["errors"]
    assert error["reason"] == "timeout"
    assert "while it waited for a slot" in error["message"]


def test_stopping_gives_back_the_steps_waiting_for_a_slot_first(dsn: str, conn: Conn) -> None:
    worker = NapWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=1, prefetch=3)})
    with Client(dsn, config) as client:
        workflow_id = naps(client, 4, 0.6, InsertOpts(max_attempts=3))
        with started(client):
            wait_until("4 claimed", lambda: running_count(conn) == 4)
        # stopped: the three waiting steps went back at once, the running one finished in the grace

    steps = step_rows(conn, workflow_id).values()
    assert len(worker.ran) == 1
    (completed,) = [s for s in steps if s["state"] == "completed"]
    released = [s for s in steps if s["state"] == "available"]
    assert [completed["id"]] == worker.ran
    assert len(released) == 3
    for step in released:
        entry = step["errors"][-1]
        assert entry["reason"] == "released"
        assert datetime.fromisoformat(entry["at"]) < completed["finalized_at"], "given back before the grace"
        assert step["max_attempts"] == 4, "a released attempt does not count (max_attempts grows by one)"


def test_a_step_waiting_behind_a_long_one_is_given_back_for_another_process(dsn: str, conn: Conn) -> None:
    ahead, other = NapWorker(), NapWorker()
    claims_ahead = fast_config(
        ahead,
        queues={"default": QueueConfig(max_workers=1, prefetch=3)},  # room to claim the short step again
        heartbeat_interval=timedelta(milliseconds=100),
        worker_id="ahead",
    )
    with Client(dsn, claims_ahead) as a, Client(dsn, fast_config(other, worker_id="other")) as b:
        workflow_id = (
            a.new_workflow("long_and_short")
            .add_task("long", Nap(seconds=2.0), insert_opts=InsertOpts(priority=10))
            .add_task("short", Nap(seconds=0.0))
            .execute()
        )
        with started(a):
            wait_until("both claimed by the first process", lambda: running_count(conn) == 2)
            short = step_rows(conn, workflow_id)["short"]["id"]
            given_back = "SELECT state, jsonb_array_length(errors) FROM tributary.steps WHERE id = %s"
            wait_until(
                "the short step given back", lambda: conn.execute(given_back, (short,)).fetchone() == ("available", 1)
            )
            time.sleep(0.3)  # several polls of the first process's fetcher: it claims nothing more meanwhile
            assert conn.execute(given_back, (short,)).fetchone() == ("available", 1)
            with started(b):
                result = a.wait(workflow_id, timeout=WAIT_SECONDS)

    steps = step_rows(conn, workflow_id)
    assert result.state == "completed"
    assert ahead.ran == [steps["long"]["id"]], "the process that claimed ahead did not run the short step"
    assert other.ran == [steps["short"]["id"]]
    assert steps["short"]["worker_id"] == "other"
    assert steps["short"]["finalized_at"] < steps["long"]["finalized_at"], "it did not wait for the long one"
    (entry,) = steps["short"]["errors"]  # given back once: not claimed again here to wait once more
    assert (entry["reason"], entry["worker_id"]) == ("released", "ahead")


def test_a_waiting_step_whose_workflow_is_cancelled_does_not_run(dsn: str, conn: Conn) -> None:
    worker, log = NapWorker(), EventLog()
    config = fast_config(
        worker,
        hooks=[log],
        queues={"default": QueueConfig(max_workers=1, prefetch=1)},
        heartbeat_interval=timedelta(milliseconds=200),  # given back as waiting too long after 0.4 s
    )
    with Client(dsn, config) as client:
        busy = client.new_workflow("busy").add_task("long", Nap(seconds=0.8), insert_opts=InsertOpts(priority=10))
        busy_id = busy.execute()
        doomed_id = client.new_workflow("doomed").add_task("late", Nap(seconds=0.0)).execute()
        with started(client):
            wait_until("both claimed", lambda: running_count(conn) == 2)
            assert client.cancel_workflow(doomed_id)
            assert client.wait(busy_id, timeout=WAIT_SECONDS).state == "completed"
            late = step_rows(conn, doomed_id)["late"]
            wait_until(
                "the late step dropped",
                lambda: any(e.name == "lease_lost" and e.step_id == late["id"] for e in log.events),
            )

    assert worker.ran == [step_rows(conn, busy_id)["long"]["id"]]
    assert late["state"] == "cancelled"


@pytest.mark.timeout(60)
def test_two_processes_claiming_ahead_run_every_step_once(dsn: str, conn: Conn) -> None:
    first, second = NapWorker(), NapWorker()
    queues = {"default": QueueConfig(max_workers=2, prefetch=6)}
    with (
        Client(dsn, fast_config(first, queues=queues, worker_id="prefetch-a")) as a,
        Client(dsn, fast_config(second, queues=queues, worker_id="prefetch-b")) as b,
    ):
        ids = a.insert_many([a.new_workflow("one").add_task("only", Nap(seconds=0.001)) for _ in range(300)])
        with started(a), started(b):
            for workflow_id in ids:
                assert a.wait(workflow_id, timeout=WAIT_SECONDS).state == "completed"

    ran = first.ran + second.ran
    assert len(set(ran)) == len(ran) == 300, "every step ran once"
    assert first.ran, "both processes took steps"
    assert second.ran, "both processes took steps"
    row = conn.execute("SELECT max(attempt), count(*) FILTER (WHERE errors <> '[]') FROM tributary.steps").fetchone()
    assert row == (1, 0)


def test_prefetch_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="prefetch must be at least 0"):
        QueueConfig(prefetch=-1)


def test_a_step_waiting_for_a_slot_has_its_lease_renewed(dsn: str, conn: Conn) -> None:
    worker = NapWorker()
    config = fast_config(
        worker,
        queues={"default": QueueConfig(max_workers=1, prefetch=1)},
        heartbeat_interval=timedelta(milliseconds=150),  # given back after 0.3 s of waiting
    )
    with Client(dsn, config) as client:
        workflow_id = (
            client.new_workflow("lease")
            .add_task("long", Nap(seconds=1.0), insert_opts=InsertOpts(priority=10))
            .add_task("late", Nap(seconds=0.0))
            .execute()
        )
        lease = (
            "SELECT lease_expires_at FROM tributary.steps"
            " WHERE workflow_id = %s AND task_name = 'late' AND state = 'running' AND worker_id = %s"
        )
        with started(client):
            wait_until("both claimed", lambda: running_count(conn) == 2)
            first = conn.execute(lease, (workflow_id, config.worker_id)).fetchone()
            assert first is not None

            def renewed() -> bool:
                now = conn.execute(lease, (workflow_id, config.worker_id)).fetchone()
                return now is not None and now[0] > first[0]

            wait_until("the waiting step's lease renewed", renewed)
            assert len(worker.ran) == 1, "renewed while it waited, before its handler ran"
            client.wait(workflow_id, timeout=WAIT_SECONDS)


def test_a_step_waiting_for_a_slot_counts_against_its_concurrency_limit(dsn: str, conn: Conn) -> None:
    ahead, other = NapWorker(), NapWorker()
    keyed = InsertOpts(concurrency_key="tenant-1")
    claims_ahead = fast_config(ahead, queues={"default": QueueConfig(max_workers=1, prefetch=1)}, worker_id="ahead")
    with Client(dsn, claims_ahead) as a, Client(dsn, fast_config(other, worker_id="other")) as b:
        a.set_concurrency_limit("key", "tenant-1", 2)
        held_id = (
            a.new_workflow("held")
            .add_task("long", Nap(seconds=1.0), insert_opts=InsertOpts(priority=10, concurrency_key="tenant-1"))
            .add_task("waiting", Nap(seconds=0.0), insert_opts=keyed)
            .execute()
        )
        with started(a):
            wait_until("both claimed by the first process", lambda: running_count(conn) == 2)
            third_id = a.new_workflow("third").add_task("third", Nap(seconds=0.0), insert_opts=keyed).execute()
            with started(b):
                time.sleep(0.3)  # the second process polls and is woken: the limit holds it back
                (limit,) = a.flow_limits()
                assert limit.running == 2
                assert step_rows(conn, third_id)["third"]["state"] == "available"
                assert a.wait(held_id, timeout=WAIT_SECONDS).state == "completed"
                assert a.wait(third_id, timeout=WAIT_SECONDS).state == "completed"


def test_a_step_of_higher_priority_ready_later_runs_after_the_steps_already_claimed(dsn: str, conn: Conn) -> None:
    worker = NapWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=1, prefetch=1)})
    with Client(dsn, config) as client:
        first_id = (
            client.new_workflow("first")
            .add_task("long", Nap(seconds=0.5), insert_opts=InsertOpts(priority=5))
            .add_task("low", Nap(seconds=0.0), insert_opts=InsertOpts(priority=0))
            .execute()
        )
        with started(client):
            wait_until("both claimed", lambda: running_count(conn) == 2)
            urgent = client.new_workflow("urgent").add_task(
                "urgent", Nap(seconds=0.0), insert_opts=InsertOpts(priority=10)
            )
            urgent_id = urgent.execute()
            client.wait(first_id, timeout=WAIT_SECONDS)
            client.wait(urgent_id, timeout=WAIT_SECONDS)

    steps = {**step_rows(conn, first_id), **step_rows(conn, urgent_id)}
    assert worker.ran == [steps["long"]["id"], steps["low"]["id"], steps["urgent"]["id"]]
