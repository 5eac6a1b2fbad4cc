"""Waiting costs nothing: the time of ``wake_due_steps`` and ``send_event`` as the number of
waiting steps grows.

For each size in ``--sizes`` it adds that many steps waiting for an event (with a timer far in
the future, so each sits in both partial indexes) and prints, as medians of ``--calls`` calls:

1. ``wake_due_steps()`` with nothing due (what every worker process runs every second);
2. ``wake_due_steps()`` ending 100 due sleeps;
3. ``send_event`` to one waiting workflow (it completes the step);
4. ``send_event`` by a key nobody waits for (the event is kept).

Prints, never asserts. Usage: ``DATABASE_URL=... python -m bench.waits [--sizes 1000,100000]``.
A fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import cast

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database

WAITING = {"name": "waiting", "tasks": [{"name": "w", "wait_for": {"event": "go", "timeout": "900 days"}}]}


def median_ms(calls: int, action: Callable[[int], object]) -> float:
    times = []
    for i in range(calls):
        started = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def add_waiting(conn: psycopg.Connection[tuple[object, ...]], count: int) -> list[int]:
    ids: list[int] = []
    for start in range(0, count, 10_000):
        batch = Jsonb([WAITING] * min(10_000, count - start))
        row = conn.execute("SELECT tributary.create_workflows(%s)", (batch,)).fetchone()
        assert row is not None
        ids.extend(cast(list[int], row[0]))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description="cost of waits as waiting steps pile up")
    parser.add_argument("--sizes", default="1000,10000,100000", help="cumulative waiting steps, comma-separated")
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with bench_database() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        workflow_ids: list[int] = []
        for size in sizes:
            workflow_ids.extend(add_waiting(conn, size - len(workflow_ids)))
            conn.execute("ANALYZE tributary.steps")
            idle = median_ms(args.calls, lambda _: conn.execute("SELECT tributary.wake_due_steps()"))

            sleeps = Jsonb([{"name": f"s{i}", "sleep": 0} for i in range(100)])
            woken: list[float] = []
            for _ in range(5):
                conn.execute("SELECT tributary.create_workflow('naps', %s)", (sleeps,))
                started = time.perf_counter()
                row = conn.execute("SELECT tributary.wake_due_steps()").fetchone()
                woken.append((time.perf_counter() - started) * 1000)
                assert row is not None
                assert row[0] == 100
            targets = workflow_ids[-args.calls :]

            def deliver_one(i: int, targets: list[int] = targets) -> None:
                conn.execute("SELECT tributary.send_event('go', '1', p_workflow_id => %s)", (targets[i],))

            deliver = median_ms(args.calls, deliver_one)
            workflow_ids = workflow_ids[: -args.calls]  # those completed
            keep = median_ms(
                args.calls, lambda i: conn.execute("SELECT tributary.send_event('x', NULL, p_key => %s)", (f"k{i}",))
            )
            print(
                f"{size:>9,} waiting: wake_due_steps idle {idle:.3f} ms, 100 due {statistics.median(woken):.2f} ms;"
                f" send_event completing a wait {deliver:.3f} ms, kept {keep:.3f} ms"
            )


if __name__ == "__main__":
    main()
