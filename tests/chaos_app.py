"""A worker process for tests/test_chaos.py and tests/test_reconnect.py: one Client until a signal.

Run as ``python -m tests.chaos_app --dsn DSN --queue Q [--queue Q2 ...] [--max-workers N]
[--mode sync|async] [--poll-interval S] [--rescue-interval S] [--runs-dir DIR]``. The worker id
is ``chaos-<pid>``; ``heartbeat_interval`` is left unset, so it follows the engine's lease.

Its one step type, :class:`ChaosArgs`, computes a value from its own args and the values of its
dependencies (:func:`chaos_value`), so a test can recompute every step's value from the stored
results of its dependencies and check every edge of the graph. The result also names the attempt
that computed it and the dependencies the handler was given.

With ``--runs-dir``, each handler run first appends ``<step id> <attempt> <pid>`` to
``<runs-dir>/<pid>.runs`` (one ``write`` on an ``O_APPEND`` file, kept by the kernel when the
process is killed right after), so a test can count how often each step ran without touching the
database. Log records carry the runtime's event name (``event=claim_failed``) when they have one.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

WORKER_ID_PREFIX = "chaos-"
LOG_FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s event=%(event)s %(message)s"
RUNS_SUFFIX = ".runs"


class ChaosArgs(StepArgs):
    """A step whose value is :func:`chaos_value` of its task name, ``salt`` and its dependencies'
    values; it sleeps ``millis`` first. ``deps`` repeats its dependencies for the checks."""

    kind = "chaos"
    salt: int
    deps: list[str]
    millis: int = 0


def chaos_value(task_name: str, salt: int, dependency_values: Mapping[str, Any]) -> str:
    """The value of a step: a digest of its name, its salt and its dependencies' values in name order."""
    material = json.dumps([task_name, salt, sorted(dependency_values.items())], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def dependency_values(dependency_results: Mapping[str, Any]) -> dict[str, Any]:
    """The ``value`` of each dependency result (None where a result has none)."""
    return {
        name: result.get("value") if isinstance(result, dict) else None for name, result in dependency_results.items()
    }


def chaos_result(step: Step[ChaosArgs]) -> dict[str, Any]:
    return {
        "value": chaos_value(step.task_name, step.args.salt, dependency_values(step.dependency_results)),
        "inputs": sorted(step.dependency_results),
        "attempt": step.attempt,
        "pid": os.getpid(),
    }


class RunLog:
    """Appends one line per handler run to this process's file in ``directory`` (if any)."""

    def __init__(self, directory: Path | None) -> None:
        self._fd: int | None = None
        if directory is not None:
            path = directory / f"{os.getpid()}{RUNS_SUFFIX}"
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(self, step: Step[Any]) -> None:
        if self._fd is not None:
            os.write(self._fd, f"{step.id} {step.attempt} {os.getpid()}\n".encode())


def read_runs(directory: Path) -> list[tuple[int, int, int]]:
    """Every ``(step id, attempt, pid)`` the processes that wrote to ``directory`` recorded."""
    runs = []
    for path in sorted(directory.glob(f"*{RUNS_SUFFIX}")):
        for line in path.read_text().splitlines():
            step_id, attempt, pid = line.split()
            runs.append((int(step_id), int(attempt), int(pid)))
    return runs


class ChaosWorker(Worker[ChaosArgs]):
    def __init__(self, runs: RunLog) -> None:
        self.runs = runs

    def work(self, step: Step[ChaosArgs]) -> dict[str, Any]:
        self.runs.record(step)
        time.sleep(step.args.millis / 1000)
        return chaos_result(step)


class AsyncChaosWorker(Worker[ChaosArgs]):
    def __init__(self, runs: RunLog) -> None:
        self.runs = runs

    async def work(self, step: Step[ChaosArgs]) -> dict[str, Any]:
        self.runs.record(step)
        await asyncio.sleep(step.args.millis / 1000)
        return chaos_result(step)


class _EventField(logging.Filter):
    """Gives records without a runtime event an ``event`` of ``-`` so the format always works."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "event"):
            record.event = "-"
        return True


def build_config(args: argparse.Namespace) -> Config:
    runs = RunLog(Path(args.runs_dir) if args.runs_dir else None)
    worker: Worker[ChaosArgs] = AsyncChaosWorker(runs) if args.mode == "async" else ChaosWorker(runs)
    return Config(
        queues={queue: QueueConfig(max_workers=args.max_workers) for queue in args.queue},
        workers=Workers(worker),
        fetch_poll_interval=timedelta(seconds=args.poll_interval),
        rescue_interval=timedelta(seconds=args.rescue_interval),
        shutdown_grace=timedelta(seconds=1),
        worker_id=f"{WORKER_ID_PREFIX}{os.getpid()}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--queue", action="append", required=True, help="repeat to work several queues")
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--mode", choices=("sync", "async"), default="sync")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds")
    parser.add_argument("--rescue-interval", type=float, default=0.3, help="seconds")
    parser.add_argument("--runs-dir", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_EventField())
    with Client(args.dsn, build_config(args)) as client:
        client.run_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
