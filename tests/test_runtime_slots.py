"""max_workers holds while two paths claim: the fetcher, and the completer, which claims on a
step's queue in the same transaction as a completion that unlocks dependents.

Chains make every completion unlock the next step, so most claims go through the completer while
the fetcher claims the roots of the other chains; a handler counts the steps of its queue
running at once.
"""

from __future__ import annotations

import asyncio
import threading

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tributary import Client, QueueConfig, Step, StepArgs, Worker

MAX_WORKERS = 2
CHAINS = 5
LENGTH = 8


class Link(StepArgs):
    kind = "link"


class CountingWorker(Worker[Link]):
    """Sleeps a moment and records how many links were running at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.runs = 0

    async def work(self, step: Step[Link]) -> None:
        with self.lock:
            self.running += 1
            self.runs += 1
            self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(0.005)
        finally:
            with self.lock:
                self.running -= 1


def test_claims_with_completions_never_exceed_max_workers(dsn: str) -> None:
    worker = CountingWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=MAX_WORKERS)})
    with Client(dsn, config) as client, started(client):
        builder = client.new_workflow("chains")
        for c in range(CHAINS):
            for i in range(LENGTH):
                builder.add_task(f"c{c}-{i}", Link(), depends_on=[f"c{c}-{i - 1}"] if i else [])
        result = client.wait(builder.execute(), timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert worker.runs == CHAINS * LENGTH
    assert worker.peak == MAX_WORKERS
