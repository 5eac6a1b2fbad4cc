"""Fan-out / fan-in: one step splits the work, parallel steps do it, one step gathers it.

``prepare`` splits a list of numbers into chunks; ``process_0`` .. ``process_4`` each depend
only on ``prepare``, so they become available together and run in parallel (up to the queue's
``max_workers``); ``aggregate`` depends on all five and runs once every one of them completed.
It reads each result by task name. Add dependencies only where a step needs another's result:
every edge you leave out is parallelism you keep.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.fan_out_fan_in
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.fan_out_fan_in:app
"""

from __future__ import annotations

import os

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate

PARTS = 5


class PrepareArgs(StepArgs):
    kind = "fan_prepare"
    numbers: list[int]
    parts: int


class ProcessArgs(StepArgs):
    kind = "fan_process"
    part: int


class AggregateArgs(StepArgs):
    kind = "fan_aggregate"
    parts: int


class Prepared(BaseModel):
    chunks: list[list[int]]


class PartResult(BaseModel):
    part: int
    count: int
    sum_of_squares: int


class Aggregated(BaseModel):
    parts: list[PartResult]
    total: int


class PrepareWorker(Worker[PrepareArgs]):
    def work(self, step: Step[PrepareArgs]) -> Prepared:
        numbers, parts = step.args.numbers, step.args.parts
        return Prepared(chunks=[numbers[i::parts] for i in range(parts)])


class ProcessWorker(Worker[ProcessArgs]):
    def work(self, step: Step[ProcessArgs]) -> PartResult:
        chunk = step.dependency("prepare", Prepared).chunks[step.args.part]
        return PartResult(part=step.args.part, count=len(chunk), sum_of_squares=sum(n * n for n in chunk))


class AggregateWorker(Worker[AggregateArgs]):
    def work(self, step: Step[AggregateArgs]) -> Aggregated:
        # Only direct dependencies are visible: the five process_i results, not prepare's.
        parts = [step.dependency(f"process_{i}", PartResult) for i in range(step.args.parts)]
        return Aggregated(parts=parts, total=sum(p.sum_of_squares for p in parts))


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.fan_out_fan_in:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=PARTS)},
        workers=Workers(PrepareWorker(), ProcessWorker(), AggregateWorker()),
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow = client.new_workflow("fan_out_fan_in")
        workflow.add_task("prepare", PrepareArgs(numbers=list(range(1, 21)), parts=PARTS))
        for i in range(PARTS):  # fan out
            workflow.add_task(f"process_{i}", ProcessArgs(part=i), depends_on=["prepare"])
        workflow.add_task(  # fan in
            "aggregate", AggregateArgs(parts=PARTS), depends_on=[f"process_{i}" for i in range(PARTS)]
        )
        return client.wait(workflow.execute(), timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(f"workflow {outcome.id} {outcome.state}: total {outcome.result('aggregate', Aggregated).total}")
