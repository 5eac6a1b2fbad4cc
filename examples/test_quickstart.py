"""Tests of the README's quick start with the pytest plugin (``pip install 'tributary[pytest]'``).

The plugin's ``tributary_runner`` runs the handlers inside the test, one step at a time, through
the engine's real functions; when nothing is ready it moves the engine's clock to the next
retry instead of sleeping. ``tributary_config`` is overridden to test this application.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from examples.quickstart import Extract, ExtractWorker, Load, LoadWorker, app, etl
from tributary import Client, Config, InsertOpts, Step, Workers
from tributary.testing.inline import InlineRunFailed, InlineRunner


@pytest.fixture
def tributary_config() -> Config:
    return app()


def test_load_gets_the_rows_extract_returned(tributary_client: Client, tributary_runner: InlineRunner) -> None:
    result = tributary_runner.run(etl(tributary_client))

    assert result.result("load") == {"loaded": 3}
    assert result.steps["extract"].attempt == 1


class FlakyExtract(ExtractWorker):
    """Fails its first two attempts, as a flaky source would."""

    def work(self, step: Step[Extract]) -> dict[str, Any]:
        if step.attempt <= 2:
            raise ConnectionError(f"source unreachable (attempt {step.attempt})")
        return {"rows": [1, 2, 3, 4], "source": step.args.source}


def test_when_extract_fails_twice_load_still_runs_with_the_third_result(tributary_dsn: str) -> None:
    config = Config(workers=Workers(FlakyExtract(), LoadWorker()))
    with Client(tributary_dsn, config) as client, InlineRunner(tributary_dsn, config) as runner:
        workflow_id = (
            client.new_workflow("etl")
            .add_task(
                "extract", Extract(source="flaky.csv"), insert_opts=InsertOpts(retry_backoff=timedelta(minutes=5))
            )
            .add_task("load", Load(), depends_on=["extract"])
            .execute()
        )
        began = time.monotonic()
        result = runner.run(workflow_id)

    assert time.monotonic() - began < 10  # two backoffs of 5 and 10 minutes, not slept
    assert result.result("load") == {"loaded": 4}
    extract = result.steps["extract"]
    assert extract.attempt == 3
    assert [e["message"] for e in extract.errors] == [
        "source unreachable (attempt 1)",
        "source unreachable (attempt 2)",
    ]


def test_a_failed_run_names_the_step_its_attempt_and_its_error(tributary_dsn: str) -> None:
    config = Config(workers=Workers(FlakyExtract(), LoadWorker()))
    with Client(tributary_dsn, config) as client, InlineRunner(tributary_dsn, config) as runner:
        workflow_id = (
            client.new_workflow("etl")
            .add_task("extract", Extract(source="flaky.csv"), insert_opts=InsertOpts(max_attempts=2))
            .execute()
        )
        with pytest.raises(InlineRunFailed) as failed:
            runner.run(workflow_id)

    message = str(failed.value)
    assert f"workflow {workflow_id} " in message
    assert "step extract (extract) discarded at attempt 2: source unreachable (attempt 2)" in message
