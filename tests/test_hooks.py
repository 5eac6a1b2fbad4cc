"""Hooks: their order around insert and work, the logging hook and the metrics hook."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tributary import Client, InsertOpts, LoggingHook, MetricsHook, Step, StepArgs, Worker
from tributary.hooks import Hook, TaskPayload, WorkPayload


class Greet(StepArgs):
    kind = "greet"
    name: str


class GreetWorker(Worker[Greet]):
    def work(self, step: Step[Greet]) -> str:
        if step.args.name == "nobody":
            raise ValueError("nobody to greet")
        return f"hello {step.args.name}"


class Recorder(Hook):
    """Records each call, tagged, and adds its tag to args and results to show the order."""

    def __init__(self, tag: str, calls: list[str]) -> None:
        self.tag = tag
        self.calls = calls

    def before_insert(self, task: TaskPayload) -> None:
        self.calls.append(f"{self.tag}.before_insert")
        task.args = {**task.args, "name": task.args["name"] + self.tag}

    def before_work(self, work: WorkPayload) -> None:
        self.calls.append(f"{self.tag}.before_work")

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        self.calls.append(f"{self.tag}.after_work")
        work.result = f"{work.result}{self.tag}"


def test_hooks_run_in_order_before_and_in_reverse_order_after(dsn: str) -> None:
    calls: list[str] = []
    hooks: list[Hook] = [Recorder("1", calls), Recorder("2", calls)]
    with Client(dsn, fast_config(GreetWorker(), hooks=hooks)) as client, started(client):
        workflow_id = client.new_workflow("hooks").add_task("greet", Greet(name="ada")).execute()
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert calls == ["1.before_insert", "2.before_insert", "1.before_work", "2.before_work",
                     "2.after_work", "1.after_work"]  # fmt: skip
    # Args were changed by hook 1 then hook 2; the result by hook 2 then hook 1.
    assert result.result("greet") == "hello ada1221"


def test_logging_and_metrics_hooks_see_every_step(dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    metrics = MetricsHook()
    hooks: list[Hook] = [LoggingHook(), metrics]
    config = fast_config(GreetWorker(), hooks=hooks)
    retry_once = InsertOpts(max_attempts=2, retry_backoff=timedelta(milliseconds=10))
    with caplog.at_level(logging.INFO, logger="tributary.hooks"), Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("observed")
            .add_task("ok", Greet(name="ada"))
            .add_task("fails", Greet(name="nobody"), insert_opts=retry_once)
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "failed"
    assert metrics.started == {"greet": 3}
    assert metrics.completed == {"greet": 1}
    assert metrics.failed == {"greet": 2}
    assert metrics.seconds["greet"] >= 0
    messages = [record.getMessage() for record in caplog.records if record.name == "tributary.hooks"]
    assert sum("started" in m for m in messages) == 3
    assert any(m.startswith(f"workflow {workflow_id} step ") and "ok (greet) attempt 1 done in" in m for m in messages)
    assert sum("failed in" in m and "nobody to greet" in m for m in messages) == 2
    records = [
        r
        for r in caplog.records
        if r.name in ("tributary.hooks", "tributary.runtime") and r.getMessage().startswith("workflow ")
    ]
    for field in ("workflow_id", "step_id", "task", "kind", "attempt"):
        assert all(hasattr(r, field) for r in records), field
