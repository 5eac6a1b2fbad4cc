"""Non-retryable outcomes: store an expected failure as a result, or ``Discard`` the step.

Two ways to handle a failure that retrying cannot fix:

* The request was wrong (an HTTP 400): retrying sends the same request again. The worker
  returns normally with a result describing the error, so the step completes and its
  dependents can look at it. (A 5xx or a network error is worth retrying: raise for those.)
* The step can never succeed (invalid input): raise ``tributary.Discard("why")``. The step is
  discarded after this one attempt, whatever ``max_attempts`` says; every step downstream of it
  is cancelled with a reason naming it; the workflow ends ``failed`` once nothing can run.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.non_retryable
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.non_retryable:app
"""

from __future__ import annotations

import os
from typing import Any

from tributary import Client, Config, Discard, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate

# A stand-in for an HTTP API: URL -> (status, body).
FAKE_API: dict[str, tuple[int, dict[str, Any]]] = {
    "https://api.example.com/orders/42": (200, {"id": 42, "total_cents": 1999}),
    "https://api.example.com/orders/oops": (400, {"message": "order id must be a number"}),
    "https://api.example.com/orders/busy": (503, {"message": "try again later"}),
}


def fake_get(url: str) -> tuple[int, dict[str, Any]]:
    return FAKE_API.get(url, (404, {"message": "not found"}))


class FetchOrderArgs(StepArgs):
    kind = "nonretry_fetch_order"
    url: str


class ChargeArgs(StepArgs):
    kind = "nonretry_charge"
    amount_cents: int


class ShipArgs(StepArgs):
    kind = "nonretry_ship"
    address: str


class FetchOrderWorker(Worker[FetchOrderArgs]):
    def work(self, step: Step[FetchOrderArgs]) -> dict[str, Any]:
        status, body = fake_get(step.args.url)
        if status >= 500:
            raise RuntimeError(f"server error {status}")  # transient: retried with backoff
        if 400 <= status < 500:
            # The request itself is wrong: record it as the result instead of failing.
            return {"error": "bad_request", "status": status, "detail": body["message"]}
        return body


class ChargeWorker(Worker[ChargeArgs]):
    def work(self, step: Step[ChargeArgs]) -> dict[str, Any]:
        if step.args.amount_cents <= 0:
            raise Discard(f"amount must be positive, got {step.args.amount_cents}")
        return {"charged_cents": step.args.amount_cents}


class ShipWorker(Worker[ShipArgs]):
    def work(self, step: Step[ShipArgs]) -> dict[str, Any]:
        return {"shipped_to": step.args.address}  # never runs here: its upstream is discarded


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.non_retryable:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(FetchOrderWorker(), ChargeWorker(), ShipWorker()),
        max_attempts=5,  # client-wide default: Discard ignores it
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("checkout")
            .add_task("fetch_order", FetchOrderArgs(url="https://api.example.com/orders/oops"))
            .add_task("charge", ChargeArgs(amount_cents=-500))
            .add_task("ship", ShipArgs(address="1 Main St"), depends_on=["charge"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    for name, step in sorted(outcome.steps.items()):
        detail = step.result or step.cancel_reason or [e["message"] for e in step.errors]
        print(f"{name}: {step.state} after {step.attempt} attempt(s): {detail}")
    print(f"workflow {outcome.id} {outcome.state}")
