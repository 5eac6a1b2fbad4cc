"""A recurring workflow: a sales report every weekday at 07:00 Paris time.

``app(dsn)`` builds the Client, with its workers, and defines the schedule with
``client.schedule(...)``: the engine validates it, and calling it again at every start changes
nothing while the timing is the same. Every worker process fires the due fire times of every schedule
from its maintenance loop (``tributary.fire_due_schedules()``, each fire time once however many
processes run); a database with pg_cron can fire them without any worker process (see
docs/sql-api.md#schedules).

Run the workers (they also fire the schedule)::

    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.scheduled_report:app

Or watch the same report fire every second for a few runs::

    DATABASE_URL=postgresql://localhost/app python -m examples.scheduled_report
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate
from tributary.workflow import WorkflowBuilder


class SalesArgs(StepArgs):
    kind = "report_sales"
    region: str


class ReportArgs(StepArgs):
    kind = "report_render"
    title: str


class Sales(BaseModel):
    region: str
    orders: int
    revenue_cents: int


class SalesWorker(Worker[SalesArgs]):
    def work(self, step: Step[SalesArgs]) -> Sales:
        # A real worker would query yesterday's orders; fixed figures keep the example self-contained.
        return Sales(region=step.args.region, orders=12, revenue_cents=48_000)


class ReportWorker(Worker[ReportArgs]):
    def work(self, step: Step[ReportArgs]) -> str:
        sales = step.dependency("sales", Sales)
        return f"{step.args.title}: {sales.orders} orders, {sales.revenue_cents / 100:.2f} EUR ({sales.region})"


def report_workflow(client: Client) -> WorkflowBuilder:
    """The template each fire time creates a workflow from."""
    return (
        client.new_workflow("sales_report", metadata={"team": "sales"})
        .add_task("sales", SalesArgs(region="eu"))
        .add_task("report", ReportArgs(title="Daily sales"), depends_on=["sales"])
    )


def config(rescue_interval: timedelta = timedelta(seconds=30)) -> Config:
    # Due schedules are fired at every rescue pass: every rescue_interval, jittered by +-50 %.
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(SalesWorker(), ReportWorker()),
        rescue_interval=rescue_interval,
    )


def app(dsn: str, rescue_interval: timedelta = timedelta(seconds=30)) -> Client:
    """The application of ``tributary worker --app examples.scheduled_report:app``."""
    client = Client(dsn, config(rescue_interval))
    client.schedule(
        "weekday_sales_report",
        report_workflow(client),
        cron="0 7 * * MON-FRI",
        time_zone="Europe/Paris",
        overlap="skip",  # a report still running at the next fire time: that fire time is skipped
        catch_up="last",  # after an outage, one report for the newest missed fire time, not one per fire time
    )
    return client


def main(dsn: str, runs: int = 2, timeout: float = 30) -> list[WorkflowResult]:
    """Runs the report every second (an interval schedule) until ``runs`` reports completed."""
    with app(dsn, rescue_interval=timedelta(milliseconds=200)) as client:
        client.schedule("demo_sales_report", report_workflow(client), every=timedelta(seconds=1), catch_up="none")
        client.start()
        results: dict[int, WorkflowResult] = {}
        deadline = time.monotonic() + timeout
        while len(results) < runs and time.monotonic() < deadline:
            demo = next(s for s in client.schedules() if s.name == "demo_sales_report")
            if demo.last_workflow_id is not None and demo.last_workflow_id not in results:
                results[demo.last_workflow_id] = client.wait(demo.last_workflow_id, timeout=timeout)
            time.sleep(0.1)
        client.delete_schedule("demo_sales_report")
        return list(results.values())


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    for outcome in main(database_url):
        print(f"workflow {outcome.id} {outcome.state}: {outcome.result('report')}")
    with Client(database_url) as listing:
        for schedule in listing.schedules():
            print(f"schedule {schedule.name}: next fire at {schedule.next_fire_at}")
