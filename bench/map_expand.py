"""How long a map step of 10,000 elements takes to expand and to collect.

A workflow ``source -> each (map over source) -> after``. Expansion: the one ``complete_step``
of ``source`` whose result is an array of 10,000 numbers; inside it, the engine inserts the
10,000 element steps and their edges in one set-based statement. Completion: the elements are
claimed and completed in batches of 100 (``complete_steps``); the first batch and the last
batch are timed -- the last one also collects the 10,000 results into the map's result, so the
difference is the collection. Prints medians of a few runs. Usage:
``DATABASE_URL=... python -m bench.map_expand``.
"""

from __future__ import annotations

import statistics
import time

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database

RUNS = 3
ELEMENTS = 10_000
BATCH = 100


def one_run(conn: psycopg.Connection) -> tuple[float, float, float, float]:
    """(expansion, a plain completion for comparison, first batch, last batch) in seconds."""
    tasks = [
        {"name": "source", "kind": "noop", "queue": "bench"},
        {"name": "each", "kind": "noop", "queue": "bench", "depends_on": ["source"], "map": {"over": "source"}},
        {"name": "after", "kind": "noop", "queue": "other", "depends_on": ["each"]},
        {"name": "plain", "kind": "noop", "queue": "plain"},
    ]
    conn.execute("SELECT tributary.create_workflow('bench_map', %s)", (Jsonb(tasks),))
    row = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('plain', 'bench')").fetchone()
    assert row is not None
    started = time.perf_counter()
    conn.execute("SELECT tributary.complete_step(%s, %s, %s)", (row[0], row[1], Jsonb(list(range(ELEMENTS)))))
    plain = time.perf_counter() - started

    row = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('bench', 'bench')").fetchone()
    assert row is not None
    started = time.perf_counter()
    conn.execute("SELECT tributary.complete_step(%s, %s, %s)", (row[0], row[1], Jsonb(list(range(ELEMENTS)))))
    expansion = time.perf_counter() - started

    batches = []
    while claimed := conn.execute(
        "SELECT step_id, attempt, args -> 'element' FROM tributary.claim_step('bench', 'bench', %s)", (BATCH,)
    ).fetchall():
        started = time.perf_counter()
        conn.execute(
            "SELECT count(*) FROM tributary.complete_steps(%s::bigint[], %s::integer[], %s::jsonb[])",
            ([c[0] for c in claimed], [c[1] for c in claimed], [Jsonb(c[2]) for c in claimed]),
        )
        batches.append(time.perf_counter() - started)
    size = conn.execute(
        "SELECT jsonb_array_length(result) FROM tributary.steps WHERE task_name = 'each' AND state = 'completed'"
    ).fetchone()
    assert size == (ELEMENTS,), size
    conn.execute("TRUNCATE tributary.workflows CASCADE")
    return expansion, plain, batches[0], batches[-1]


def main() -> None:
    with bench_database() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        runs = [one_run(conn) for _ in range(RUNS)]
        expansion, plain, first, last = (statistics.median(r[i] for r in runs) for i in range(4))
        print(f"map step of {ELEMENTS:,} elements, median of {RUNS} runs")
        rows = {
            "complete_step of the source, expanding the map": expansion,
            "complete_step of a step with the same result, no map": plain,
            f"complete_steps of the first {BATCH} elements": first,
            f"complete_steps of the last {BATCH} (collects {ELEMENTS:,} results)": last,
        }
        for label, seconds in rows.items():
            print(f"  {label:<58} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
