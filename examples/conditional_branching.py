"""Conditional branching: a decision step's result picks which branch runs; the other is skipped.

``decision`` looks at the order and returns ``{"path": "a"}`` (approve automatically) or
``{"path": "b"}`` (send to manual review). ``process_a`` declares ``run_if={"decision": {"path":
"a"}}`` and ``process_b`` ``run_if={"decision": {"path": "b"}}``: when ``decision`` completes,
the engine runs the branch whose condition its result contains (jsonb ``@>``) and ends the other
one ``skipped`` -- no worker ever claims it. ``notify`` joins the two branches with
``run_when="any_completed"``: it runs once both branches finished, with the result of the one
that completed (the skipped one is not in its dependency results). A workflow whose steps ended
completed or skipped is ``completed``.

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


class NotifyArgs(StepArgs):
    kind = "branch_notify"
    customer: str


class Decision(BaseModel):
    path: Literal["a", "b"]


class DecisionWorker(Worker[DecisionArgs]):
    def work(self, step: Step[DecisionArgs]) -> Decision:
        small = step.args.amount_cents < step.args.auto_approve_below_cents
        return Decision(path="a" if small else "b")


class AutoApproveWorker(Worker[AutoApproveArgs]):
    def work(self, step: Step[AutoApproveArgs]) -> dict[str, Any]:
        return {"order_id": step.args.order_id, "approved": True, "by": "auto"}


class ManualReviewWorker(Worker[ManualReviewArgs]):
    def work(self, step: Step[ManualReviewArgs]) -> dict[str, Any]:
        return {"order_id": step.args.order_id, "queued_for": step.args.reviewers}


class NotifyWorker(Worker[NotifyArgs]):
    def work(self, step: Step[NotifyArgs]) -> dict[str, Any]:
        # Only the branch that completed is among the dependency results.
        [(branch, outcome)] = step.dependency_results.items()
        return {"to": step.args.customer, "branch": branch, "outcome": outcome}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.conditional_branching:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(DecisionWorker(), AutoApproveWorker(), ManualReviewWorker(), NotifyWorker()),
    )


def main(dsn: str, amount_cents: int = 4_999) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("order_review")
            .add_task("decision", DecisionArgs(amount_cents=amount_cents, auto_approve_below_cents=10_000))
            .add_task(
                "process_a", AutoApproveArgs(order_id=42), depends_on=["decision"], run_if={"decision": {"path": "a"}}
            )
            .add_task(
                "process_b",
                ManualReviewArgs(order_id=42, reviewers=["ana"]),
                depends_on=["decision"],
                run_if={"decision": {"path": "b"}},
            )
            .add_task(
                "notify", NotifyArgs(customer="bo"), depends_on=["process_a", "process_b"], run_when="any_completed"
            )
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(
        f"workflow {outcome.id} {outcome.state}: decision={outcome.result('decision')} "
        f"process_a={outcome.steps['process_a'].state} process_b={outcome.steps['process_b'].state} "
        f"notify={outcome.result('notify')}"
    )
