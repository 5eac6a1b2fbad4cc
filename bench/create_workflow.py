"""How long creating one large workflow takes: one call to tributary.create_workflow.

Shapes: a 10,000-step chain (in order, and listed in reverse so the cycle check cannot take its
fast path) and a 1 -> 9,998 -> 1 fan-out/fan-in (19,996 edges). Prints the wall time of the
single round trip, median of a few runs. Usage: ``DATABASE_URL=... python -m bench.create_workflow``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database

RUNS = 5


def chain(n: int, *, reverse: bool = False) -> list[dict[str, Any]]:
    tasks = [{"name": f"t{i}", "kind": "noop", "depends_on": [f"t{i - 1}"] if i > 1 else []} for i in range(1, n + 1)]
    return tasks[::-1] if reverse else tasks


def fan(width: int) -> list[dict[str, Any]]:
    middle = [{"name": f"m{i}", "kind": "noop", "depends_on": ["root"]} for i in range(width)]
    return [
        {"name": "root", "kind": "noop"},
        *middle,
        {"name": "sink", "kind": "noop", "depends_on": [m["name"] for m in middle]},
    ]


def time_create(dsn: str, tasks: list[dict[str, Any]]) -> float:
    timings = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(RUNS):
            started = time.perf_counter()
            conn.execute("SELECT tributary.create_workflow('bench', %s)", (Jsonb(tasks),))
            timings.append(time.perf_counter() - started)
            conn.execute("TRUNCATE tributary.workflows CASCADE")
    return statistics.median(timings)


def main() -> None:
    shapes = {
        "chain of 10,000 (listed in order)": chain(10_000),
        "chain of 10,000 (listed in reverse)": chain(10_000, reverse=True),
        "fan-out/fan-in 1 -> 9,998 -> 1": fan(9_998),
    }
    with bench_database() as dsn:
        print(f"create_workflow, one call each, median of {RUNS} runs")
        for label, tasks in shapes.items():
            print(f"  {label:<40} {time_create(dsn, tasks) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
