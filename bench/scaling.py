"""Costs that stay flat with history and grow linearly with the work, measured in one run.

Prints, never asserts (the machine is shared: read the ratios, not the absolute figures):

1. **Linear in the size of the work**: each batch operation at n = 1,000 and n = 10,000 and the
   ratio of the two (linear is 10x; the target is <= 12x): creating an n-step workflow,
   ``claim_step(..., n)``, ``heartbeat_steps``, ``complete_steps``, ``release_steps``,
   ``rescue_expired_steps``, completing the root of 1 -> n -> 1 (unlocking n dependents),
   completing the n middle steps at once (n decrements of the sink) and 1 -> n -> 1 end to end
   in SQL. Once on a database never analyzed, once after ``ANALYZE`` (statistics that know of
   large workflows, which is what made the old plans quadratic).
2. **Bulk creation**: ``create_workflows`` of one-step and of 10-step workflows, in workflows
   and steps per second, beside a plain bulk INSERT of as many rows into a bare table.
3. **Flat with history**: every engine function called 100 times in one session, on an empty
   database and next to ``--scale`` x 1,000,000 finished steps plus 100,000 delayed ones
   (scheduled a day ahead on the same queue), without and with statistics. Printed per function:
   the median cost of calls 1-5 (custom plans; over several new sessions) and 11-100 (generic
   plans, cached), and the ratio to the empty database (the target is <= 1.3x). The two databases
   are called alternately, round by round, so both see the same load; synchronous_commit is off
   (the figures compare reads and plans, not the flush of a commit).

Usage: ``DATABASE_URL=... python -m bench.scaling [--scale 0.1] [--skip-history]``.
A fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from bench._database import bench_database

Conn = psycopg.Connection[TupleRow]
SIZES = (1_000, 10_000)
CALLS = 100
FIRST_SESSIONS = 6


# Blocks (buffer hits and reads) of tributary's tables and indexes this backend fetched and has not
# yet reported to the statistics collector (it reports between transactions, at most once a second).
BLOCKS = """
SELECT pg_catalog.sum(pg_catalog.pg_stat_get_xact_blocks_fetched(c.oid))::bigint
FROM pg_catalog.pg_class AS c
WHERE c.relnamespace = 'tributary'::regnamespace AND c.relkind IN ('r', 'i')
"""


def timed_blocks(conn: Conn, fn: Callable[[], Any]) -> tuple[float, float]:
    """Seconds fn takes (its COMMIT left out) and the blocks of tributary's tables and indexes it reads."""
    with conn.transaction():
        before = one(conn, BLOCKS)  # counts not yet reported to the statistics: they add up
        started = time.perf_counter()
        fn()
        seconds = time.perf_counter() - started
        return seconds, float(one(conn, BLOCKS) - before)


def timed_sql(conn: Conn, query: str, params: Any) -> float:
    started = time.perf_counter()
    conn.execute(query, params)
    return time.perf_counter() - started


