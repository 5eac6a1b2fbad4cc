"""Queues: route step types to queues, each with its own concurrency limit.

A client works the queues named in ``Config(queues=...)``; at most ``max_workers`` steps of a
queue run at once in that client. A step type picks its queue in ``insert_opts()`` (a task can
still override it in ``add_task``). Size each queue for what its steps use: a few slots for
CPU- or GPU-bound work, many for work that mostly waits on I/O. I/O-bound handlers are best
written ``async def`` (they run on the client's event loop, no thread each); plain ``def``
handlers run in threads.

A queue of many short steps can claim ahead: ``QueueConfig(max_workers=4, prefetch=12)`` holds
up to 12 more claimed steps, which wait in the process and start the moment a running one ends,
with no round trip to the database, while the next claim is already on its way. Still at most
``max_workers`` run at once. A step claimed ahead holds its lease and its timeout counts from its
claim, so keep prefetch for short steps (docs/python-api.md, "Config and QueueConfig").

The workers below measure how many handlers of each queue run at the same time.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.queues
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.queues:app
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tributary import (
    Client,
    Config,
    InsertOpts,
    QueueConfig,
    Step,
    StepArgs,
    Worker,
    Workers,
    WorkflowResult,
    migrate,
)

QUEUES = {
    "cpu_heavy": QueueConfig(max_workers=4),
    "io_heavy": QueueConfig(max_workers=20),
    "gpu": QueueConfig(max_workers=2),
    "thumbnails": QueueConfig(max_workers=4, prefetch=12),  # many short steps: claim ahead
}


class CompressArgs(StepArgs):
    kind = "queues_compress"
    file: str

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="cpu_heavy")


class DownloadArgs(StepArgs):
    kind = "queues_download"
    url: str

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="io_heavy")


class ThumbnailArgs(StepArgs):
    kind = "queues_thumbnail"
    image: int

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="thumbnails")


class RenderArgs(StepArgs):
    kind = "queues_render"
    frame: int

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="gpu")


@dataclass
class Gauge:
    """Counts the handlers running at once per queue and keeps the peak."""

    running: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def track(self, queue: str) -> Iterator[None]:
        with self._lock:
            self.running[queue] = self.running.get(queue, 0) + 1
            self.peak[queue] = max(self.peak.get(queue, 0), self.running[queue])
            self.total[queue] = self.total.get(queue, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self.running[queue] -= 1


class CompressWorker(Worker[CompressArgs]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    def work(self, step: Step[CompressArgs]) -> None:
        with self.gauge.track(step.queue):
            time.sleep(0.15)  # stands in for CPU-bound work


class DownloadWorker(Worker[DownloadArgs]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    async def work(self, step: Step[DownloadArgs]) -> None:
        with self.gauge.track(step.queue):
            await asyncio.sleep(0.1)  # stands in for waiting on the network


class RenderWorker(Worker[RenderArgs]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    def work(self, step: Step[RenderArgs]) -> None:
        with self.gauge.track(step.queue):
            time.sleep(0.15)  # stands in for a GPU job


class ThumbnailWorker(Worker[ThumbnailArgs]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    async def work(self, step: Step[ThumbnailArgs]) -> None:
        with self.gauge.track(step.queue):
            await asyncio.sleep(0.005)  # a short step: the next ones are already claimed


@dataclass
class QueuesRun:
    workflow: WorkflowResult
    max_workers: dict[str, int]
    peak: dict[str, int]
    total: dict[str, int]


def make_config(gauge: Gauge) -> Config:
    """The example's Config, its workers counting into ``gauge``."""
    return Config(
        queues=QUEUES,
        workers=Workers(CompressWorker(gauge), DownloadWorker(gauge), RenderWorker(gauge), ThumbnailWorker(gauge)),
    )


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.queues:app`` works its queues."""
    return make_config(Gauge())


def main(dsn: str) -> QueuesRun:
    gauge = Gauge()  # kept here to read the counts back after the run
    with Client(dsn, make_config(gauge)) as client:
        client.start()
        workflow = client.new_workflow("media_batch")
        for i in range(16):
            workflow.add_task(f"compress_{i}", CompressArgs(file=f"video_{i}.raw"))
        for i in range(40):
            workflow.add_task(f"download_{i}", DownloadArgs(url=f"https://cdn.example.com/asset/{i}"))
        for i in range(12):
            workflow.add_task(f"render_{i}", RenderArgs(frame=i))
        for i in range(60):
            workflow.add_task(f"thumbnail_{i}", ThumbnailArgs(image=i))
        result = client.wait(workflow.execute(), timeout=30)
    return QueuesRun(
        workflow=result,
        max_workers={name: q.max_workers for name, q in QUEUES.items()},
        peak=dict(gauge.peak),
        total=dict(gauge.total),
    )


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    run = main(database_url)
    for queue, limit in run.max_workers.items():
        print(f"{queue}: {run.total.get(queue, 0)} steps, peak {run.peak.get(queue, 0)} at once (max {limit})")
    print(f"workflow {run.workflow.id} {run.workflow.state}")
