"""Extract -> transform -> load: a chain of steps that pass results by task name.

Each step type is a pydantic model deriving from ``StepArgs`` with a ``kind``; a worker
registered for that kind runs every step of that type. What a worker returns (here a pydantic
model) is stored as the step's result, and each step that depends on it reads it by *task name*
with ``step.dependency("<task name>", Model)`` -- not by step type.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.etl_chain
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.etl_chain:app
"""

from __future__ import annotations

import os

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate


# -- Step args: what each step is given when the workflow is created. --------------------------
class ExtractArgs(StepArgs):
    kind = "etl_extract"
    source: str


class TransformArgs(StepArgs):
    kind = "etl_transform"
    currency: str = "EUR"


class LoadArgs(StepArgs):
    kind = "etl_load"
    table: str


# -- Results: what each step hands to the steps that depend on it. -----------------------------
class Order(BaseModel):
    id: int
    amount_cents: int
    currency: str


class Extracted(BaseModel):
    source: str
    orders: list[Order]


class Transformed(BaseModel):
    orders: list[Order]
    total_cents: int


class Loaded(BaseModel):
    table: str
    rows: int
    total_cents: int


# Exchange rates in percent of the target currency (integers keep the arithmetic exact).
RATES_TO_EUR = {"EUR": 100, "USD": 92, "GBP": 117}


# -- Workers: one per step type. -----------------------------------------------------------------
class ExtractWorker(Worker[ExtractArgs]):
    def work(self, step: Step[ExtractArgs]) -> Extracted:
        # A real extractor would read step.args.source; the rows are inline to stay self-contained.
        orders = [
            Order(id=1, amount_cents=1000, currency="EUR"),
            Order(id=2, amount_cents=2500, currency="USD"),
            Order(id=3, amount_cents=400, currency="GBP"),
        ]
        return Extracted(source=step.args.source, orders=orders)


class TransformWorker(Worker[TransformArgs]):
    def work(self, step: Step[TransformArgs]) -> Transformed:
        extracted = step.dependency("extract", Extracted)  # the result of the task named "extract"
        converted = [
            Order(id=o.id, amount_cents=o.amount_cents * RATES_TO_EUR[o.currency] // 100, currency=step.args.currency)
            for o in extracted.orders
        ]
        return Transformed(orders=converted, total_cents=sum(o.amount_cents for o in converted))


class LoadWorker(Worker[LoadArgs]):
    """Writes the transformed rows to ``warehouse`` (a stand-in for a real database table)."""

    def __init__(self, warehouse: dict[str, list[Order]]) -> None:
        self.warehouse = warehouse

    def work(self, step: Step[LoadArgs]) -> Loaded:
        transformed = step.dependency("transform", Transformed)
        self.warehouse.setdefault(step.args.table, []).extend(transformed.orders)
        return Loaded(table=step.args.table, rows=len(transformed.orders), total_cents=transformed.total_cents)


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.etl_chain:app`` works its queues."""
    warehouse: dict[str, list[Order]] = {}  # each app gets its own stand-in table
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(ExtractWorker(), TransformWorker(), LoadWorker(warehouse)),
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:  # leaving the block stops the workers and closes the pool
        client.start()  # works the queues in a background thread
        workflow_id = (
            client.new_workflow("etl")
            .add_task("extract", ExtractArgs(source="orders.csv"))
            .add_task("transform", TransformArgs(), depends_on=["extract"])
            .add_task("load", LoadArgs(table="orders_eur"), depends_on=["transform"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(f"workflow {outcome.id} {outcome.state}: {outcome.result('load', Loaded)}")