def one(conn: Conn, query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def claim(conn: Conn, queue: str, n: int) -> tuple[list[int], list[int]]:
    rows = conn.execute("SELECT step_id, attempt FROM tributary.claim_step(%s, 'bench', %s)", (queue, n)).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def wide(n: int, queue: str) -> list[dict[str, Any]]:
    return [{"name": f"s{i}", "kind": "noop", "queue": queue} for i in range(n)]


def fan(n: int, queue: str) -> list[dict[str, Any]]:
    middle = [{"name": f"m{i}", "kind": "noop", "queue": queue, "depends_on": ["root"]} for i in range(n)]
    sink = {"name": "sink", "kind": "noop", "queue": queue, "depends_on": [m["name"] for m in middle]}
    return [{"name": "root", "kind": "noop", "queue": queue}, *middle, sink]


def linear_costs(conn: Conn, n: int, tag: str) -> dict[str, tuple[float, float]]:
    """Seconds and blocks read per batch operation of size n (each call its own transaction)."""
    q = f"lin-{tag}-{n}"
    t: dict[str, tuple[float, float]] = {}

    def timed(fn: Callable[[], Any]) -> tuple[float, float]:
        return timed_blocks(conn, fn)

    t["create_workflow of n steps"] = timed(
        lambda: conn.execute("SELECT tributary.create_workflow('w', %s)", (Jsonb(wide(n, q)),))
    )
    ids: list[int] = []
    attempts: list[int] = []

    def do_claim() -> None:
        nonlocal ids, attempts
        ids, attempts = claim(conn, q, n)

    t["claim_step(limit n)"] = timed(do_claim)
    assert len(ids) == n, len(ids)
    t["heartbeat_steps"] = timed(
        lambda: conn.execute("SELECT count(*) FROM tributary.heartbeat_steps(%s, %s)", (ids, attempts))
    )
    t["release_steps"] = timed(lambda: conn.execute("SELECT tributary.release_steps(%s, %s)", (ids, attempts)))
    do_claim()
    conn.execute("SELECT set_config('tributary.fake_now', (now() + interval '1 day')::text, false)")
    t["rescue_expired_steps(n)"] = timed(lambda: conn.execute("SELECT tributary.rescue_expired_steps(%s)", (n,)))
    conn.execute("SELECT set_config('tributary.fake_now', (now() + interval '2 days')::text, false)")
    do_claim()
    assert len(ids) == n, len(ids)
    t["complete_steps"] = timed(
        lambda: conn.execute("SELECT count(*) FROM tributary.complete_steps(%s, %s)", (ids, attempts))
    )
    conn.execute("SELECT set_config('tributary.fake_now', '', false)")

    fq = f"fan-{tag}-{n}"
    started = time.perf_counter()
    t["create 1 -> n -> 1"] = timed(
        lambda: conn.execute("SELECT tributary.create_workflow('f', %s)", (Jsonb(fan(n, fq)),))
    )
    root_ids, root_attempts = claim(conn, fq, 1)
    t["complete the root (unlocks n)"] = timed(
        lambda: conn.execute("SELECT count(*) FROM tributary.complete_steps(%s, %s)", (root_ids, root_attempts))
    )
    do_claim_fan = claim(conn, fq, n)
    t["complete the n middles (fan-in)"] = timed(
        lambda: conn.execute("SELECT count(*) FROM tributary.complete_steps(%s, %s)", do_claim_fan)
    )
    sink_ids, sink_attempts = claim(conn, fq, 1)
    conn.execute("SELECT count(*) FROM tributary.complete_steps(%s, %s)", (sink_ids, sink_attempts))
    t["1 -> n -> 1 end to end in SQL"] = (time.perf_counter() - started, float("nan"))
    return t


def print_linear(dsn: str, runs: int) -> None:
    print(
        f"== 1. Linear in the size of the work (seconds, median of {runs} runs alternating the sizes;"
        " ratio n=10,000 / n=1,000, linear is 10x, target <= 12x)"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stats in ("never analyzed", "analyzed"):
            if stats == "analyzed":
                conn.execute("ANALYZE tributary.workflows, tributary.steps, tributary.step_dependencies")
            results: dict[int, dict[str, list[tuple[float, float]]]] = {n: {} for n in SIZES}
            with psycopg.connect(dsn, autocommit=True) as session:  # plans made in this state
                for run in range(runs):
                    for n in SIZES:
                        for name, cost in linear_costs(session, n, f"{stats.split()[0]}{run}").items():
                            results[n].setdefault(name, []).append(cost)
            print(f"-- statistics: {stats} (seconds: n=1,000, n=10,000, ratio | blocks read: the same)")
            for name in results[SIZES[0]]:
                small, large = (statistics.median(c[0] for c in results[n][name]) for n in SIZES)
                small_b, large_b = (statistics.median(c[1] for c in results[n][name]) for n in SIZES)
                blocks = (
                    "" if math.isnan(small_b) else f" | {small_b:8.0f} {large_b:8.0f} {large_b / max(small_b, 1):6.1f}x"
                )
                print(f"  {name:<36} {small:8.3f} {large:8.3f} {large / small:6.1f}x{blocks}")


def print_bulk(dsn: str, runs: int) -> None:
    print("== 2. Bulk creation (create_workflows; one call per batch, median of runs)")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS public.bench_bare (id bigserial PRIMARY KEY, name text, payload jsonb)"
        )
        for steps, count in ((1, 10_000), (10, 4_000)):
            tasks = [
                {"name": f"t{i}", "kind": "noop", "queue": "bulk", **({"depends_on": [f"t{i - 1}"]} if i else {})}
                for i in range(steps)
            ]
            # Serialized once, outside the timer: the figure is the server's (sending and parsing
            # the JSON included), not Python's json.dumps.
            batch = json.dumps([{"name": "job", "tasks": tasks} for _ in range(count)])
            rates, bare_rates = [], []
            for _ in range(runs):
                elapsed = timed_sql(conn, "SELECT cardinality(tributary.create_workflows(%s::jsonb))", (batch,))
                rates.append(count / elapsed)
                bare = timed_sql(
                    conn,
                    "INSERT INTO public.bench_bare (name, payload) SELECT 'job', '{}' FROM generate_series(1, %s)",
                    (count * steps,),
                )
                bare_rates.append(count * steps / bare)
            wf = statistics.median(rates)
            bare_rate = statistics.median(bare_rates)
            print(
                f"  {count:,} workflows of {steps} step(s): {wf:9,.0f} workflows/s"
                f" ({min(rates):,.0f}-{max(rates):,.0f}),"
                f" {wf * steps:9,.0f} steps/s; bare INSERT {bare_rate:9,.0f} rows/s;"
                f" steps/s = 1/{bare_rate / (wf * steps):.1f} of it"
            )


# --- 3. flat with history -------------------------------------------------------------------

FLAT_QUEUE = "flat"
ONE_STEP = Jsonb([{"name": "job", "kind": "noop", "queue": FLAT_QUEUE, "retry_backoff": 0}])
TWO_STEPS = Jsonb(
    [
        {"name": "a", "kind": "noop", "queue": FLAT_QUEUE},
        {"name": "b", "kind": "noop", "queue": FLAT_QUEUE, "depends_on": ["a"]},
    ]
)


def one_round(conn: Conn, costs: dict[str, list[float]], blocks: dict[str, list[float]]) -> None:
    """Every engine function once, on rows of its own; appends the seconds of each call to costs
    and the blocks it read from tributary's tables and indexes to blocks (a measure of the work
    that this machine's load does not blur). Each call runs in its own transaction; the time
    leaves the COMMIT out, the direct INSERT resolves its workflow before (SET CONSTRAINTS)."""

    def measure(name: str, fn: Callable[[], Any]) -> Any:
        value: list[Any] = []
        seconds, read = timed_blocks(conn, lambda: value.append(fn()))
        costs.setdefault(name, []).append(seconds)
        blocks.setdefault(name, []).append(read)
        return value[0]

    wf = measure("create_workflow", lambda: one(conn, "SELECT tributary.create_workflow('job', %s)", (ONE_STEP,)))

    def direct() -> None:
        wid = one(conn, "INSERT INTO tributary.workflows (name) VALUES ('direct') RETURNING id")
        conn.execute(
            "INSERT INTO tributary.steps (workflow_id, task_name, kind, queue) VALUES (%s, 'job', 'noop', 'direct')",
            (wid,),
        )
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the COMMIT-time resolution, now

    measure("direct INSERT, resolved", direct)
    (step,), (attempt,) = measure("claim_step", lambda: claim(conn, FLAT_QUEUE, 1))
    measure("heartbeat", lambda: one(conn, "SELECT tributary.heartbeat(%s, %s)", (step, attempt)))
    measure(
        "heartbeat_steps",
        lambda: conn.execute("SELECT count(*) FROM tributary.heartbeat_steps(%s, %s)", ([step], [attempt])),
    )
    measure("fail_step", lambda: one(conn, "SELECT tributary.fail_step(%s, %s, '\"boom\"', true)", (step, attempt)))
    (step,), (attempt,) = claim(conn, FLAT_QUEUE, 1)
    measure("release_steps", lambda: one(conn, "SELECT tributary.release_steps(%s, %s)", ([step], [attempt])))
    (step,), (attempt,) = claim(conn, FLAT_QUEUE, 1)
    measure("complete_step", lambda: one(conn, "SELECT tributary.complete_step(%s, %s)", (step, attempt)))
    measure("get_workflow", lambda: one(conn, "SELECT tributary.get_workflow(%s)", (wf,)))
    pair = one(conn, "SELECT tributary.create_workflow('pair', %s)", (TWO_STEPS,))
    ids, attempts = claim(conn, FLAT_QUEUE, 1)
    measure(
        "complete_steps (unlocks one)",
        lambda: conn.execute("SELECT count(*) FROM tributary.complete_steps(%s, %s)", (ids, attempts)),
    )
    one(conn, "SELECT tributary.create_workflow('starter', %s)", (ONE_STEP,))
    ids, attempts = claim(conn, FLAT_QUEUE, 1)
    started = Jsonb([{"name": "started", "tasks": [{"name": "t", "kind": "noop", "queue": "started-flat"}]}])
    measure(
        "complete_steps_and_start",
        lambda: conn.execute(
            "SELECT count(*) FROM tributary.complete_steps_and_start(%s, %s, '{null}', %s::jsonb[], 'w', '{}', '{}')",
            (ids, attempts, [started]),
        ),
    )
    measure("rescue_expired_steps", lambda: one(conn, "SELECT tributary.rescue_expired_steps()"))
    measure("cancel_workflow", lambda: one(conn, "SELECT tributary.cancel_workflow(%s)", (pair,)))
    measure("retry_workflow", lambda: one(conn, "SELECT tributary.retry_workflow(%s)", (pair,)))
    (step_a,), (attempt_a,) = claim(conn, FLAT_QUEUE, 1)
    one(conn, "SELECT tributary.fail_step(%s, %s, '\"no\"', false)", (step_a, attempt_a))  # discards a, cancels b
    measure("retry_step", lambda: one(conn, "SELECT tributary.retry_step(%s)", (step_a,)))
    one(conn, "SELECT tributary.cancel_workflow(%s)", (pair,))
    measure("prune_finished (nothing due)", lambda: one(conn, "SELECT tributary.prune_finished('1 day')"))


@dataclass
class Costs:
    """Per engine function, in call order: seconds and blocks of each call."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    blocks: dict[str, list[float]] = field(default_factory=dict)

    def extend(self, other: Costs) -> None:
        for name in other.seconds:
            self.seconds.setdefault(name, []).extend(other.seconds[name])
            self.blocks.setdefault(name, []).extend(other.blocks[name])


def interleaved_sessions(dsn_empty: str, dsn_history: str, rounds: int) -> tuple[Costs, Costs]:
    """A new session on each database; `rounds` rounds, alternating between the two, so that both
    see the same load on this shared machine. synchronous_commit is off in both: the figures
    compare reads and plans, not the disk's flush time."""
    empty, history = Costs(), Costs()
    with psycopg.connect(dsn_empty, autocommit=True) as conn_e, psycopg.connect(dsn_history, autocommit=True) as conn_h:
        for conn in (conn_e, conn_h):
            conn.execute("SET synchronous_commit = off")
        for _ in range(rounds):
            one_round(conn_e, empty.seconds, empty.blocks)
            one_round(conn_h, history.seconds, history.blocks)
    return empty, history


def add_history(
    dsn: str, scale: float, finished_ago: str = "0 seconds", delayed_per_million: int = 100_000
) -> tuple[int, int]:
    """scale x 1,000,000 finished steps (chains of 5, edges included), finalized `finished_ago`,
    and scale x `delayed_per_million` steps delayed by a day."""
    workflows = int(200_000 * scale)
    delayed = int(delayed_per_million * scale)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET tributary.creating_workflow = on")  # resolved rows, as create_workflow writes them
        conn.execute("SET synchronous_commit = off")
        conn.execute(
            """
            INSERT INTO tributary.workflows (name, state, steps_total, steps_unfinished, finalized_at, created_at)
            SELECT 'history', 'completed', 5, 0, now() - %s::interval, now() - %s::interval FROM generate_series(1, %s)
            """,
            (finished_ago, finished_ago, workflows),
        )
        conn.execute(
            """
            INSERT INTO tributary.steps (workflow_id, task_name, kind, depends_on, queue, priority, max_attempts,
                                         retry_backoff, state, attempt, remaining_deps, result, finalized_at,
                                         attempted_at)
            SELECT w.id, 't' || k, 'noop', CASE WHEN k > 1 THEN ARRAY['t' || (k - 1)] ELSE '{}' END, %s,
                   0, 3, '1 second', 'completed', 1, 0, '{"ok": true}', now(), now()
            FROM tributary.workflows AS w, generate_series(1, 5) AS k
            WHERE w.name = 'history'
            ORDER BY w.id, k
            """,
            (FLAT_QUEUE,),
        )
        conn.execute(
            """
            INSERT INTO tributary.step_dependencies (step_id, depends_on_step_id)
            SELECT s.id, s.id - 1 FROM tributary.steps AS s
            WHERE s.task_name <> 't1' AND s.workflow_id IN (SELECT id FROM tributary.workflows WHERE name = 'history')
            """
        )
        if delayed == 0:
            conn.execute("VACUUM tributary.workflows, tributary.steps, tributary.step_dependencies")
            return workflows * 5, 0
        wid = one(
            conn,
            "INSERT INTO tributary.workflows (name, steps_total, steps_unfinished, scheduled_at)"
            " VALUES ('delayed', %s, %s, now() + interval '1 day') RETURNING id",
            (delayed, delayed),
        )
        conn.execute(
            """
            INSERT INTO tributary.steps (workflow_id, task_name, kind, queue, priority, max_attempts, retry_backoff,
                                         state, remaining_deps, scheduled_at)
            SELECT %s, 'd' || g, 'noop', %s, 0, 3, '1 second', 'available', 0, now() + interval '1 day'
            FROM generate_series(1, %s) AS g
            """,
            (wid, FLAT_QUEUE, delayed),
        )
        conn.execute("VACUUM tributary.workflows, tributary.steps, tributary.step_dependencies")  # visibility only
        conn.execute(
            "UPDATE pg_catalog.pg_class SET reltuples = -1 WHERE relnamespace = 'tributary'::regnamespace"
        )  # VACUUM set row counts; 'never analyzed' means the planner knows nothing
    return workflows * 5, delayed


def print_flat(dsn_empty: str, dsn_history: str, scale: float) -> None:
    print(f"== 3. Flat with history ({CALLS} calls per session; ms; ratio history / empty, target <= 1.3x)")
    finished, delayed = add_history(dsn_history, scale)
    print(f"   history: {finished:,} finished steps, {delayed:,} delayed steps on the same queue")
    for stats in ("no statistics", "statistics"):
        if stats == "statistics":
            for dsn in (dsn_empty, dsn_history):
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("ANALYZE tributary.workflows, tributary.steps, tributary.step_dependencies")
        first_e, first_h = Costs(), Costs()
        for _ in range(FIRST_SESSIONS):  # calls 1-5 of several new sessions: plans made at these calls
            e, h = interleaved_sessions(dsn_empty, dsn_history, 5)
            first_e.extend(e)
            first_h.extend(h)
        empty, history = interleaved_sessions(dsn_empty, dsn_history, CALLS)
        print(
            f"-- {stats}: median ms of calls 1-5 ({FIRST_SESSIONS} sessions) | of calls 11-{CALLS} (one session)"
            " | median blocks read by a call, 1-100: empty, history, ratio"
        )
        for name in empty.seconds:
            first = [statistics.median(c.seconds[name]) * 1000 for c in (first_e, first_h)]
            later = [statistics.median(c.seconds[name][10:]) * 1000 for c in (empty, history)]
            most = [
                statistics.median(c.blocks[name] + f.blocks[name]) for c, f in ((empty, first_e), (history, first_h))
            ]
            print(
                f"  {name:<28} {first[0]:6.2f} {first[1]:6.2f} {first[1] / first[0]:5.2f}x |"
                f" {later[0]:6.2f} {later[1]:6.2f} {later[1] / later[0]:5.2f}x |"
                f" {most[0]:5.0f} {most[1]:5.0f} {most[1] / max(most[0], 1):5.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="history size: x 1,000,000 finished steps")
    parser.add_argument("--runs", type=int, default=3, help="runs of each linear and bulk measurement")
    parser.add_argument("--skip-linear", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    args = parser.parse_args()
    with bench_database() as dsn:
        if not args.skip_linear:
            print_linear(dsn, args.runs)
        if not args.skip_bulk:
            print_bulk(dsn, args.runs)
    if not args.skip_history:
        with bench_database() as dsn_empty, bench_database() as dsn_history:
            print_flat(dsn_empty, dsn_history, args.scale)


if __name__ == "__main__":
    main()
