"""The inline runner of tributary.testing (the pytest plugin's tributary_runner), beyond the
quick start's tests in examples/test_quickstart.py: timeouts, stuck workflows, the clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
import pytest

from tributary import Client, Config, InsertOpts, Step, StepArgs, Worker, Workers
from tributary.testing.inline import InlineRunner, WorkflowStuck


class Nap(StepArgs):
    kind = "nap"
    seconds: float


class NapWorker(Worker[Nap]):
    async def work(self, step: Step[Nap]) -> str:
        await asyncio.sleep(step.args.seconds)
        return "rested"


CONFIG = Config(workers=Workers(NapWorker()))


def test_handlers_run_without_their_wall_clock_timeout(tributary_dsn: str) -> None:
    with Client(tributary_dsn, CONFIG) as client, InlineRunner(tributary_dsn, CONFIG) as runner:
        short = InsertOpts(timeout=timedelta(seconds=0.05))
        workflow_id = client.new_workflow("nap").add_task("nap", Nap(seconds=0.2), insert_opts=short).execute()
        assert runner.run(workflow_id).result("nap") == "rested"


def test_time_out_plays_an_attempt_that_never_answered(tributary_dsn: str) -> None:
    with Client(tributary_dsn, CONFIG) as client, InlineRunner(tributary_dsn, CONFIG) as runner:
        opts = InsertOpts(timeout=timedelta(seconds=10), max_attempts=2)  # shorter than the lease
        workflow_id = client.new_workflow("nap").add_task("nap", Nap(seconds=0), insert_opts=opts).execute()
        after = runner.time_out(workflow_id, "nap")
        assert [e["reason"] for e in after.steps["nap"].errors] == ["timeout"]
        assert runner.run(workflow_id).steps["nap"].attempt == 2


def test_a_workflow_held_elsewhere_is_stuck_not_waited_for(tributary_dsn: str) -> None:
    with Client(tributary_dsn, CONFIG) as client, InlineRunner(tributary_dsn, CONFIG) as runner:
        workflow_id = client.new_workflow("nap").add_task("nap", Nap(seconds=0)).execute()
        with psycopg.connect(tributary_dsn, autocommit=True) as other:
            other.execute("SELECT * FROM tributary.claim_step('default', 'someone-else', 1)")
            with pytest.raises(WorkflowStuck, match=f"workflow {workflow_id} cannot go on"):
                runner.run(workflow_id)
