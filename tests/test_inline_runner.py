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


def test_maps_branches_and_limits_run_inline(tributary_dsn: str) -> None:
    """A map, a branch not taken, a join, and steps behind a rate limit of one start an hour and a
    concurrency limit of one: the runner moves its clock to each next token, as a worker waits."""
    with Client(tributary_dsn, CONFIG) as client, InlineRunner(tributary_dsn, CONFIG) as runner:
        client.set_rate_limit("queue", "limited", 1, timedelta(hours=1))
        client.set_concurrency_limit("key", "one-at-a-time", 1)
        limited = InsertOpts(queue="limited", concurrency_key="one-at-a-time")
        builder = client.new_workflow("limited")
        for i in range(3):
            builder.add_task(f"nap{i}", Nap(seconds=0), insert_opts=limited)
        workflow_id = builder.execute()
        start = runner.now

        result = runner.run(workflow_id)

        assert {step.state for step in result.steps.values()} == {"completed"}
        assert runner.now - start >= timedelta(hours=2)  # two tokens waited for, on the engine clock

        class Pick(StepArgs):
            kind = "inline_pick"
            element: float | None = None

        class PickWorker(Worker[Pick]):
            def work(self, step: Step[Pick]) -> dict[str, object]:
                return {"path": "a", "items": [0, 0.5]} if step.args.element is None else {"n": step.args.element}

        config = Config(workers=Workers(NapWorker(), PickWorker()))
        with InlineRunner(tributary_dsn, config) as branching:
            workflow_id = (
                client.new_workflow("branches")
                .add_task("pick", Pick())
                .add_task("each", Pick(), depends_on=["pick"], map_over="pick", map_path="items")
                .add_task("a", Nap(seconds=0), depends_on=["pick"], run_if={"pick": {"path": "a"}})
                .add_task("b", Nap(seconds=0), depends_on=["pick"], run_if={"pick": {"path": "b"}})
                .add_task("join", Nap(seconds=0), depends_on=["a", "b"], run_when="any_completed")
                .execute()
            )
            result = branching.run(workflow_id)
        assert result.result("each") == [{"n": 0}, {"n": 0.5}]
        assert (result.steps["a"].state, result.steps["b"].state, result.steps["join"].state) == (
            "completed",
            "skipped",
            "completed",
        )
