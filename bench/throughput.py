"""Worker throughput on the local PostgreSQL: one worker process, 8 slots, no-op steps.

Prints, never asserts, each figure beside its ratio to a ceiling pgbench measures in the same round
(bench/ceiling.py: claim + complete of a bare table, two commits per job). A run is ``--rounds``
rounds (default 3), each the ceiling, then every figure with a new worker on a new database; the
summary gives the median of the rounds, value and ratio, with their ranges. The speed of this
2-core machine moves within minutes, so a ratio is only read against the ceiling of its own round:
- steps/s draining 10,000 independent steps of one workflow, and 10,000 one-step workflows (each
  finalizes on its own), against pgbench with 8 clients (target for the second: >= 1.8x);
- ms per hop of a 200-step chain, first from a freshly started worker, then the median of 5 on a
  warm one, against one claim + complete by pgbench with 1 client (target: <= 2x); and the same
  chain's SQL alone (complete_steps_and_claim per hop from a sync connection, no runtime);
- ms per hop of a chain where each handler creates the next one-step workflow through the
  asyncio client (target: <= 1.5x the dependency chain), and of the same chain when each handler
  starts the next with ``step.start_workflow`` (built by the asyncio client, created in the
  transaction that completes the step, whose call also claims the new step); each the median of
  5 handler chains, each against a 200-step dependency chain the same worker ran just before it;
- seconds for a 1 -> 1,000 -> 1 fan-out/fan-in (target: <= 0.3 s);
- the 10,000 one-step workflows and the fan-out again with ``QueueConfig(max_workers=8,
  prefetch=32)`` (up to 32 steps claimed ahead of the free slots, as docs/python-api.md describes),
  on a new worker and database: the same targets.
Usage: ``DATABASE_URL=... python -m bench.throughput [--rounds N]`` (fresh databases are created and
dropped; about 40 s a round).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench._database import DEFAULT_SERVER, bench_database
from bench.ceiling import claim_complete_ceiling, pgbench_available
from tributary import AsyncClient, Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

WORKERS = 8
PREFETCH = 4 * WORKERS  # steps claimed ahead of the free slots, in the prefetch figures
CHAIN_RUNS = 5  # a chain is short and serial: one run is noisy
CEILING_SECONDS = 4


class Noop(StepArgs):
    kind = "noop"


class NoopWorker(Worker[Noop]):
    async def work(self, step: Step[Noop]) -> None:
        return None


class Hop(StepArgs):
    kind = "hop"
    left: int


class HopWorker(Worker[Hop]):
    """Creates the next one-step workflow of the chain through the asyncio client: with
    ``insert`` (its own transaction, before the step completes), or, with ``with_completion``, with
    ``step.start_workflow`` (in the transaction that completes the step)."""

    def __init__(self, dsn: str, *, with_completion: bool = False) -> None:
        self.dsn = dsn
        self.with_completion = with_completion
        self.client: AsyncClient | None = None
        self.done = threading.Event()

    async def work(self, step: Step[Hop]) -> None:
        if step.args.left == 0:
            self.done.set()
            return
        if self.client is None:  # one pool for the whole chain, opened on the worker's loop
            self.client = AsyncClient(self.dsn)
            if not self.with_completion:
                await self.client.open()
        if self.with_completion:  # created once, with the completion: no idempotency key needed
            step.start_workflow(self.client.new_workflow("hop").add_task("hop", Hop(left=step.args.left - 1)))
            return
        following = self.client.new_workflow("hop", idempotency_key=f"hop-{step.workflow_id}")
        await self.client.insert(following.add_task("hop", Hop(left=step.args.left - 1)))


def make_client(dsn: str, hop: HopWorker | None = None, prefetch: int = 0) -> Client:
    workers = Workers(NoopWorker(), *([hop] if hop is not None else []))
    queues = {"default": QueueConfig(max_workers=WORKERS, prefetch=prefetch)}
    return Client(dsn, Config(queues=queues, workers=workers))


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
    hop.done.clear()
    started = time.perf_counter()
    client.new_workflow("hop").add_task("hop", Hop(left=length)).execute()
    if not hop.done.wait(600):
        raise TimeoutError("the handler chain did not finish")
    return (time.perf_counter() - started) * 1000 / length


def handler_against_chain(client: Client, hop: HopWorker, length: int) -> tuple[float, float]:
    """The handler chain's ms/hop and its ratio to a dependency chain run just before it by the
    same worker, as medians of CHAIN_RUNS such pairs: on this machine the speed moves within
    minutes, so each handler chain is compared with its neighbour in time."""
    values, ratios = [], []
    for _ in range(CHAIN_RUNS):
        chain = chain_hop_ms(client, length)
        handler = handler_chain_hop_ms(client, hop, length)
        values.append(handler)
        ratios.append(handler / chain)
    return statistics.median(values), statistics.median(ratios)


def fan_seconds(client: Client, width: int) -> float:
    builder = client.new_workflow("fan").add_task("root", Noop())
    for i in range(width):
        builder.add_task(f"m{i}", Noop(), depends_on=["root"])
    builder.add_task("sink", Noop(), depends_on=[f"m{i}" for i in range(width)])
    started = time.perf_counter()
    result = client.wait(builder.execute(), timeout=600)
    assert result.state == "completed"
    return time.perf_counter() - started


@dataclass
class Figure:
    """One figure across rounds: its value and its ratio to the reference of the same round."""

    label: str
    unit: str
    reference: str  # what the ratio is taken against
    target: str = ""  # issue 8's target, when it sets one
    values: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    def add(self, value: float, against: float | None) -> str:
        """Records ``value`` (and its ratio to ``against`` when there is one); the round's line."""
        self.values.append(value)
        if against:
            self.ratios.append(value / against)
        line = f"  {self.label:<38}{self._shown(value)} {self.unit:<8}"
        return line + (f"{value / against:6.2f}x" if against else "")

    def summary(self) -> str:
        spread = f"{self._shown(min(self.values)).strip()}-{self._shown(max(self.values)).strip()}"
        line = f"  {self.label:<38}{self._shown(statistics.median(self.values))} {self.unit:<8}"
        target = f"  target {self.target}" if self.target else ""
        if not self.ratios:
            return line + f"        ({spread}){target}"
        ratios = f"{min(self.ratios):.2f}-{max(self.ratios):.2f}x"
        return line + f"{statistics.median(self.ratios):6.2f}x {self.reference}  ({spread}; {ratios}){target}"

    def _shown(self, value: float) -> str:
        return f"{value:8.0f}" if self.unit == "steps/s" else f"{value:8.2f}"


