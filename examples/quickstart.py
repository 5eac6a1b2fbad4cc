"""The README's quick start as a module: extract -> load, one sync and one async handler.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.quickstart
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.quickstart:app

``examples/test_quickstart.py`` tests it with the pytest plugin (``tributary[pytest]``).
"""

from __future__ import annotations

import os
from typing import Any

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate


class Extract(StepArgs):
    kind = "extract"
    source: str


class Load(StepArgs):
    kind = "load"


class ExtractWorker(Worker[Extract]):
    def work(self, step: Step[Extract]) -> dict[str, Any]:  # plain functions run in a thread pool
        return {"rows": [1, 2, 3], "source": step.args.source}


class LoadWorker(Worker[Load]):
    async def work(self, step: Step[Load]) -> dict[str, Any]:  # coroutines run on the event loop
        rows = step.dependency("extract")["rows"]  # results arrive by task name
        return {"loaded": len(rows)}


def app() -> Config:
    """The quick start's Config: one queue, both workers."""
    return Config(queues={"default": QueueConfig(max_workers=8)}, workers=Workers(ExtractWorker(), LoadWorker()))


def etl(client: Client, source: str = "orders.csv") -> int:
    """Creates the quick start's workflow and returns its id."""
    return (
        client.new_workflow("etl")
        .add_task("extract", Extract(source=source))
        .add_task("load", Load(), depends_on=["extract"])
        .execute()
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        return client.wait(etl(client), timeout=30)


if __name__ == "__main__":
    migrate.up(os.environ["DATABASE_URL"])  # deploys the schema if needed; a no-op when it is current
    outcome = main(os.environ["DATABASE_URL"])
    print(outcome.result("load"))  # {'loaded': 3}
