"""Delayed workflow: create it now, have it start at a given time.

``new_workflow(..., scheduled_at=...)`` creates the workflow and its steps at once (they show in
``tributary.workflow_progress`` straight away), but no step is claimed before ``scheduled_at``.
Steps made claimable by the clock, not by another step, are found by polling, so
``fetch_poll_interval`` bounds how late after ``scheduled_at`` the first step starts (1 s by
default; 100 ms here).

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.delayed_workflow
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.delayed_workflow:app
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate

DELAY = timedelta(seconds=1.5)


class SendReminderArgs(StepArgs):
    kind = "delayed_send_reminder"
    user_id: int


class Starts:
    """When each task's handler started (wall clock), shared by the workers."""

    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def record(self, task_name: str) -> None:
        with self._lock:
            self.at.setdefault(task_name, datetime.now(UTC))


class SendReminderWorker(Worker[SendReminderArgs]):
    def __init__(self, starts: Starts) -> None:
        self.starts = starts

    def work(self, step: Step[SendReminderArgs]) -> dict[str, int]:
        self.starts.record(step.task_name)
        return {"reminded": step.args.user_id}


@dataclass
class DelayedRun:
    workflow: WorkflowResult
    created_at: datetime
    scheduled_at: datetime
    starts: dict[str, datetime] = field(default_factory=dict)


def make_config(starts: Starts) -> Config:
    """The example's Config, its worker recording into ``starts``."""
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(SendReminderWorker(starts)),
        fetch_poll_interval=timedelta(milliseconds=100),
    )


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.delayed_workflow:app`` works its queues."""
    return make_config(Starts())


def main(dsn: str) -> DelayedRun:
    starts = Starts()  # kept here to read the start times back after the run
    with Client(dsn, make_config(starts)) as client:
        client.start()
        created_at = datetime.now(UTC)
        scheduled_at = created_at + DELAY
        workflow_id = (
            client.new_workflow("reminders", scheduled_at=scheduled_at)
            .add_task("first_reminder", SendReminderArgs(user_id=7))
            .add_task("second_reminder", SendReminderArgs(user_id=7), depends_on=["first_reminder"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=30)
    return DelayedRun(workflow=result, created_at=created_at, scheduled_at=scheduled_at, starts=dict(starts.at))


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    run = main(database_url)
    for task, started in sorted(run.starts.items(), key=lambda item: item[1]):
        late = (started - run.scheduled_at).total_seconds()
        print(f"{task} started {late:.3f} s after scheduled_at")
    print(f"workflow {run.workflow.id} {run.workflow.state}")
