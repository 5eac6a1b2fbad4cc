"""Claim throughput under global concurrency and rate limits, as a ratio to the plain claim.

In fresh databases, CONNECTIONS connections (threads) drain STEPS one-step-per-task steps of one
queue, each looping ``claim_step(queue, worker, BATCH)`` then ``complete_steps`` (two commits per
batch, no Python worker runtime). Scenarios, each in a database of its own (a key limit anywhere
puts every claim on the limited path), interleaved over ROUNDS rounds, median reported:
- plain: no limit;
- one key: every step carries the concurrency key ``tenant:1``, limited to 1,000,000 running
  (far above the load; every claimer takes that key's row lock in turn);
- 50 keys: every step carries one of 50 keys, each limited to 1,000,000;
- queue limit: the queue limited to 1,000,000 running;
- rate: the queue limited to 1,000,000 starts per second (far above the load);
- key rate: every step's key ``tenant:1`` limited to 1,000,000 starts per second.
Prints steps/s and the ratio to the plain claim of the same run (target: within 1.5x, i.e. a
ratio >= 0.67). Usage: ``DATABASE_URL=... python -m bench.flow_control``.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database

STEPS = 4_000
CONNECTIONS = 4
BATCH = 10
ROUNDS = 5
QUEUE = "bench"
FAR_ABOVE = 1_000_000

Setup = Callable[[psycopg.Connection], None]


def no_limit(conn: psycopg.Connection) -> None:
    return None


def one_key(conn: psycopg.Connection) -> None:
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'tenant:1', %s)", (FAR_ABOVE,))


def fifty_keys(conn: psycopg.Connection) -> None:
    for k in range(50):
        conn.execute("SELECT tributary.set_concurrency_limit('key', %s, %s)", (f"tenant:{k}", FAR_ABOVE))


def queue_limit(conn: psycopg.Connection) -> None:
    conn.execute("SELECT tributary.set_concurrency_limit('queue', %s, %s)", (QUEUE, FAR_ABOVE))


def queue_rate(conn: psycopg.Connection) -> None:
    conn.execute("SELECT tributary.set_rate_limit('queue', %s, %s, '1 second')", (QUEUE, FAR_ABOVE))


def key_rate(conn: psycopg.Connection) -> None:
    conn.execute("SELECT tributary.set_rate_limit('key', 'tenant:1', %s, '1 second')", (FAR_ABOVE,))


# name, limits, keys of the steps (None: no key)
SCENARIOS: list[tuple[str, Setup, int | None]] = [
    ("plain claim", no_limit, None),
    ("concurrency key on every step, one key", one_key, 1),
    ("concurrency key on every step, 50 keys", fifty_keys, 50),
    ("queue concurrency limit", queue_limit, None),
    ("queue rate limit", queue_rate, None),
    ("key rate limit on every step", key_rate, 1),
]


def load(conn: psycopg.Connection, keys: int | None) -> None:
    tasks = []
    for i in range(STEPS):
        item: dict[str, object] = {"name": f"s{i}", "kind": "noop", "queue": QUEUE}
        if keys is not None:
            item["concurrency_key"] = "tenant:1" if keys == 1 else f"tenant:{i % keys}"
        tasks.append(item)
    conn.execute("SELECT tributary.create_workflow('bench', %s)", (Jsonb(tasks),))
    conn.execute("ANALYZE tributary.steps")


def drain(dsn: str) -> float:
    """Steps/s of CONNECTIONS claimers draining the queue."""
    start = threading.Barrier(CONNECTIONS + 1)

    def claimer(n: int) -> None:
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as conn:
            start.wait()
            while rows := conn.execute(
                "SELECT step_id, attempt FROM tributary.claim_step(%s, %s, %s)", (QUEUE, f"w{n}", BATCH)
            ).fetchall():
                conn.execute(
                    "SELECT tributary.complete_steps(%s::bigint[], %s::integer[])",
                    ([r[0] for r in rows], [r[1] for r in rows]),
                )

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return STEPS / (time.perf_counter() - began)


def run(setup: Setup, keys: int | None) -> float:
    with bench_database() as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            setup(conn)
            load(conn, keys)
        rate = drain(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM tributary.steps WHERE state <> 'completed'").fetchone()
            assert row is not None
            assert row[0] == 0, "every step completed"
        return rate


def main() -> None:
    results: dict[str, list[float]] = {name: [] for name, _, _ in SCENARIOS}
    for _ in range(ROUNDS):
        for name, setup, keys in SCENARIOS:
            results[name].append(run(setup, keys))
    plain = statistics.median(results["plain claim"])
    print(f"{STEPS:,} steps, {CONNECTIONS} connections, claim_step batches of {BATCH}, median of {ROUNDS} rounds")
    for name, _, _ in SCENARIOS:
        rate = statistics.median(results[name])
        print(f"  {name:<42} {rate:8,.0f} steps/s   {rate / plain:5.2f}x the plain claim")


if __name__ == "__main__":
    main()
