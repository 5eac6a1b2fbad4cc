"""Retries: a step that raises is tried again after an exponential backoff.

Any exception other than ``tributary.Discard`` fails only the *attempt*: the engine records it
in the step's ``errors`` (attempt number, time, message, type, traceback) and makes the step
claimable again after ``retry_backoff * 2^(attempt - 1)``, jittered to 50-100%. When
``max_attempts`` attempts have failed the step is discarded. ``step.attempt`` says which
attempt is running (1, 2, ...).

The flaky service here fails twice, then answers. The backoff base is 50 ms so the example is
quick (the default is 1 s); a retry due later is picked up by polling, so the client polls
every 50 ms too (the default is 1 s).

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.retries
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.retries:app
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

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


class FetchQuoteArgs(StepArgs):
    kind = "retry_fetch_quote"
    symbol: str
    fails_before_success: int = 2  # how many attempts the pretend service fails


class FetchQuoteWorker(Worker[FetchQuoteArgs]):
    def work(self, step: Step[FetchQuoteArgs]) -> dict[str, Any]:
        if step.attempt <= step.args.fails_before_success:
            # Raising fails this attempt; the step is retried after the backoff.
            raise ConnectionError(f"quote service unavailable (attempt {step.attempt})")
        return {"symbol": step.args.symbol, "price_cents": 18_250, "attempt": step.attempt}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.retries:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(FetchQuoteWorker()),
        fetch_poll_interval=timedelta(milliseconds=50),
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("quote")
            .add_task(
                "fetch_quote",
                FetchQuoteArgs(symbol="ACME"),
                # Task-level options override the step type's and the client's defaults.
                insert_opts=InsertOpts(max_attempts=5, retry_backoff=timedelta(milliseconds=50)),
            )
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    step = outcome.steps["fetch_quote"]
    print(
        f"workflow {outcome.id} {outcome.state} after {step.attempt} attempts; "
        f"errors: {[e['message'] for e in step.errors]}; result: {step.result}"
    )
