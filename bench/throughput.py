"""Worker throughput on the local PostgreSQL: one worker process, 8 slots, no-op steps.

Prints, never asserts, each figure beside its ratio to a ceiling pgbench measures in the same run
(bench/ceiling.py: claim + complete of a bare table, two commits per job):
- steps/s draining 10,000 independent steps of one workflow, and 10,000 one-step workflows (each
  finalizes on its own), against pgbench with 8 clients (target for the second: >= 1.8x);
- ms per hop of a 200-step chain, first from a freshly started worker, then the median of 5 on a
  warm one, against one claim + complete by pgbench with 1 client (target: <= 2x); and the same
  chain's SQL alone (complete_steps_and_claim per hop from a sync connection, no runtime);
- ms per hop of a chain where each handler creates the next one-step workflow through the
  asyncio client (target: <= 1.5x the dependency chain);
- seconds for a 1 -> 1,000 -> 1 fan-out/fan-in (target: <= 0.3 s).
Usage: ``DATABASE_URL=... python -m bench.throughput`` (fresh databases are created and dropped).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench._database import DEFAULT_SERVER, bench_database
from bench.ceiling import claim_complete_ceiling, pgbench_available
from tributary import AsyncClient, Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

WORKERS = 8
CHAIN_RUNS = 5  # a chain is short and serial: one run is noisy


class Noop(StepArgs):
    kind = "noop"


class NoopWorker(Worker[Noop]):
    async def work(self, step: Step[Noop]) -> None:
        return None


class Hop(StepArgs):
    kind = "hop"
    left: int


class HopWorker(Worker[Hop]):
    """Creates the next one-step workflow of the chain through the asyncio client."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.client: AsyncClient | None = None
        self.done = threading.Event()

    async def work(self, step: Step[Hop]) -> None:
        if step.args.left == 0:
            self.done.set()
            return
        if self.client is None:  # one pool for the whole chain, opened on the worker's loop
            self.client = AsyncClient(self.dsn)
            await self.client.open()
        following = self.client.new_workflow("hop", idempotency_key=f"hop-{step.workflow_id}")
        await self.client.insert(following.add_task("hop", Hop(left=step.args.left - 1)))


def make_client(dsn: str, hop: HopWorker | None = None) -> Client:
    workers = Workers(NoopWorker(), *([hop] if hop is not None else []))
    return Client(dsn, Config(queues={"default": QueueConfig(max_workers=WORKERS)}, workers=workers))


def drain_one_workflow(client: Client, n: int) -> float:
    builder = client.new_workflow("wide")
    for i in range(n):
        builder.add_task(f"s{i}", Noop())
    started = time.perf_counter()
    workflow_id = builder.execute()
    result = client.wait(workflow_id, timeout=600)
    assert result.state == "completed"
    return n / (time.perf_counter() - started)


def drain_many_workflows(client: Client, dsn: str, n: int) -> float:
    client.stop()
    last = max(client.insert_many([client.new_workflow("single").add_task("only", Noop()) for _ in range(n)]))
    started = time.perf_counter()
    client.start()
    # Polls what costs the server next to nothing: the last workflow by primary key (it is claimed
    # last), then, once it is done, the count of the others (a scan of every workflow, which at
    # every poll took a share of the two cores this measures).
    with psycopg.connect(dsn, autocommit=True) as conn:
        while _fetch(conn, "SELECT state = 'running' FROM tributary.workflows WHERE id = %s", last):
            time.sleep(0.002)
        while _fetch(conn, "SELECT count(*) FROM tributary.workflows WHERE state = 'running'"):
            time.sleep(0.002)
    return n / (time.perf_counter() - started)


def _fetch(conn: psycopg.Connection[Any], statement: str, *params: Any) -> Any:
    row: Any = conn.execute(statement, params).fetchone()
    return row[0]


def chain_hop_ms(client: Client, length: int) -> float:
    builder = client.new_workflow("chain")
    for i in range(length):
        builder.add_task(f"t{i}", Noop(), depends_on=[f"t{i - 1}"] if i else [])
    started = time.perf_counter()
    result = client.wait(builder.execute(), timeout=600)
    assert result.state == "completed"
    return (time.perf_counter() - started) * 1000 / length


