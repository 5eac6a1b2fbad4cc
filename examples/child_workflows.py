"""Child workflows: a step starts a whole workflow and waits for it without holding a worker.

The ``fulfil`` handler decides at run time what to do (one ``pick`` step per item, then
``pack``), builds that workflow with ``client.new_workflow(...)`` and hands it to
``step.spawn(...)``. When the handler returns, the engine (``spawn_child_workflow``) creates the
child and puts ``fulfil`` into ``waiting``; the worker is free at once. When the child completes,
``fulfil`` completes with the results of the child's leaf steps keyed by task name (here
``{"pack": ...}``) and ``invoice`` runs. Had the child failed, ``fulfil``'s attempt would fail and
be retried (its handler spawning a new child). ``get_workflow`` shows the link both ways;
cancelling the order cancels the child too.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.child_workflows
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.child_workflows:app
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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


class Fulfil(StepArgs):
    kind = "child_fulfil"
    items: list[str]


class Pick(StepArgs):
    kind = "child_pick"
    item: str


class Pack(StepArgs):
    kind = "child_pack"


class Invoice(StepArgs):
    kind = "child_invoice"


class FulfilWorker(Worker[Fulfil]):
    def __init__(self, config: list[Config]) -> None:
        self.config = config  # the client's Config, to build the child with its defaults and hooks

    def work(self, step: Step[Fulfil]) -> None:
        child = WorkflowSpec(self.config[0], "fulfilment", metadata={"order_step": step.id})
        for item in step.args.items:
            child.add_task(f"pick_{item}", Pick(item=item))
        child.add_task("pack", Pack(), depends_on=[f"pick_{item}" for item in step.args.items])
        step.spawn(child)


class PickWorker(Worker[Pick]):
    def work(self, step: Step[Pick]) -> str:
        return step.args.item.upper()


class PackWorker(Worker[Pack]):
    def work(self, step: Step[Pack]) -> dict[str, Any]:
        return {"parcel": sorted(step.dependency_results.values())}


class InvoiceWorker(Worker[Invoice]):
    def work(self, step: Step[Invoice]) -> dict[str, Any]:
        return {"invoiced": step.dependency("fulfil")["pack"]["parcel"]}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.child_workflows:app`` works its queue."""
    holder: list[Config] = []
    config = Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(FulfilWorker(holder), PickWorker(), PackWorker(), InvoiceWorker()),
        fetch_poll_interval=timedelta(milliseconds=100),
    )
    holder.append(config)
    return config


@dataclass
class Order:
    parent: WorkflowResult
    child: WorkflowResult


def main(dsn: str) -> Order:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("order")
            .add_task("fulfil", Fulfil(items=["book", "lamp"]))
            .add_task("invoice", Invoice(), depends_on=["fulfil"])
            .execute()
        )
        parent = client.wait(workflow_id, timeout=30)
        child = client.get_workflow(parent.children[0]["id"])
    return Order(parent, child)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    run = main(database_url)
    print(f"order {run.parent.id} {run.parent.state}: {run.parent.result('invoice')}")
    print(f"child {run.child.id} {run.child.state}, parent step {run.child.parent_step_id}")
