"""Sleep steps: a workflow pauses between two steps without holding a worker.

``add_sleep("cool_off", timedelta(hours=1))`` (task option ``"sleep": "1 hour"``) or
``add_sleep("until_monday", until=...)`` (``"sleep_until"``) adds a step that no worker runs: it
waits in the engine (state ``waiting``, its timer in ``steps.wake_at``) and completes by itself
once its time has come, with a ``None`` result; then its dependents run. Running workers end due
sleeps every ``Config.wake_interval`` (1 s by default, 100 ms here), with one indexed statement
however many steps sleep; without workers, ``SELECT tributary.wake_due_steps()`` from pg_cron
does the same. Sleeps survive restarts: they are rows.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.sleep_steps
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.sleep_steps:app
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate

COOL_OFF = timedelta(seconds=1)


class Email(StepArgs):
    kind = "sleep_email"
    subject: str


class EmailWorker(Worker[Email]):
    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def work(self, step: Step[Email]) -> str:
        with self._lock:
            self.sent_at[step.task_name] = time.monotonic()
        return f"sent: {step.args.subject}"


def make_config(worker: EmailWorker) -> Config:
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(worker),
        fetch_poll_interval=timedelta(milliseconds=100),
        wake_interval=timedelta(milliseconds=100),
    )


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.sleep_steps:app`` works its queue."""
    return make_config(EmailWorker())


@dataclass
class Drip:
    workflow: WorkflowResult
    gap_seconds: float  # between the welcome email and the follow-up


def main(dsn: str) -> Drip:
    worker = EmailWorker()
    with Client(dsn, make_config(worker)) as client:
        client.start()
        workflow_id = (
            client.new_workflow("drip")
            .add_task("welcome", Email(subject="Welcome!"))
            .add_sleep("cool_off", COOL_OFF, depends_on=["welcome"])
            .add_task("follow_up", Email(subject="How is it going?"), depends_on=["cool_off"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=30)
    return Drip(result, worker.sent_at["follow_up"] - worker.sent_at["welcome"])


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    run = main(database_url)
    print(f"workflow {run.workflow.id} {run.workflow.state}; follow-up {run.gap_seconds:.2f} s after the welcome")