def sql_chain_hop_ms(dsn: str, length: int) -> float:
    """The same chain as :func:`chain_hop_ms` with no runtime: each hop one call of
    complete_steps_and_claim from a sync connection (the SQL's share of a hop)."""
    tasks = [{"name": f"t{i}", "kind": "noop", "queue": "sql_floor", **({"depends_on": [f"t{i - 1}"]} if i else {})}
             for i in range(length)]  # fmt: skip
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT tributary.create_workflow('sql_chain', %s)", (Jsonb(tasks),))
        row = conn.execute("SELECT step_id, attempt FROM tributary.claim_steps('sql_floor', 'bench', 1)").fetchone()
        started = time.perf_counter()
        for _ in range(length - 1):
            assert row is not None
            row = conn.execute(
                "SELECT step_id, attempt FROM tributary.complete_steps_and_claim("
                "ARRAY[%s]::bigint[], ARRAY[%s]::integer[], NULL, 'bench', '{sql_floor}', '{8}') WHERE outcome IS NULL",
                row,
            ).fetchone()
        elapsed = time.perf_counter() - started
        assert row is not None
        conn.execute("SELECT tributary.complete_steps(ARRAY[%s]::bigint[], ARRAY[%s]::integer[])", row)  # the last
        return elapsed * 1000 / (length - 1)


def handler_chain_hop_ms(client: Client, hop: HopWorker, length: int) -> float:
    started = time.perf_counter()
    client.new_workflow("hop").add_task("hop", Hop(left=length)).execute()
    if not hop.done.wait(600):
        raise TimeoutError("the handler chain did not finish")
    return (time.perf_counter() - started) * 1000 / length


def fan_seconds(client: Client, width: int) -> float:
    builder = client.new_workflow("fan").add_task("root", Noop())
    for i in range(width):
        builder.add_task(f"m{i}", Noop(), depends_on=["root"])
    builder.add_task("sink", Noop(), depends_on=[f"m{i}" for i in range(width)])
    started = time.perf_counter()
    result = client.wait(builder.execute(), timeout=600)
    assert result.state == "completed"
    return time.perf_counter() - started


def ratio(value: float, ceiling: float | None) -> str:
    return f"  {value / ceiling:5.2f}x the ceiling" if ceiling else ""


def main() -> None:
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    eight = one = None
    if pgbench_available():
        eight = claim_complete_ceiling(server, clients=8)
        one = claim_complete_ceiling(server, clients=1)
        print("ceiling: pgbench claim + complete of a bare table, two commits per job")
        print(f"  8 clients                           {eight.jobs_per_second:8.0f} jobs/s")
        print(f"  1 client                            {one.ms_per_job:8.2f} ms/job")
    else:
        print("pgbench is not installed: figures without their ceiling")
    one_ms = one.ms_per_job if one is not None else None
    eight_rate = eight.jobs_per_second if eight is not None else None
    with bench_database() as dsn, make_client(dsn) as client:
        client.start()
        cold = chain_hop_ms(client, 200)
        print(f"one worker process, {WORKERS} slots, no-op async handlers")
        print(f"  200-step chain, fresh worker        {cold:8.2f} ms/hop{ratio(cold, one_ms)}")
        hops = sorted(chain_hop_ms(client, 200) for _ in range(CHAIN_RUNS))
        warm = statistics.median(hops)
        print(
            f"  200-step chain, warm worker         {warm:8.2f} ms/hop{ratio(warm, one_ms)}"
            f"  (median of {CHAIN_RUNS}, {hops[0]:.2f}-{hops[-1]:.2f})"
        )
        floor = statistics.median(sql_chain_hop_ms(dsn, 200) for _ in range(3))
        print(f"  the chain's SQL alone (no runtime)  {floor:8.2f} ms/hop{ratio(floor, one_ms)}")
        wide = drain_one_workflow(client, 10_000)
        print(f"  10,000 steps in one workflow        {wide:8.0f} steps/s{ratio(wide, eight_rate)}")
        many = drain_many_workflows(client, dsn, 10_000)
        print(f"  10,000 one-step workflows           {many:8.0f} steps/s{ratio(many, eight_rate)}")
        print(f"  1 -> 1,000 -> 1 fan-out/fan-in      {fan_seconds(client, 1_000):8.2f} s")
    hop = HopWorker("")
    with bench_database() as dsn, make_client(dsn, hop) as client:
        hop.dsn = dsn
        client.start()
        handler_chain = handler_chain_hop_ms(client, hop, 200)
        print(f"  200 workflows, each handler creating the next (asyncio client)  {handler_chain:8.2f} ms/hop"
              f"  {handler_chain / warm:5.2f}x the dependency chain")  # fmt: skip


if __name__ == "__main__":
    main()
