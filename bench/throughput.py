"""Worker throughput on the local PostgreSQL: one worker process, 8 workers, no-op steps.

Prints, never asserts:
- steps/s draining 10,000 independent steps of one workflow;
- steps/s draining 10,000 one-step workflows (each finalizes on its own);
- ms per hop of a 200-step chain (run, then complete it and claim the next in one transaction), the
  median of 5 chains;
- seconds for a 1 -> 1,000 -> 1 fan-out/fan-in.
Usage: ``DATABASE_URL=... python -m bench.throughput`` (a fresh database is created and dropped).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg

from bench._database import bench_database
from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

WORKERS = 8
CHAIN_RUNS = 5  # a chain is short and serial: one run is noisy


class Noop(StepArgs):
    kind = "noop"


class NoopWorker(Worker[Noop]):
    async def work(self, step: Step[Noop]) -> None:
        return None


def make_client(dsn: str) -> Client:
    config = Config(queues={"default": QueueConfig(max_workers=WORKERS)}, workers=Workers(NoopWorker()))
    return Client(dsn, config)


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
    with psycopg.connect(dsn) as conn:
        for _ in range(n):
            client.new_workflow("single").add_task("only", Noop()).execute(conn=conn)
    started = time.perf_counter()
    client.start()
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row: Any = conn.execute("SELECT count(*) FROM tributary.workflows WHERE state = 'running'").fetchone()
            if row[0] == 0:
                break
            time.sleep(0.01)
    return n / (time.perf_counter() - started)


def chain_hop_ms(client: Client, length: int) -> float:
    builder = client.new_workflow("chain")
    for i in range(length):
        builder.add_task(f"t{i}", Noop(), depends_on=[f"t{i - 1}"] if i else [])
    started = time.perf_counter()
    result = client.wait(builder.execute(), timeout=600)
    assert result.state == "completed"
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


def main() -> None:
    with bench_database() as dsn, make_client(dsn) as client:
        client.start()
        print(f"one worker process, {WORKERS} workers, no-op async handlers")
        print(f"  10,000 steps in one workflow        {drain_one_workflow(client, 10_000):8.0f} steps/s")
        print(f"  10,000 one-step workflows           {drain_many_workflows(client, dsn, 10_000):8.0f} steps/s")
        hops = sorted(chain_hop_ms(client, 200) for _ in range(CHAIN_RUNS))
        print(
            f"  200-step chain                      {statistics.median(hops):8.2f} ms/hop"
            f"  (median of {CHAIN_RUNS}, {hops[0]:.2f}-{hops[-1]:.2f})"
        )
        print(f"  1 -> 1,000 -> 1 fan-out/fan-in      {fan_seconds(client, 1_000):8.2f} s")


if __name__ == "__main__":
    main()
