"""Partial batch failure: a batch step reports what failed and lets the next step decide.

Failing the whole step because one item of a batch failed would retry (or discard) the items
that went through too. Instead the batch step completes with a result listing the successful
and the failed items, and a dependent step decides what to do: carry on when the failures are
few, escalate when they are many.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.batch_partial_failure
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.batch_partial_failure:app
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate


class SendInvitesArgs(StepArgs):
    kind = "batch_send_invites"
    emails: list[str]


class ReviewArgs(StepArgs):
    kind = "batch_review"
    max_failed_ratio: float


class BatchResult(BaseModel):
    successful: list[str] = []
    failed: list[str] = []


class Review(BaseModel):
    action: Literal["done", "retry_failed", "escalate"]
    retry: list[str] = []


def send_invite(email: str) -> None:
    """Pretend mail delivery: malformed addresses and one bouncing domain fail."""
    if "@" not in email:
        raise ValueError(f"malformed address {email!r}")
    if email.endswith("@bounce.example"):
        raise ConnectionError(f"{email} bounced")


class SendInvitesWorker(Worker[SendInvitesArgs]):
    def work(self, step: Step[SendInvitesArgs]) -> BatchResult:
        result = BatchResult()
        for email in step.args.emails:
            try:
                send_invite(email)
            except (ValueError, ConnectionError):
                result.failed.append(email)
            else:
                result.successful.append(email)
        return result  # the step completes: its dependents decide what the failures mean


class ReviewWorker(Worker[ReviewArgs]):
    def work(self, step: Step[ReviewArgs]) -> Review:
        batch = step.dependency("send_invites", BatchResult)
        if not batch.failed:
            return Review(action="done")
        ratio = len(batch.failed) / (len(batch.failed) + len(batch.successful))
        if ratio > step.args.max_failed_ratio:
            return Review(action="escalate")
        return Review(action="retry_failed", retry=batch.failed)


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.batch_partial_failure:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(SendInvitesWorker(), ReviewWorker()),
    )


def main(dsn: str) -> WorkflowResult:
    emails = ["ana@example.com", "bo@bounce.example", "cy@example.com", "not-an-address", "di@example.com"]
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("invites")
            .add_task("send_invites", SendInvitesArgs(emails=emails))
            .add_task("review", ReviewArgs(max_failed_ratio=0.5), depends_on=["send_invites"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(
        f"workflow {outcome.id} {outcome.state}: {outcome.result('send_invites', BatchResult)} "
        f"-> {outcome.result('review', Review)}"
    )
