"""History at scale: does prune_finished keep up with a steady stream of new workflows?

Builds ``--steps`` finished steps (workflows of 5 steps in a chain, with their edges), finalized
two hours ago, then prints:

1. the size of the tables and their indexes;
2. the rate ``prune_finished('1 hour', 1000)`` deletes at, alone (workflows and steps per second);
3. the same while another session creates, claims and completes ``--rate`` one-step workflows per
   second (the steady load the pruner must keep pace with), and the load's achieved rate;
4. the sizes once everything is pruned, before and after a plain VACUUM (space is reused, not
   given back: what stays bounded is the live size plus one pruning round's worth).

Prints, never asserts. Usage: ``DATABASE_URL=... python -m bench.prune [--steps 10000000]``.
A fresh database is created and dropped; autovacuum is off on the test servers, so the VACUUM
here stands for it.
"""

from __future__ import annotations

import argparse
import threading
import time

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database
from bench.scaling import add_history

SIZES = """
SELECT c.relname, pg_catalog.pg_relation_size(c.oid), pg_catalog.pg_indexes_size(c.oid)
FROM pg_catalog.pg_class AS c
WHERE c.relnamespace = 'tributary'::regnamespace AND c.relname IN ('workflows', 'steps', 'step_dependencies')
ORDER BY c.relname
"""


def print_sizes(dsn: str, label: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(SIZES).fetchall()
    sizes = ", ".join(f"{name} {heap / 2**20:,.0f} MB + indexes {idx / 2**20:,.0f} MB" for name, heap, idx in rows)
    print(f"  {label}: {sizes}")


def prune_for(dsn: str, seconds: float) -> tuple[int, float]:
    """Calls prune_finished('1 hour', 1000) until nothing is due or `seconds` passed."""
    deleted = 0
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.perf_counter() - started < seconds:
            row = conn.execute("SELECT tributary.prune_finished('1 hour', 1000)").fetchone()
            if row is None or row[0] == 0:
                break
            deleted += row[0]
    return deleted, time.perf_counter() - started


def steady_load(dsn: str, rate: int, stop: threading.Event, done: list[int]) -> None:
    """Creates `rate` one-step workflows per second in batches of rate/10, claims and completes them."""
    batch = Jsonb([{"name": "load", "tasks": [{"name": "job", "kind": "noop", "queue": "load"}]}] * (rate // 10))
    with psycopg.connect(dsn, autocommit=True) as conn:
        next_at = time.perf_counter()
        while not stop.is_set():
            conn.execute("SELECT tributary.create_workflows(%s)", (batch,))
            rows = conn.execute(
                "SELECT step_id, attempt FROM tributary.claim_step('load', 'load', %s)", (rate // 10,)
            ).fetchall()
            conn.execute(
                "SELECT count(*) FROM tributary.complete_steps(%s, %s)", ([r[0] for r in rows], [r[1] for r in rows])
            )
            done[0] += len(rows)
            next_at += 0.1
            time.sleep(max(0.0, next_at - time.perf_counter()))


def main() -> None:
    parser = argparse.ArgumentParser(description="prune_finished against a steady load")
    parser.add_argument("--steps", type=int, default=10_000_000, help="finished steps to build (chains of 5)")
    parser.add_argument("--rate", type=int, default=1_000, help="new workflows per second during the loaded run")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each pruning run")
    args = parser.parse_args()
    with bench_database() as dsn:
        started = time.perf_counter()
        finished, _ = add_history(dsn, args.steps / 1_000_000, finished_ago="2 hours", delayed_per_million=0)
        print(
            f"== history: {finished:,} finished steps in {finished // 5:,} workflows,"
            f" built in {time.perf_counter() - started:.0f} s"
        )
        print_sizes(dsn, "sizes")

        deleted, elapsed = prune_for(dsn, args.seconds)
        rate = deleted / elapsed
        print(f"== prune_finished alone: {rate:,.0f} workflows/s ({rate * 5:,.0f} steps/s) over {elapsed:.0f} s")

        stop = threading.Event()
        done = [0]
        load = threading.Thread(target=steady_load, args=(dsn, args.rate, stop, done))
        load.start()
        load_started = time.perf_counter()
        deleted, elapsed = prune_for(dsn, args.seconds)
        stop.set()
        load.join()
        achieved = done[0] / (time.perf_counter() - load_started)
        print(
            f"== prune_finished under a load of {args.rate:,} workflows/s (achieved {achieved:,.0f}/s):"
            f" {deleted / elapsed:,.0f} workflows/s ({deleted * 5 / elapsed:,.0f} steps/s) over {elapsed:.0f} s;"
            f" {deleted / elapsed / max(achieved, 1):.1f}x the arrival rate in workflows"
        )

        deleted, elapsed = prune_for(dsn, 24 * 3600)
        print(f"== the rest pruned: {deleted:,} workflows in {elapsed:.0f} s")
        print_sizes(dsn, "after pruning, before VACUUM")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM tributary.workflows, tributary.steps, tributary.step_dependencies")
        print_sizes(dsn, "after VACUUM (space reusable, not returned)")


if __name__ == "__main__":
    main()
