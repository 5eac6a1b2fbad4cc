"""Workflows a step starts when it completes: created with its completion, or not at all.

The ``receive`` handler of an upload decides at run time which workflows follow (one
``convert`` workflow per file of the upload) and hands each to ``step.start_workflow(...)``.
They are created in the transaction that completes ``receive`` (``complete_steps_and_start``):
had the handler raised, or had its attempt lost its step to another attempt, none would exist;
an attempt that runs again and completes starts them once, with no idempotency key. They are
workflows of their own (not children: ``receive`` does not wait for them), and their first steps
are claimed by the same call when this worker serves their queue. The worker's database role
needs ``tributary_submitter`` as well as ``tributary_worker`` to start workflows.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.started_workflows
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.started_workflows:app
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta

from tributary import (
    Client,
    Config,
    QueueConfig,
    Step,
    StepArgs,
    Worker,
    Workers,
    WorkflowResult,
    WorkflowSpec,
    migrate,
)


class Receive(StepArgs):
    kind = "started_receive"
    upload: str
    files: list[str]


class Convert(StepArgs):
    kind = "started_convert"
    upload: str
    file: str


class ReceiveWorker(Worker[Receive]):
    def __init__(self, config: list[Config]) -> None:
        self.config = config  # the client's Config, to build the workflows with its defaults and hooks

    def work(self, step: Step[Receive]) -> int:
        for file in step.args.files:
            convert = WorkflowSpec(self.config[0], "convert", metadata={"upload": step.args.upload})
            step.start_workflow(convert.add_task("convert", Convert(upload=step.args.upload, file=file)))
        return len(step.args.files)


class ConvertWorker(Worker[Convert]):
    def work(self, step: Step[Convert]) -> str:
        return step.args.file.rsplit(".", 1)[0] + ".pdf"


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.started_workflows:app`` works its queue."""
    holder: list[Config] = []
    config = Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(ReceiveWorker(holder), ConvertWorker()),
        fetch_poll_interval=timedelta(milliseconds=100),
    )
    holder.append(config)
    return config


@dataclass
class Upload:
    received: WorkflowResult
    converted: list[WorkflowResult]


def started_by(client: Client, upload: str) -> list[int]:
    """The ids of the convert workflows started for ``upload`` (found by their metadata)."""
    with client.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM tributary.list_workflows(p_name => 'convert') WHERE metadata ->> 'upload' = %s ORDER BY id",
            (upload,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def main(dsn: str) -> Upload:
    upload = f"upload-{time.time_ns()}"
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("upload")
            .add_task("receive", Receive(upload=upload, files=["a.docx", "b.odt", "c.txt"]))
            .execute()
        )
        received = client.wait(workflow_id, timeout=30)
        converted = [client.wait(started, timeout=30) for started in started_by(client, upload)]
    return Upload(received, converted)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    run = main(database_url)
    print(f"upload {run.received.id} {run.received.state}: {run.received.result('receive')} files")
    for workflow in run.converted:
        print(f"convert {workflow.id} {workflow.state}: {workflow.result('convert')}")
