"""step.start_workflow against a real database: a handler's workflows are created with its step's
completion (complete_steps_and_start), so they exist if and only if the step completes, once
however often the handler runs; a workflow the engine refuses fails that attempt. The engine's
rules (stale attempts, batches, privileges) are tested in pgTAP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from prometheus_client import CollectorRegistry
from psycopg.rows import TupleRow

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tributary import (
    Client,
    Config,
    EncryptHook,
    InsertOpts,
    SecretBoxEncryptor,
    Step,
    StepArgs,
    Worker,
    WorkflowSpec,
)
from tributary.encryption import is_sealed
from tributary.hooks import Hook, RuntimeEvent
from tributary.metrics import PrometheusHook
from tributary.testing.inline import InlineRunner

Conn = psycopg.Connection[TupleRow]


class Hop(StepArgs):
    kind = "hop"
    left: int


class HopWorker(Worker[Hop]):
    """Starts the next hop of a chain of one-step workflows, with no idempotency key."""

    def work(self, step: Step[Hop]) -> int:
        if step.args.left > 0:
            step.start_workflow(
                WorkflowSpec(Config(), f"hop-{step.args.left - 1}").add_task("next", Hop(left=step.args.left - 1))
            )
        return step.args.left


class Flaky(StepArgs):
    kind = "flaky"


class FlakyWorker(Worker[Flaky]):
    """Starts a workflow, then raises in its first attempt; the second attempt returns."""

    def work(self, step: Step[Flaky]) -> str:
        step.start_workflow(WorkflowSpec(Config(), "started").add_task("next", Hop(left=0)))
        if step.attempt == 1:
            raise RuntimeError("after start_workflow")
        return "done"


class Invalid(StepArgs):
    kind = "invalid"


class InvalidWorker(Worker[Invalid]):
    def work(self, step: Step[Invalid]) -> None:
        step.start_workflow(WorkflowSpec(Config(), "broken").add_task("x", Hop(left=0), depends_on=["nope"]))


class NotJson(StepArgs):
    kind = "not_json"


class NotJsonWorker(Worker[NotJson]):
    def work(self, step: Step[NotJson]) -> None:
        step.start_workflow(
            WorkflowSpec(Config(), "dated", metadata={"at": datetime.now(UTC)}).add_task("n", Hop(left=0))
        )


class Both(StepArgs):
    kind = "both"


class BothWorker(Worker[Both]):
    def work(self, step: Step[Both]) -> None:
        step.start_workflow(WorkflowSpec(Config(), "started").add_task("next", Hop(left=0)))
        step.spawn(WorkflowSpec(Config(), "child").add_task("next", Hop(left=0)))


class Card(StepArgs):
    kind = "card"
    number: str
    forward: bool


class CardWorker(Worker[Card]):
    """Forwards the card to a started workflow built with the client's (encrypting) config."""

    def __init__(self, config: list[Config]) -> None:
        self.config = config

    def work(self, step: Step[Card]) -> str:
        if step.args.forward:
            following = WorkflowSpec(self.config[0], "forwarded")
            step.start_workflow(following.add_task("card", Card(number=step.args.number, forward=False)))
        return step.args.number[-4:]


class Past(StepArgs):
    kind = "past"
    scheduled: bool


class PastWorker(Worker[Past]):
    """Starts one workflow, scheduled in the past or not at all."""

    def work(self, step: Step[Past]) -> None:
        when = datetime(2000, 1, 1, tzinfo=UTC) if step.args.scheduled else None
        step.start_workflow(WorkflowSpec(Config(), "next", scheduled_at=when).add_task("next", Hop(left=0)))


class EventLog(Hook):
    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)


