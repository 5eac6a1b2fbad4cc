"""AI pipeline: each step type carries the options it needs (queue, attempts, timeout).

``ingest -> preprocess -> train``. Preprocessing is CPU-bound, so its type sends it to the
``cpu_heavy`` queue with a 10-minute limit per attempt; training needs a GPU and is flaky, so
its type sends it to ``gpu`` with 3 attempts and a 60-minute limit. Options come, highest
first, from the task (``add_task(..., insert_opts=...)``), the step type (``insert_opts()``),
the client's ``Config``, and the database's ``tributary.settings``; they are stored on each
``tributary.steps`` row when the workflow is created.

In production each queue would usually be worked by its own processes (the GPU machines
start a client with only ``{"gpu": ...}``); one client works all three here.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.ai_pipeline
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.ai_pipeline:app
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from tributary import (
    Client,
    Config,
    InsertOpts,
    QueueConfig,
    Step,
    StepArgs,
    Worker,
    Workers,
    WorkflowResult,
    migrate,
)


class IngestArgs(StepArgs):
    kind = "ai_ingest"
    source: str


class PreprocessArgs(StepArgs):
    kind = "ai_preprocess"
    cleaning_rules: list[str]

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="cpu_heavy", timeout=timedelta(minutes=10))


class TrainModelArgs(StepArgs):
    kind = "ai_train_model"
    model_type: str

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="gpu", max_attempts=3, timeout=timedelta(minutes=60))


class Dataset(BaseModel):
    rows: list[dict[str, Any]]


class IngestWorker(Worker[IngestArgs]):
    def work(self, step: Step[IngestArgs]) -> Dataset:
        # A real ingester would read step.args.source (an s3:// URL, say).
        return Dataset(rows=[{"text": "good", "label": 1}, {"text": None, "label": 0}, {"text": "bad", "label": 0}])


class PreprocessWorker(Worker[PreprocessArgs]):
    def work(self, step: Step[PreprocessArgs]) -> Dataset:
        rows = step.dependency("ingest", Dataset).rows
        if "remove_nulls" in step.args.cleaning_rules:
            rows = [row for row in rows if all(value is not None for value in row.values())]
        return Dataset(rows=rows)


class TrainModelWorker(Worker[TrainModelArgs]):
    def work(self, step: Step[TrainModelArgs]) -> dict[str, Any]:
        dataset = step.dependency("preprocess", Dataset)
        return {"model_type": step.args.model_type, "trained_on": len(dataset.rows), "attempt": step.attempt}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.ai_pipeline:app`` works its queues."""
    return Config(
        queues={
            "default": QueueConfig(max_workers=4),
            "cpu_heavy": QueueConfig(max_workers=4),
            "gpu": QueueConfig(max_workers=2),
        },
        workers=Workers(IngestWorker(), PreprocessWorker(), TrainModelWorker()),
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("ai_pipeline")
            .add_task("ingest", IngestArgs(source="s3://data/reviews.jsonl"))
            .add_task("preprocess", PreprocessArgs(cleaning_rules=["remove_nulls"]), depends_on=["ingest"])
            .add_task("train", TrainModelArgs(model_type="transformer"), depends_on=["preprocess"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(f"workflow {outcome.id} {outcome.state}: {outcome.result('train')}")