FIGURES = {
    "cold": Figure("200-step chain, fresh worker", "ms/hop", "the 1-client ceiling", "<= 2x"),
    "warm": Figure("200-step chain, warm worker", "ms/hop", "the 1-client ceiling", "<= 2x"),
    "sql": Figure("the chain's SQL alone (no runtime)", "ms/hop", "the 1-client ceiling"),
    "wide": Figure("10,000 steps in one workflow", "steps/s", "the 8-client ceiling"),
    "many": Figure("10,000 one-step workflows", "steps/s", "the 8-client ceiling", ">= 1.8x"),
    "fan": Figure("1 -> 1,000 -> 1 fan-out/fan-in", "s", "", "<= 0.3 s"),
    "many_prefetch": Figure(f"the same, prefetch {PREFETCH}", "steps/s", "the 8-client ceiling", ">= 1.8x"),
    "fan_prefetch": Figure(f"1 -> 1,000 -> 1, prefetch {PREFETCH}", "s", "", "<= 0.3 s"),
    "handler": Figure("handler-created chain (asyncio client)", "ms/hop", "the chain before it", "<= 1.5x"),
    "started": Figure("handler-started chain (start_workflow)", "ms/hop", "the chain before it", "<= 1.5x"),
}


def one_round(server: str) -> None:
    """Measures the ceiling, then every figure with a new worker on a new database, and prints each
    against the ceiling of this round: the machine's speed moves within minutes, a round's does not."""
    eight = one = None
    if pgbench_available():
        eight = claim_complete_ceiling(server, clients=8, seconds=CEILING_SECONDS)
        one = claim_complete_ceiling(server, clients=1, seconds=CEILING_SECONDS)
        print(f"  ceiling: {eight.jobs_per_second:.0f} jobs/s with 8 clients, {one.ms_per_job:.2f} ms/job with 1")
    one_ms = one.ms_per_job if one is not None else None
    eight_rate = eight.jobs_per_second if eight is not None else None
    with bench_database() as dsn, make_client(dsn) as client:
        client.start()
        print(FIGURES["cold"].add(chain_hop_ms(client, 200), one_ms))
        warm = statistics.median(chain_hop_ms(client, 200) for _ in range(CHAIN_RUNS))
        print(FIGURES["warm"].add(warm, one_ms) + f"  (median of {CHAIN_RUNS} chains)")
        print(FIGURES["sql"].add(statistics.median(sql_chain_hop_ms(dsn, 200) for _ in range(3)), one_ms))
        print(FIGURES["wide"].add(drain_one_workflow(client, 10_000), eight_rate))
        print(FIGURES["many"].add(drain_many_workflows(client, dsn, 10_000), eight_rate))
        print(FIGURES["fan"].add(fan_seconds(client, 1_000), None))
    with bench_database() as dsn, make_client(dsn, prefetch=PREFETCH) as client:
        client.start()
        chain_hop_ms(client, 200)  # warm, as the worker above was before its drain
        print(FIGURES["many_prefetch"].add(drain_many_workflows(client, dsn, 10_000), eight_rate))
        print(FIGURES["fan_prefetch"].add(fan_seconds(client, 1_000), None))
    for name, hop in (("handler", HopWorker("")), ("started", HopWorker("", with_completion=True))):
        with bench_database() as dsn, make_client(dsn, hop) as client:
            hop.dsn = dsn
            client.start()
            value, ratio = handler_against_chain(client, hop, 200)
            print(FIGURES[name].add(value, value / ratio) + f"  (median of {CHAIN_RUNS} pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each with its own ceiling (default 3)")
    rounds = parser.parse_args().rounds
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if not pgbench_available():
        print("pgbench is not installed: figures without their ceiling")
    print(f"one worker process, {WORKERS} slots (max_workers), no-op async handlers")
    print("ceiling: pgbench claim + complete of a bare table, two commits per job")
    for number in range(1, rounds + 1):
        print(f"round {number} of {rounds}")
        one_round(server)
    print(f"median of {rounds} rounds (range of the values; range of the ratios)")
    for figure in FIGURES.values():
        print(figure.summary())


if __name__ == "__main__":
    main()
