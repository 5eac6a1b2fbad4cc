"""Approval flow (human in the loop): a workflow waits for a person's decision, durably.

The ``approve`` task is a wait (``add_wait``): no worker runs it and no connection is held while
it waits. An approver's answer arrives with ``client.send_event("approved", payload,
workflow_id=...)`` -- from a web request, a chat bot, psql (``SELECT tributary.send_event(...)``)
-- and the payload becomes the step's result. A request nobody answers within its timeout takes
the declared default (here: rejected), so ``decide`` always runs. The wait survives restarts of
the workers and of PostgreSQL: it is a row. An answer sent before the wait began is kept for it.

The timeout is 3 days in real use; this example gives the second request 1 s so it can be seen
timing out (workers end due waits every ``Config.wake_interval``, 100 ms here).

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.approval_flow
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.approval_flow:app
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate

REJECTED_BY_TIMEOUT = {"approved": False, "by": "timeout"}


class SubmitExpense(StepArgs):
    kind = "approval_submit"
    employee: str
    amount_cents: int


class Decide(StepArgs):
    kind = "approval_decide"


class SubmitWorker(Worker[SubmitExpense]):
    def work(self, step: Step[SubmitExpense]) -> dict[str, Any]:
        return {"employee": step.args.employee, "amount_cents": step.args.amount_cents}


class DecideWorker(Worker[Decide]):
    def work(self, step: Step[Decide]) -> dict[str, Any]:
        expense = step.dependency("submit")
        answer = step.dependency("approve")
        return {"paid": bool(answer["approved"]), "amount_cents": expense["amount_cents"], "decided_by": answer["by"]}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.approval_flow:app`` works its queue."""
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(SubmitWorker(), DecideWorker()),
        fetch_poll_interval=timedelta(milliseconds=100),
        wake_interval=timedelta(milliseconds=100),
    )


def request_approval(client: Client, employee: str, amount_cents: int, timeout: timedelta) -> int:
    """Creates one approval workflow: submit -> approve (a wait) -> decide."""
    return (
        client.new_workflow("expense_approval", metadata={"employee": employee})
        .add_task("submit", SubmitExpense(employee=employee, amount_cents=amount_cents))
        .add_wait("approve", "approved", timeout=timeout, default=REJECTED_BY_TIMEOUT, depends_on=["submit"])
        .add_task("decide", Decide(), depends_on=["submit", "approve"])
        .execute()
    )


@dataclass
class Approvals:
    answered: WorkflowResult
    unanswered: WorkflowResult


def main(dsn: str) -> Approvals:
    with Client(dsn, app()) as client:
        client.start()
        answered = request_approval(client, "ana", 12_000, timeout=timedelta(days=3))
        unanswered = request_approval(client, "bo", 990_000, timeout=timedelta(seconds=1))
        # The approver answers (here at once; a day later would do as well).
        client.send_event("approved", {"approved": True, "by": "carla"}, workflow_id=answered)
        return Approvals(client.wait(answered, timeout=30), client.wait(unanswered, timeout=30))


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    run = main(database_url)
    print("answered:", run.answered.result("decide"))
    print("unanswered:", run.unanswered.result("decide"))
