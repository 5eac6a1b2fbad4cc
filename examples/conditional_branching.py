"""Conditional branching: a decision step's result picks which branch does the work.

A workflow's graph is fixed when it is created, so both branches are steps of it. ``decision``
looks at the order and returns ``{"path": "a"}`` (approve automatically) or ``{"path": "b"}``
(send to manual review). ``process_a`` and ``process_b`` both depend on it; each reads the
decision and either does its work or completes at once with ``{"skipped": true}``, so the
workflow still completes and anything downstream can see which branch ran.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.conditional_branching
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.conditional_branching:app
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate


class DecisionArgs(StepArgs):
    kind = "branch_decide"
    amount_cents: int
    auto_approve_below_cents: int


class AutoApproveArgs(StepArgs):
    kind = "branch_auto_approve"
    order_id: int


class ManualReviewArgs(StepArgs):
    kind = "branch_manual_review"
    order_id: int
    reviewers: list[str]


class Decision(BaseModel):
    path: Literal["a", "b"]


class DecisionWorker(Worker[DecisionArgs]):
    def work(self, step: Step[DecisionArgs]) -> Decision:
        small = step.args.amount_cents < step.args.auto_approve_below_cents
        return Decision(path="a" if small else "b")


class AutoApproveWorker(Worker[AutoApproveArgs]):
    def work(self, step: Step[AutoApproveArgs]) -> dict[str, Any]:
        if step.dependency("decision", Decision).path != "a":
            return {"skipped": True}  # not our branch: complete without doing anything
        return {"order_id": step.args.order_id, "approved": True, "by": "auto"}


class ManualReviewWorker(Worker[ManualReviewArgs]):
    def work(self, step: Step[ManualReviewArgs]) -> dict[str, Any]:
        if step.dependency("decision", Decision).path != "b":
            return {"skipped": True}
        return {"order_id": step.args.order_id, "queued_for": step.args.reviewers}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.conditional_branching:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(DecisionWorker(), AutoApproveWorker(), ManualReviewWorker()),
    )


def main(dsn: str, amount_cents: int = 4_999) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("order_review")
            .add_task("decision", DecisionArgs(amount_cents=amount_cents, auto_approve_below_cents=10_000))
            .add_task("process_a", AutoApproveArgs(order_id=42), depends_on=["decision"])
            .add_task("process_b", ManualReviewArgs(order_id=42, reviewers=["ana"]), depends_on=["decision"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(
        f"workflow {outcome.id} {outcome.state}: decision={outcome.result('decision')} "
        f"process_a={outcome.result('process_a')} process_b={outcome.result('process_b')}"
    )
