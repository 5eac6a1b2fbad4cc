"""What the worker runtime does when a step cannot run or its handler fails.

Each test runs a real client (runtime thread, real database) and asserts what the engine
recorded: step state, attempt count, the per-attempt error history and the workflow's state,
and that the runtime keeps working afterwards.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from tests.client_helpers import (
    WAIT_SECONDS,
    Conn,
    fast_config,
    runtime_alive,
    started,
    step_rows,
)
from tributary import Client, Discard, InsertOpts, QueueConfig, Step, StepArgs, Worker

QUICK_BACKOFF = timedelta(milliseconds=20)


class Echo(StepArgs):
    kind = "echo"
    text: str = "hi"


class EchoWorker(Worker[Echo]):
    def work(self, step: Step[Echo]) -> str:
        return step.args.text


class Orphan(StepArgs):
    """A step type no worker is registered for."""

    kind = "orphan"


class Count(StepArgs):
    kind = "count"
    n: int


class CountWorker(Worker[Count]):
    def work(self, step: Step[Count]) -> int:
        return step.args.n


def test_unknown_kind_is_handed_back_then_discarded_and_the_worker_keeps_running(dsn: str, conn: Conn) -> None:
    # Handed back for another process until the grace passes (tests/test_hand_back.py has more).
    conn.execute(
        "UPDATE tributary.settings SET hand_back_delay = '50 milliseconds', hand_back_grace = '300 milliseconds'"
    )
    with Client(dsn, fast_config(EchoWorker())) as client, started(client):
        orphan_id = client.new_workflow("orphan").add_task("lost", Orphan()).execute()
        result = client.wait(orphan_id, timeout=WAIT_SECONDS)
        assert result.state == "failed"
        step = result.steps["lost"]
        assert step.state == "discarded"
        assert step.attempt > 1
        assert len(step.errors) == 1
        assert step.errors[0]["message"].startswith('no worker process could run kind "orphan" (task "lost")')
        assert 'no worker is registered for kind "orphan"' in step.errors[0]["last_error"]
        assert step.errors[0]["type"] == "UnknownKind"
        assert step.errors[0]["reason"] == "unknown_kind"
        assert step.errors[0]["retryable"] is False

        assert runtime_alive(client)
        later_id = client.new_workflow("later").add_task("echo", Echo(text="still here")).execute()
        later = client.wait(later_id, timeout=WAIT_SECONDS)
        assert later.state == "completed"
        assert later.steps["echo"].result == "still here"


def test_args_failing_validation_are_discarded_with_a_clear_message(dsn: str, conn: Conn) -> None:
    # Written by a plain SQL caller, so nothing validated the args on the way in.
    row = conn.execute(
        "SELECT tributary.create_workflow('bad-args', %s)",
        (Jsonb([{"name": "counter", "kind": "count", "args": {"n": "not a number"}}]),),
    ).fetchone()
    assert row is not None
    workflow_id = int(row[0])
    with Client(dsn, fast_config(CountWorker())) as client, started(client):
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        assert runtime_alive(client)
    step = result.steps["counter"]
    assert (result.state, step.state, step.attempt) == ("failed", "discarded", 1)
    message = step.errors[0]["message"]
    assert 'args of task "counter" do not validate as Count' in message
    assert "n\n" in message  # pydantic names the field
    assert "not a number" in message
    assert step.errors[0]["type"] == "ArgsDecodeError"


class Flaky(StepArgs):
    kind = "flaky"
    failures: int


class FlakyWorker(Worker[Flaky]):
    def work(self, step: Step[Flaky]) -> str:
        if step.attempt <= step.args.failures:
            raise ValueError(f"boom on attempt {step.attempt}")
        return f"ok on attempt {step.attempt}"


def test_handler_exception_is_retried_with_each_attempt_recorded(dsn: str) -> None:
    with Client(dsn, fast_config(FlakyWorker())) as client, started(client):
        workflow_id = (
            client.new_workflow("flaky")
            .add_task("flaky", Flaky(failures=2), insert_opts=InsertOpts(max_attempts=5, retry_backoff=QUICK_BACKOFF))
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    step = result.steps["flaky"]
    assert (result.state, step.state, step.attempt, step.result) == ("completed", "completed", 3, "ok on attempt 3")
    assert [e["attempt"] for e in step.errors] == [1, 2]
    for number, error in enumerate(step.errors, start=1):
        assert error["message"] == f"boom on attempt {number}"
        assert error["type"] == "ValueError"
        assert error["retryable"] is True
        assert "Traceback (most recent call last)" in error["traceback"]
        assert f"ValueError: boom on attempt {number}" in error["traceback"]
        assert "in work" in error["traceback"]


def test_retries_stop_at_max_attempts(dsn: str) -> None:
    with Client(dsn, fast_config(FlakyWorker())) as client, started(client):
        workflow_id = (
            client.new_workflow("flaky")
            .add_task("flaky", Flaky(failures=9), insert_opts=InsertOpts(max_attempts=2, retry_backoff=QUICK_BACKOFF))
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    step = result.steps["flaky"]
    assert (result.state, step.state, step.attempt) == ("failed", "discarded", 2)
    assert [e["message"] for e in step.errors] == ["boom on attempt 1", "boom on attempt 2"]


class Refuse(StepArgs):
    kind = "refuse"


class RefuseWorker(Worker[Refuse]):
    def __init__(self) -> None:
        self.calls = 0

    def work(self, step: Step[Refuse]) -> None:
        self.calls += 1
        raise Discard("input is malformed, retrying will not help")


def test_discard_fails_at_once_and_cancels_downstream(dsn: str) -> None:
    refuse = RefuseWorker()
    with Client(dsn, fast_config(refuse, EchoWorker())) as client, started(client):
        workflow_id = (
            client.new_workflow("discard")
            .add_task("refuse", Refuse(), insert_opts=InsertOpts(max_attempts=5))
            .add_task("next", Echo(), depends_on=["refuse"])
            .add_task("last", Echo(), depends_on=["next"])
            .add_task("independent", Echo(text="unaffected"))
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "failed"
    refused = result.steps["refuse"]
    assert (refused.state, refused.attempt, refuse.calls) == ("discarded", 1, 1)
    assert refused.errors[0]["message"] == "input is malformed, retrying will not help"
    assert refused.errors[0]["type"] == "Discard"
    assert refused.errors[0]["retryable"] is False
    for name in ("next", "last"):
        assert result.steps[name].state == "cancelled"
        assert result.steps[name].attempt == 0
        assert result.steps[name].cancel_reason is not None
    assert result.steps["next"].cancel_reason == 'upstream step "refuse" was discarded'
    assert result.steps["independent"].state == "completed"


class Stamp(StepArgs):
    kind = "stamp"


class Measured(BaseModel):
    value: float


NOT_JSON: dict[str, object] = {
    "datetime": {"at": datetime.now(UTC)},  # a datetime is not JSON
    "nan-in-a-model": Measured(value=float("nan")),  # model_dump(mode="json") keeps NaN
    "infinity": [float("inf")],
}


class StampWorker(Worker[Stamp]):
    def __init__(self, result: object) -> None:
        self.result = result

    def work(self, step: Step[Stamp]) -> object:
        return self.result


@pytest.mark.parametrize("result", list(NOT_JSON), ids=list(NOT_JSON))
def test_a_result_that_is_not_json_fails_the_step_and_the_worker_keeps_reporting(dsn: str, result: str) -> None:
    with Client(dsn, fast_config(StampWorker(NOT_JSON[result]), EchoWorker())) as client, started(client):
        stamp_id = client.new_workflow("stamp").add_task("stamp", Stamp()).execute()
        stamped = client.wait(stamp_id, timeout=WAIT_SECONDS)
        later_id = client.new_workflow("later").add_task("echo", Echo(text="reported")).execute()
        later = client.wait(later_id, timeout=WAIT_SECONDS)
    step = stamped.steps["stamp"]
    assert (stamped.state, step.state, step.attempt) == ("failed", "discarded", 1)
    assert step.errors[0]["type"] == "ResultEncodeError"
    assert "not JSON" in step.errors[0]["message"]
    assert (later.state, later.steps["echo"].result) == ("completed", "reported")


class Slow(StepArgs):
    kind = "slow"
    first_seconds: float


class SlowAsyncWorker(Worker[Slow]):
    def __init__(self) -> None:
        self.cancelled_attempts: list[int] = []

    async def work(self, step: Step[Slow]) -> str:
        try:
            await asyncio.sleep(step.args.first_seconds if step.attempt == 1 else 0.01)
        except asyncio.CancelledError:
            self.cancelled_attempts.append(step.attempt)
            raise
        return f"done on attempt {step.attempt}"


def test_async_handler_past_its_timeout_is_cancelled_then_retried(dsn: str) -> None:
    worker = SlowAsyncWorker()
    opts = InsertOpts(timeout=timedelta(seconds=0.3), retry_backoff=QUICK_BACKOFF)
    with Client(dsn, fast_config(worker)) as client, started(client):
        workflow_id = client.new_workflow("slow").add_task("slow", Slow(first_seconds=5), insert_opts=opts).execute()
        began = time.monotonic()
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        elapsed = time.monotonic() - began
    step = result.steps["slow"]
    assert (result.state, step.state, step.attempt, step.result) == ("completed", "completed", 2, "done on attempt 2")
    assert worker.cancelled_attempts == [1]
    assert len(step.errors) == 1
    assert step.errors[0]["reason"] == "timeout"
    assert step.errors[0]["attempt"] == 1
    assert "timed out after 0.3 s" in step.errors[0]["message"]
    assert elapsed < 3, "the timed-out attempt was not cut short"


class SlowSyncWorker(Worker[Slow]):
    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished_attempts: list[int] = []

    def work(self, step: Step[Slow]) -> str:
        if step.attempt == 1:
            self.release.wait(step.args.first_seconds)
        self.finished_attempts.append(step.attempt)
        return f"done on attempt {step.attempt}"


def test_sync_handler_past_its_timeout_is_abandoned_and_the_attempt_fails(dsn: str) -> None:
    worker = SlowSyncWorker()
    opts = InsertOpts(timeout=timedelta(seconds=0.3), retry_backoff=QUICK_BACKOFF)
    try:
        with Client(dsn, fast_config(worker)) as client, started(client):
            workflow_id = (
                client.new_workflow("slow").add_task("slow", Slow(first_seconds=5), insert_opts=opts).execute()
            )
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)
            # The abandoned first attempt is still blocked in its thread: the retry did not wait for it.
            assert worker.finished_attempts == [2]
    finally:
        worker.release.set()
    step = result.steps["slow"]
    assert (result.state, step.state, step.attempt, step.result) == ("completed", "completed", 2, "done on attempt 2")
    assert [(e["attempt"], e["reason"]) for e in step.errors] == [(1, "timeout")]


def test_sync_handler_timing_out_on_its_last_attempt_fails_the_workflow(dsn: str) -> None:
    worker = SlowSyncWorker()
    opts = InsertOpts(timeout=timedelta(seconds=0.3), max_attempts=1)
    try:
        with Client(dsn, fast_config(worker, EchoWorker())) as client, started(client):
            workflow_id = (
                client.new_workflow("slow")
                .add_task("slow", Slow(first_seconds=5), insert_opts=opts)
                .add_task("after", Echo(), depends_on=["slow"])
                .execute()
            )
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    finally:
        worker.release.set()
    assert result.state == "failed"
    assert (result.steps["slow"].state, result.steps["slow"].errors[0]["reason"]) == ("discarded", "timeout")
    assert result.steps["after"].state == "cancelled"


class Endless(StepArgs):
    kind = "endless"


class EndlessWorker(Worker[Endless]):
    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def work(self, step: Step[Endless]) -> None:
        self.started.set()
        try:
            await asyncio.sleep(WAIT_SECONDS * 3)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


def test_cancelling_a_workflow_cancels_its_running_handler(dsn: str, conn: Conn) -> None:
    worker = EndlessWorker()
    config = fast_config(worker, heartbeat_interval=timedelta(milliseconds=100))
    with Client(dsn, config) as client, started(client):
        workflow_id = client.new_workflow("endless").add_task("endless", Endless()).execute()
        assert worker.started.wait(WAIT_SECONDS), "the handler never started"
        assert client.cancel_workflow(workflow_id, "operator stopped it") is True
        assert worker.cancelled.wait(3), "the running handler was not cancelled"
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        assert runtime_alive(client)
    step = result.steps["endless"]
    assert (result.state, step.state, step.cancel_reason) == ("cancelled", "cancelled", "operator stopped it")
    assert step.attempt == 1
    assert step.errors == []
    # After the runtime stopped: no late result or failure reached the row.
    row = step_rows(conn, workflow_id)["endless"]
    assert (row["state"], row["result"], row["errors"]) == ("cancelled", None, [])


class OwnTimeout(StepArgs):
    kind = "own_timeout"


class SyncOwnTimeoutWorker(Worker[OwnTimeout]):
    def work(self, step: Step[OwnTimeout]) -> None:
        raise TimeoutError("the upstream API timed out")


class AsyncOwnTimeout(StepArgs):
    kind = "async_own_timeout"


class AsyncOwnTimeoutWorker(Worker[AsyncOwnTimeout]):
    async def work(self, step: Step[AsyncOwnTimeout]) -> None:
        raise TimeoutError("the upstream API timed out")


@pytest.mark.parametrize("timeout", [None, timedelta(seconds=30)], ids=["no-timeout", "30s-timeout"])
@pytest.mark.parametrize("args", [OwnTimeout(), AsyncOwnTimeout()], ids=["sync", "async"])
def test_a_timeout_error_the_handler_raises_is_recorded_as_itself(
    dsn: str, args: StepArgs, timeout: timedelta | None
) -> None:
    config = fast_config(SyncOwnTimeoutWorker(), AsyncOwnTimeoutWorker())
    with Client(dsn, config) as client, started(client):
        opts = InsertOpts(max_attempts=1, timeout=timeout)
        workflow_id = client.new_workflow("own").add_task("call", args, insert_opts=opts).execute()
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    (error,) = result.steps["call"].errors
    assert (error["type"], error["message"]) == ("TimeoutError", "the upstream API timed out")
    assert "reason" not in error


class Hang(StepArgs):
    kind = "hang"
    first_seconds: float


class HangWorker(Worker[Hang]):
    """Blocks its first attempt for ``first_seconds``; counts the attempts running at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.started_attempts: list[int] = []

    def work(self, step: Step[Hang]) -> str:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.started_attempts.append(step.attempt)
        try:
            if step.attempt == 1:
                time.sleep(step.args.first_seconds)
        finally:
            with self.lock:
                self.running -= 1
        return f"done on attempt {step.attempt}"


