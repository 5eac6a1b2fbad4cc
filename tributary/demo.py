"""The step kinds and the workflow of ``tributary demo``: a small data pipeline.

It exercises the guide's patterns end to end::

    ingest ─┬─ process_0 ─┐
            ├─ ...        ├─ aggregate ── decide ─┬─ report
            ├─ process_5 ─┘                       │
            └─ flaky ─────────────────────────────┘

- typed args with a ``kind``, workers (sync and ``async def``), results passed by task name;
- fan-out (six ``process_i`` steps run in parallel) and fan-in (``aggregate`` reads all six);
- conditional branching (``decide`` picks a path, ``report`` acts on it);
- options at three levels: the client's defaults (``demo_config``), a step type's
  ``insert_opts()`` (ingest and flaky run on the ``io`` queue) and a task's ``insert_opts``
  (flaky's short retry backoff);
- a retry: ``flaky`` fails its first attempt and succeeds after the backoff;
- two queues with their own ``max_workers``.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from tributary.args import InsertOpts, StepArgs
from tributary.client import Client
from tributary.config import Config, QueueConfig
from tributary.step import Step
from tributary.worker import Worker, Workers

WORKFLOW_NAME = "demo_pipeline"
FAN_OUT = 6
PROCESS_TASKS = [f"process_{i}" for i in range(FAN_OUT)]
TASKS = ["ingest", *PROCESS_TASKS, "flaky", "aggregate", "decide", "report"]
"""Every task of the demo workflow, in the order the summary lists them."""


# --- step kinds -------------------------------------------------------------------------------


class IngestArgs(StepArgs):
    kind = "demo_ingest"
    source: str
    records: int

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="io")  # step-type level: every ingest is I/O bound


class IngestResult(BaseModel):
    source: str
    records: int


class ProcessArgs(StepArgs):
    kind = "demo_process"
    index: int
    max_sleep_ms: int = 700


class ProcessResult(BaseModel):
    index: int
    records: int
    took_ms: int


class FlakyArgs(StepArgs):
    kind = "demo_flaky"
    fail_attempts: int = 1

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="io", max_attempts=3)


class AggregateArgs(StepArgs):
    kind = "demo_aggregate"
    parts: list[str]


class AggregateResult(BaseModel):
    parts: int
    records: int
    slowest: str
    slowest_ms: int


class DecideArgs(StepArgs):
    kind = "demo_decide"
    min_records: int


class Decision(BaseModel):
    path: str
    reason: str


class ReportArgs(StepArgs):
    kind = "demo_report"


# --- workers ------------------------------------------------------------------------------------


class IngestWorker(Worker[IngestArgs]):
    def work(self, step: Step[IngestArgs]) -> IngestResult:
        time.sleep(0.1)
        return IngestResult(source=step.args.source, records=step.args.records)


class ProcessWorker(Worker[ProcessArgs]):
    """An ``async`` worker: its steps run on the event loop, not in a thread."""

    async def work(self, step: Step[ProcessArgs]) -> ProcessResult:
        ingested = step.dependency("ingest", IngestResult)
        share, extra = divmod(ingested.records, FAN_OUT)
        took_ms = random.randint(100, step.args.max_sleep_ms)
        await asyncio.sleep(took_ms / 1000)
        return ProcessResult(index=step.args.index, records=share + int(step.args.index < extra), took_ms=took_ms)


class FlakyWorker(Worker[FlakyArgs]):
    """Fails its first ``fail_attempts`` attempts with an ordinary (so retryable) error."""

    def work(self, step: Step[FlakyArgs]) -> dict[str, Any]:
        if step.attempt <= step.args.fail_attempts:
            raise ConnectionError(f"simulated network blip on attempt {step.attempt}")
        return {"ok": True, "succeeded_on_attempt": step.attempt}


class AggregateWorker(Worker[AggregateArgs]):
    def work(self, step: Step[AggregateArgs]) -> AggregateResult:
        results = {name: step.dependency(name, ProcessResult) for name in step.args.parts}
        slowest = max(results, key=lambda name: results[name].took_ms)
        return AggregateResult(
            parts=len(results),
            records=sum(r.records for r in results.values()),
            slowest=slowest,
            slowest_ms=results[slowest].took_ms,
        )


class DecideWorker(Worker[DecideArgs]):
    def work(self, step: Step[DecideArgs]) -> Decision:
        total = step.dependency("aggregate", AggregateResult)
        if total.records >= step.args.min_records:
            return Decision(path="publish", reason=f"{total.records} records >= {step.args.min_records}")
        return Decision(path="review", reason=f"only {total.records} records < {step.args.min_records}")


class ReportWorker(Worker[ReportArgs]):
    def work(self, step: Step[ReportArgs]) -> dict[str, Any]:
        decision = step.dependency("decide", Decision)
        flaky = step.dependency("flaky")
        action = "published the dataset" if decision.path == "publish" else "sent the dataset for manual review"
        return {"action": action, "because": decision.reason, "flaky_attempts": flaky["succeeded_on_attempt"]}


def demo_workers() -> Workers:
    return Workers(IngestWorker(), ProcessWorker(), FlakyWorker(), AggregateWorker(), DecideWorker(), ReportWorker())


def demo_config() -> Config:
    """Two queues, short timings so the demo is quick, and client-level step defaults."""
    return Config(
        queues={"default": QueueConfig(max_workers=4), "io": QueueConfig(max_workers=8)},
        workers=demo_workers(),
        max_attempts=2,  # client level: a step type or a task may ask for more
        # A retried step becomes claimable when its backoff ends, with no notification: poll often.
        fetch_poll_interval=timedelta(milliseconds=100),
        heartbeat_interval=timedelta(seconds=5),
        shutdown_grace=timedelta(seconds=3),
        worker_id="tributary-demo",
    )


def create_demo_workflow(client: Client, *, records: int = 1_000, min_records: int = 500) -> int:
    """Creates the demo workflow in one call and returns its id."""
    workflow = client.new_workflow(WORKFLOW_NAME, metadata={"created_by": "tributary demo"})
    workflow.add_task("ingest", IngestArgs(source="s3://example-bucket/events.jsonl", records=records))
    for index, name in enumerate(PROCESS_TASKS):
        workflow.add_task(name, ProcessArgs(index=index), depends_on=["ingest"])
    workflow.add_task(
        "flaky",
        FlakyArgs(),
        depends_on=["ingest"],
        insert_opts=InsertOpts(retry_backoff=timedelta(milliseconds=200)),  # task level
    )
    workflow.add_task("aggregate", AggregateArgs(parts=PROCESS_TASKS), depends_on=PROCESS_TASKS)
    workflow.add_task("decide", DecideArgs(min_records=min_records), depends_on=["aggregate"])
    workflow.add_task("report", ReportArgs(), depends_on=["decide", "flaky"])
    return workflow.execute()
