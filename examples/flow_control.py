"""Flow control: global concurrency and rate limits, shared by every worker process.

``QueueConfig(max_workers=...)`` caps one process. A global limit lives in the database and caps
all processes together: here two clients (two worker processes, in one Python process for the
demo) work the queue ``api`` with 6 slots each, yet

- at most 2 steps of any one customer run at once (a concurrency limit per key: each step
  carries ``concurrency_key="customer:<id>"``, and each customer's key has a limit of 2), and
- the steps calling the partner API start at most 4 per second (a rate limit on the key
  ``partner-api``: a burst of 4, then one every 0.25 s); they wait, available, and never fail.

A step type gives its key in ``insert_opts()``; a task can set another one in ``add_task``.
Limits are set once, by an admin, from SQL or the Client; they are not part of any ``Config``.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.flow_control
    # or only its workers (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.flow_control:app
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

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

CUSTOMERS = (1, 2, 3)
PER_CUSTOMER = 2  # running steps of one customer at once, across every process
PARTNER_RATE = 4  # partner API calls started per second, across every process


class SyncCustomer(StepArgs):
    """Work for one customer: at most PER_CUSTOMER of a customer's steps run at once."""

    kind = "flow_sync_customer"
    customer: int
    part: int

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="api", concurrency_key=f"customer:{self.customer}")


class CallPartner(StepArgs):
    """A call to a partner API that allows PARTNER_RATE calls a second."""

    kind = "flow_call_partner"
    n: int

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(queue="api", concurrency_key="partner-api")


@dataclass
class Gauge:
    """What the handlers saw: running steps per key and their peak, and when partner calls started."""

    running: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    partner_starts: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SyncWorker(Worker[SyncCustomer]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    def work(self, step: Step[SyncCustomer]) -> None:
        key = f"customer:{step.args.customer}"
        with self.gauge.lock:
            self.gauge.running[key] += 1
            self.gauge.peak[key] = max(self.gauge.peak[key], self.gauge.running[key])
        time.sleep(0.1)  # stands in for the customer's sync
        with self.gauge.lock:
            self.gauge.running[key] -= 1


class PartnerWorker(Worker[CallPartner]):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    def work(self, step: Step[CallPartner]) -> None:
        with self.gauge.lock:
            self.gauge.partner_starts.append(time.monotonic())


def set_limits(client: Client) -> None:
    """Once, by an admin (or in SQL: SELECT tributary.set_concurrency_limit('key', 'customer:1', 2))."""
    for customer in CUSTOMERS:
        client.set_concurrency_limit("key", f"customer:{customer}", PER_CUSTOMER)
    client.set_rate_limit("key", "partner-api", PARTNER_RATE, timedelta(seconds=1))


def make_config(gauge: Gauge) -> Config:
    return Config(queues={"api": QueueConfig(max_workers=6)}, workers=Workers(SyncWorker(gauge), PartnerWorker(gauge)))


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.flow_control:app`` works the queue api."""
    return make_config(Gauge())


@dataclass
class FlowControlRun:
    workflow: WorkflowResult
    peak: dict[str, int]
    partner_starts: list[float]
    limits: list[tuple[str, str, int | None, int | None]]


def main(dsn: str) -> FlowControlRun:
    gauge = Gauge()
    with Client(dsn, make_config(gauge)) as first, Client(dsn, make_config(gauge)) as second:
        set_limits(first)
        first.start()
        second.start()
        workflow = first.new_workflow("flow_control")
        for customer in CUSTOMERS:
            for part in range(6):
                workflow.add_task(f"sync_{customer}_{part}", SyncCustomer(customer=customer, part=part))
        for n in range(10):
            workflow.add_task(f"partner_{n}", CallPartner(n=n))
        result = first.wait(workflow.execute(), timeout=30)
        limits = [(lim.scope, lim.name, lim.max_running, lim.rate_max_starts) for lim in first.flow_limits()]
    return FlowControlRun(result, dict(gauge.peak), sorted(gauge.partner_starts), limits)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    run = main(database_url)
    for key, peak in sorted(run.peak.items()):
        print(f"{key}: peak {peak} running at once across both processes (limit {PER_CUSTOMER})")
    starts = run.partner_starts
    print(f"partner-api: {len(starts)} calls over {starts[-1] - starts[0]:.2f} s (at most {PARTNER_RATE} a second)")
    print(f"workflow {run.workflow.id} {run.workflow.state}")
