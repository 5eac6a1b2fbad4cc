"""A worker claims a step the moment it becomes available, not at the next poll.

The runtime ignores the availability notifications its own connections send (whoever made the
call woke the fetchers already) and honours everyone else's. With polling every minute, each
case below must still finish within seconds: a workflow another connection creates, a retry
that is claimable at once, and a dependent on another queue.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from tests.client_helpers import fast_config, started
from tests.fix_database import Connect
from tributary import Client, InsertOpts, QueueConfig, Step, StepArgs, Worker

PROMPTLY = 5.0  # seconds; far below the poll interval
NEVER_POLL = timedelta(minutes=1)


class Hop(StepArgs):
    kind = "hop"
    fail_first: bool = False


class HopWorker(Worker[Hop]):
    """Fails the first attempt of a step that asks for it; otherwise succeeds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}

    def work(self, step: Step[Hop]) -> str:
        with self.lock:
            self.attempts[step.task_name] = step.attempt
        if step.args.fail_first and step.attempt == 1:
            raise RuntimeError("first attempt fails")
        return step.task_name


def client_for(dsn: str, worker: HopWorker) -> Client:
    queues = {"default": QueueConfig(max_workers=2), "other": QueueConfig(max_workers=2)}
    return Client(dsn, fast_config(worker, queues=queues, fetch_poll_interval=NEVER_POLL))


def test_a_workflow_created_by_another_connection_is_claimed_at_once(dsn: str, connect: Connect) -> None:
    with client_for(dsn, HopWorker()) as client, started(client):
        time.sleep(0.3)  # the fetchers' first claims found nothing; now only a wake-up helps
        with connect() as conn:
            workflow_id = client.new_workflow("external").add_task("only", Hop()).execute(conn=conn)
        started_at = time.monotonic()
        result = client.wait(workflow_id, timeout=PROMPTLY)
    assert result.state == "completed"
    assert time.monotonic() - started_at < PROMPTLY


def test_a_retry_claimable_at_once_is_claimed_at_once(dsn: str) -> None:
    worker = HopWorker()
    with client_for(dsn, worker) as client, started(client):
        builder = client.new_workflow("retry").add_task(
            "flaky", Hop(fail_first=True), insert_opts=InsertOpts(retry_backoff=timedelta(0), max_attempts=2)
        )
        result = client.wait(builder.execute(), timeout=PROMPTLY)
    assert result.state == "completed"
    assert worker.attempts == {"flaky": 2}


def test_a_dependent_on_another_queue_is_claimed_at_once(dsn: str) -> None:
    worker = HopWorker()
    with client_for(dsn, worker) as client, started(client):
        builder = (
            client.new_workflow("two queues")
            .add_task("here", Hop())
            .add_task("there", Hop(), depends_on=["here"], insert_opts=InsertOpts(queue="other"))
            .add_task("back", Hop(), depends_on=["there"])
        )
        result = client.wait(builder.execute(), timeout=PROMPTLY)
    assert result.state == "completed"
    assert sorted(worker.attempts) == ["back", "here", "there"]