def wait_for(conn: Conn, query: str, expected: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while (found := conn.execute(query).fetchall()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {found}, expected {expected}")
        time.sleep(0.05)


def test_a_chain_started_by_handlers_starts_each_hop_once(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(HopWorker())) as client, started(client):
        first = client.new_workflow("hop-5").add_task("next", Hop(left=5)).execute()
        client.wait(first, timeout=WAIT_SECONDS)
        wait_for(
            conn,
            "SELECT count(*), bool_and(state = 'completed') FROM tributary.workflows",
            [(6, True)],
            "six hops completed",
        )
    names = conn.execute("SELECT name FROM tributary.workflows ORDER BY id").fetchall()
    assert names == [(f"hop-{left}",) for left in range(5, -1, -1)]
    # No hop ran twice.
    assert conn.execute("SELECT DISTINCT attempt FROM tributary.steps").fetchall() == [(1,)]


@pytest.mark.parametrize("scheduled", [False, True])
def test_the_started_first_step_is_claimed_by_the_completing_call(dsn: str, conn: Conn, scheduled: bool) -> None:
    # A slow poll: only the completion's own claim takes the step at once.
    config = fast_config(PastWorker(), HopWorker(), fetch_poll_interval=timedelta(seconds=30))
    with Client(dsn, config) as client, started(client):
        workflow_id = client.new_workflow("past").add_task("p", Past(scheduled=scheduled)).execute()
        client.wait(workflow_id, timeout=WAIT_SECONDS)
        wait_for(conn, "SELECT state FROM tributary.workflows WHERE name = 'next'", [("completed",)], "started ran")
    # Claimed in the transaction that completed the starting step: the same transaction time.
    same = conn.execute(
        "SELECT n.attempted_at = p.finalized_at FROM tributary.steps AS p, tributary.steps AS n"
        " WHERE p.task_name = 'p' AND n.task_name = 'next'"
    ).fetchone()
    assert same == (True,)


def test_a_failed_attempt_starts_nothing_and_the_completing_attempt_starts_once(dsn: str, conn: Conn) -> None:
    config = fast_config(FlakyWorker(), HopWorker(), retry_backoff=timedelta(0))
    with Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("flaky").add_task("f", Flaky(), insert_opts=InsertOpts(max_attempts=2)).execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        assert result.steps["f"].attempt == 2
        wait_for(
            conn,
            "SELECT name, state FROM tributary.workflows WHERE name = 'started'",
            [("started", "completed")],
            "the started workflow ran",
        )
    assert conn.execute("SELECT count(*) FROM tributary.workflows WHERE name = 'started'").fetchone() == (1,)


def test_a_workflow_the_engine_refuses_fails_the_attempt(dsn: str, conn: Conn) -> None:
    log = EventLog()
    registry = CollectorRegistry()
    hooks: list[Hook] = [log, PrometheusHook(registry)]
    with Client(dsn, fast_config(InvalidWorker(), hooks=hooks)) as client, started(client):
        workflow_id = (
            client.new_workflow("refused").add_task("i", Invalid(), insert_opts=InsertOpts(max_attempts=1)).execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    step = result.steps["i"]
    assert (result.state, step.state) == ("failed", "discarded")
    assert (
        step.errors[-1]["message"]
        == 'a workflow this step starts cannot be created: task "x" depends on unknown task "nope"'
    )
    assert (step.errors[-1]["sqlstate"], step.errors[-1]["reason"]) == ("TB002", "start_workflows")
    assert conn.execute("SELECT count(*) FROM tributary.workflows WHERE name = 'broken'").fetchone() == (0,)
    assert [e.step_id for e in log.events if e.name == "start_failed"] == [step.id]
    labels = {"queue": "default", "kind": "invalid"}
    assert registry.get_sample_value("tributary_workflow_starts_refused_total", labels) == 1


def test_a_workflow_that_is_not_json_fails_its_own_attempt_only(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(NotJsonWorker(), HopWorker())) as client, started(client):
        workflow_id = (
            client.new_workflow("mixed")
            .add_task("bad", NotJson(), insert_opts=InsertOpts(max_attempts=1))
            .add_task("good", Hop(left=1))
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert (result.steps["bad"].state, result.steps["good"].state) == ("discarded", "completed")
    assert result.steps["bad"].errors[-1]["message"].startswith('workflow "dated" cannot be sent as JSON:')
    assert conn.execute("SELECT name FROM tributary.workflows ORDER BY id").fetchall() == [("mixed",), ("hop-0",)]


def test_start_workflow_and_spawn_refuse_each_other(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(BothWorker())) as client, started(client):
        workflow_id = (
            client.new_workflow("both").add_task("b", Both(), insert_opts=InsertOpts(max_attempts=1)).execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.steps["b"].errors[-1]["message"] == (
        "a step that starts workflows when it completes cannot spawn a child workflow"
    )
    assert conn.execute("SELECT count(*) FROM tributary.workflows").fetchone() == (1,)


def test_the_inline_runner_starts_workflows_with_the_completion(tributary_dsn: str) -> None:
    config = Config(workers=fast_config(HopWorker()).workers)
    with Client(tributary_dsn, config) as client, InlineRunner(tributary_dsn, config) as runner:
        first = client.new_workflow("hop-1").add_task("next", Hop(left=1)).execute()
        assert runner.run(first).result("next") == 1
        with psycopg.connect(tributary_dsn) as conn:
            started_id = conn.execute("SELECT id FROM tributary.workflows WHERE name = 'hop-0'").fetchone()
        assert started_id is not None
        assert runner.run(started_id[0]).result("next") == 0


@pytest.mark.parametrize("spawn_first", [True, False])
def test_step_refuses_start_workflow_with_spawn_in_either_order(spawn_first: bool) -> None:
    step: Step[Hop] = Step(
        id=1, workflow_id=1, task_name="t", kind="hop", args=Hop(left=0), attempt=1, max_attempts=1, queue="q"
    )
    workflow = WorkflowSpec(Config(), "w").add_task("n", Hop(left=0))
    first, second = (step.spawn, step.start_workflow) if spawn_first else (step.start_workflow, step.spawn)
    first(workflow)
    with pytest.raises(ValueError, match="cannot"):
        second(workflow)


def test_started_workflows_args_are_sealed_with_an_encrypt_hook(dsn: str, conn: Conn) -> None:
    holder: list[Config] = []
    config = fast_config(CardWorker(holder), hooks=[EncryptHook(SecretBoxEncryptor(b"k" * 32))])
    holder.append(config)
    with Client(dsn, config) as client, started(client):
        client.new_workflow("card").add_task("card", Card(number="4111-1111-1111-1234", forward=True)).execute()
        wait_for(
            conn,
            "SELECT name, state FROM tributary.workflows WHERE name = 'forwarded'",
            [("forwarded", "completed")],
            "the started workflow ran",
        )
        forwarded = conn.execute("SELECT id FROM tributary.workflows WHERE name = 'forwarded'").fetchone()
        assert forwarded is not None
        assert client.get_workflow(forwarded[0]).result("card") == "1234"
    args = conn.execute(
        "SELECT s.args FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id"
        " WHERE w.name = 'forwarded'"
    ).fetchone()
    assert args is not None
    assert is_sealed(args[0])
    assert "4111" not in str(args[0])
