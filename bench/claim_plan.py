"""The claim query's plan and cost next to a large history: prints EXPLAIN (ANALYZE, BUFFERS).

Builds 100,000 pending steps (waiting on a root that is never run), 100,000 completed steps and
5 ready steps on one queue, then explains the claim (the SELECT ... FOR NO KEY UPDATE SKIP
LOCKED inside tributary.claim_step) three times: on tables with no statistics at all
(autovacuum off, never analyzed: the state right after a bulk create), after ANALYZE, and after
VACUUM. Also times claim_step(queue, worker, 1) in each state. Usage: ``DATABASE_URL=... python -m bench.claim_plan``.
"""

from __future__ import annotations

import statistics
import time

import psycopg
from psycopg.types.json import Jsonb

from bench._database import bench_database

HISTORY = 100_000
CLAIM = """
SELECT s.id
FROM tributary.steps AS s
WHERE s.state = 'available' AND s.queue = 'bench' AND s.scheduled_at <= now()
ORDER BY s.priority DESC, s.scheduled_at, s.id
LIMIT 1
FOR NO KEY UPDATE SKIP LOCKED
"""


def build_history(conn: psycopg.Connection) -> None:
    for table in ("workflows", "steps", "step_dependencies"):
        conn.execute(f"ALTER TABLE tributary.{table} SET (autovacuum_enabled = false)")
    blocked: list[dict[str, object]] = [{"name": "root", "kind": "noop", "queue": "parked"}]
    blocked += [{"name": f"p{i}", "kind": "noop", "queue": "bench", "depends_on": ["root"]} for i in range(HISTORY)]
    conn.execute("SELECT tributary.create_workflow('pending', %s)", (Jsonb(blocked),))
    done = [{"name": f"c{i}", "kind": "noop", "queue": "bench"} for i in range(HISTORY)]
    conn.execute("SELECT tributary.create_workflow('completed', %s)", (Jsonb(done),))
    while rows := conn.execute("SELECT step_id, attempt FROM tributary.claim_step('bench', 'bench', 1000)").fetchall():
        conn.execute(
            "SELECT tributary.complete_steps(%s::bigint[], %s::integer[])",
            ([r[0] for r in rows], [r[1] for r in rows]),
        )
    ready = [{"name": f"r{i}", "kind": "noop", "queue": "bench"} for i in range(5)]
    conn.execute("SELECT tributary.create_workflow('ready', %s)", (Jsonb(ready),))


def explain(conn: psycopg.Connection, label: str) -> None:
    with conn.transaction():
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + CLAIM).fetchall()
        raise_rollback(conn)
    print(f"-- {label}")
    for (line,) in plan:
        print(line)
    timings = []
    for _ in range(50):
        with conn.transaction():
            started = time.perf_counter()
            conn.execute("SELECT * FROM tributary.claim_step('bench', 'bench', 1)").fetchall()
            timings.append(time.perf_counter() - started)
            raise_rollback(conn)
    print(f"claim_step(queue, worker, 1): median {statistics.median(timings) * 1000:.2f} ms over 50 calls\n")


def raise_rollback(conn: psycopg.Connection) -> None:
    """Undo the claim so every timed call finds the same ready steps."""
    raise psycopg.Rollback()


def main() -> None:
    with bench_database() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        build_history(conn)
        counts = conn.execute("SELECT state, count(*) FROM tributary.steps GROUP BY state ORDER BY state").fetchall()
        print("steps by state:", ", ".join(f"{state} {n:,}" for state, n in counts), "\n")
        explain(conn, "no statistics (never analyzed)")
        conn.execute("ANALYZE tributary.steps")
        explain(conn, "after ANALYZE (the completed steps' old entries still in the ready index)")
        conn.execute("VACUUM tributary.steps")
        explain(conn, "after VACUUM (what autovacuum leaves: only ready steps in the ready index)")


if __name__ == "__main__":
    main()