def test_a_timed_out_sync_handler_keeps_its_slot_until_its_thread_returns(dsn: str) -> None:
    worker = HangWorker()
    queues = {"default": QueueConfig(max_workers=1), "b": QueueConfig(max_workers=1)}
    with Client(dsn, fast_config(worker, EchoWorker(), queues=queues)) as client, started(client):
        hang = InsertOpts(timeout=timedelta(seconds=0.5), retry_backoff=QUICK_BACKOFF, max_attempts=3)
        workflow_id = (
            client.new_workflow("hang")
            .add_task("hang", Hang(first_seconds=2), insert_opts=hang)
            .add_task("other_queue", Echo(), insert_opts=InsertOpts(queue="b"))
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "completed", result
    assert worker.peak == 1  # attempt 2 waited for attempt 1's thread: max_workers=1 held
    assert worker.started_attempts == [1, 2]
    assert [(e["attempt"], e["reason"]) for e in result.steps["hang"].errors] == [(1, "timeout")]
    assert (result.steps["other_queue"].state, result.steps["other_queue"].attempt) == ("completed", 1)


POISON_ARGS = {
    "nested 3,000 deep": "repeat('[', 3000) || repeat(']', 3000)",
    "an integer of 5,000 digits": "repeat('9', 5000)",
}


@pytest.mark.parametrize("poison", list(POISON_ARGS), ids=["deep", "long-integer"])
def test_a_payload_python_cannot_decode_fails_its_own_step_and_the_queue_keeps_working(
    dsn: str, conn: Conn, poison: str
) -> None:
    args_sql = POISON_ARGS[poison]
    poisoned = conn.execute(
        'SELECT tributary.create_workflow(\'poison\', (\'[{"name": "p", "kind": "echo", "args": \''
        f" || {args_sql} || '}}]')::jsonb)"
    ).fetchone()
    assert poisoned is not None
    with Client(dsn, fast_config(EchoWorker(), claim_batch_size=10)) as client, started(client):
        # A plain step of the same queue, claimed in the same batch as the poison or right after.
        plain = client.new_workflow("plain").add_task("e", Echo(text="fine")).execute()
        assert client.wait(plain, timeout=WAIT_SECONDS).result("e") == "fine"
        result = client.wait(poisoned[0], timeout=WAIT_SECONDS)
        assert runtime_alive(client)
    step = result.steps["p"]
    assert (result.state, step.state, step.attempt) == ("failed", "discarded", 1)  # failed at once, not retried
    assert step.errors[0]["type"] == "ArgsDecodeError"
    assert 'a payload of task "p" cannot be decoded' in step.errors[0]["message"]
    # Readers are contained too: get_workflow marks the payload it cannot decode, nothing else.
    assert set(step.args) == {"$undecodable"}
