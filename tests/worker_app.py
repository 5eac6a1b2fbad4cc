"""A worker process for tests/test_processes.py: one Client working one queue until a signal.

Run as ``python -m tests.worker_app --dsn DSN --queue Q --max-workers N [--shutdown-grace S]
[--mode sync|async]``. Engine timings are short (heartbeat 0.25 s, rescue 0.5 s, poll 0.1 s) so a
test can shorten the lease to about a second. The worker id is ``worker-app-<pid>``.

Every handler records what it did in the table ``test_log`` the test created::

    CREATE TABLE test_log (step_id bigint, task_name text, attempt int, pid int, event text,
                           at timestamptz DEFAULT clock_timestamp())

with one ``start`` row when it begins and one ``end`` row just before it returns, each written
and committed on its own connection, so a step killed midway leaves a ``start`` without an
``end``. ``--mode async`` registers ``async def`` handlers (cancelled at shutdown) instead of
plain ones (run in threads).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import psycopg

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

LOG_INSERT = "INSERT INTO test_log (step_id, task_name, attempt, pid, event) VALUES (%s, %s, %s, %s, %s)"
SLEEP_SLICE = 0.05


class QuickArgs(StepArgs):
    """A short step: sleeps ``seconds``; its result names its process and its inputs."""

    kind = "quick"
    seconds: float = 0.0


class SlowArgs(StepArgs):
    """A long step: sleeps ``seconds`` in small slices (``retry_seconds`` on later attempts)."""

    kind = "slow"
    seconds: float
    retry_seconds: float | None = None

    def duration(self, attempt: int) -> float:
        return self.seconds if attempt == 1 or self.retry_seconds is None else self.retry_seconds


def _result(step: Step[Any]) -> dict[str, Any]:
    return {"task": step.task_name, "pid": os.getpid(), "inputs": sorted(step.dependency_results)}


def _log(dsn: str, step: Step[Any], event: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LOG_INSERT, (step.id, step.task_name, step.attempt, os.getpid(), event))


async def _alog(dsn: str, step: Step[Any], event: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(LOG_INSERT, (step.id, step.task_name, step.attempt, os.getpid(), event))


def _sleep(seconds: float) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(SLEEP_SLICE, left))


async def _asleep(seconds: float) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        await asyncio.sleep(min(SLEEP_SLICE, left))


class QuickWorker(Worker[QuickArgs]):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def work(self, step: Step[QuickArgs]) -> dict[str, Any]:
        _log(self.dsn, step, "start")
        _sleep(step.args.seconds)
        _log(self.dsn, step, "end")
        return _result(step)


class SlowWorker(Worker[SlowArgs]):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def work(self, step: Step[SlowArgs]) -> dict[str, Any]:
        _log(self.dsn, step, "start")
        _sleep(step.args.duration(step.attempt))
        _log(self.dsn, step, "end")
        return _result(step)


class AsyncQuickWorker(Worker[QuickArgs]):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def work(self, step: Step[QuickArgs]) -> dict[str, Any]:
        await _alog(self.dsn, step, "start")
        await _asleep(step.args.seconds)
        await _alog(self.dsn, step, "end")
        return _result(step)


class AsyncSlowWorker(Worker[SlowArgs]):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def work(self, step: Step[SlowArgs]) -> dict[str, Any]:
        await _alog(self.dsn, step, "start")
        await _asleep(step.args.duration(step.attempt))
        await _alog(self.dsn, step, "end")
        return _result(step)


def build_config(dsn: str, queue: str, max_workers: int, shutdown_grace: float, mode: str) -> Config:
    workers = (
        Workers(AsyncQuickWorker(dsn), AsyncSlowWorker(dsn))
        if mode == "async"
        else Workers(QuickWorker(dsn), SlowWorker(dsn))
    )
    return Config(
        queues={queue: QueueConfig(max_workers=max_workers)},
        workers=workers,
        fetch_poll_interval=timedelta(milliseconds=100),
        heartbeat_interval=timedelta(milliseconds=250),
        rescue_interval=timedelta(milliseconds=500),
        shutdown_grace=timedelta(seconds=shutdown_grace),
        worker_id=f"worker-app-{os.getpid()}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--shutdown-grace", type=float, default=5.0, help="seconds")
    parser.add_argument("--mode", choices=("sync", "async"), default="sync")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    config = build_config(args.dsn, args.queue, args.max_workers, args.shutdown_grace, args.mode)
    with Client(args.dsn, config) as client:
        client.run_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
