"""The client API: creating workflows (validation, transactions, idempotency), waiting for them,
dependency results as typed values and bytes, and cancel/retry."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.client_helpers import (
    WAIT_SECONDS,
    Conn,
    count_rows,
    fast_config,
    started,
    step_rows,
    wait_until,
    workflow_state,
)
from tests.fix_database import Connect
from tributary import (
    AsyncClient,
    Client,
    Config,
    ConfigError,
    CycleDetected,
    DependencyNotFound,
    DuplicateTaskName,
    EmptyWorkflow,
    InsertOpts,
    InvalidTask,
    QueueConfig,
    Step,
    StepArgs,
    UnknownDependency,
    WaitTimeout,
    Worker,
    Workers,
    WorkflowBuilder,
    WorkflowResult,
    WorkflowValidationError,
    migrate,
)
from tributary.errors import ResultEncodeError, WorkflowNotFound
from tributary.payload import to_json


class Add(StepArgs):
    kind = "add"
    value: int


class AddWorker(Worker[Add]):
    """Adds its value to the sum of its dependencies' results."""

    def work(self, step: Step[Add]) -> int:
        return step.args.value + sum(step.dependency(name, int) for name in step.dependency_results)


def diamond(client: Client, **workflow_options: Any) -> WorkflowBuilder:
    return (
        client.new_workflow("diamond", **workflow_options)
        .add_task("a", Add(value=1))
        .add_task("b", Add(value=10), depends_on=["a"])
        .add_task("c", Add(value=100), depends_on=["a"])
        .add_task("d", Add(value=1000), depends_on=["b", "c"])
    )


def test_execute_returns_the_new_workflows_id(dsn: str, conn: Conn) -> None:
    with Client(dsn, Config()) as client:
        workflow_id = diamond(client, metadata={"owner": "tests"}).execute()
    assert isinstance(workflow_id, int)
    row = conn.execute(
        "SELECT name, metadata, steps_total FROM tributary.workflows WHERE id = %s", (workflow_id,)
    ).fetchone()
    assert row == ("diamond", {"owner": "tests"}, 4)
    states = {name: r["state"] for name, r in step_rows(conn, workflow_id).items()}
    assert states == {"a": "available", "b": "pending", "c": "pending", "d": "pending"}


def cycle(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder.add_task("a", Add(value=1), depends_on=["b"]).add_task("b", Add(value=2), depends_on=["a"])


def self_loop(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder.add_task("loop", Add(value=1), depends_on=["loop"])


def unknown_dependency(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder.add_task("root", Add(value=1)).add_task("child", Add(value=2), depends_on=["ghost"])


def duplicate(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder.add_task("twin", Add(value=1)).add_task("twin", Add(value=2))


def empty(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder


def invalid_option(builder: WorkflowBuilder) -> WorkflowBuilder:
    return builder.add_task("ok", Add(value=1)).add_task("zero", Add(value=2), insert_opts=InsertOpts(max_attempts=0))


@pytest.mark.parametrize(
    ("build", "error", "names"),
    [
        (cycle, CycleDetected, ['"a"', "b"]),
        (self_loop, CycleDetected, ['"loop"']),
        (unknown_dependency, UnknownDependency, ['"child"', '"ghost"']),
        (duplicate, DuplicateTaskName, ['"twin"']),
        (empty, EmptyWorkflow, ['"refused"']),
        (invalid_option, InvalidTask, ['"zero"', "max_attempts"]),
    ],
    ids=["cycle", "self-loop", "unknown-dependency", "duplicate-name", "empty", "invalid-option"],
)
def test_validation_errors_name_the_task_and_leave_nothing(
    dsn: str,
    conn: Conn,
    build: Any,
    error: type[WorkflowValidationError],
    names: list[str],
) -> None:
    with Client(dsn, Config()) as client, pytest.raises(error) as raised:
        build(client.new_workflow("refused")).execute()
    message = str(raised.value)
    for name in names:
        assert name in message
    assert count_rows(conn) == (0, 0)


def test_execute_in_the_callers_transaction(dsn: str, conn: Conn, connect: Connect) -> None:
    caller = connect(autocommit=False)
    with Client(dsn, Config()) as client:
        rolled_back = diamond(client).execute(conn=caller)
        assert count_rows(conn) == (0, 0), "visible before the caller committed"
        caller.rollback()
        assert count_rows(conn) == (0, 0)
        with pytest.raises(WorkflowNotFound):
            client.get_workflow(rolled_back)

        committed = diamond(client).execute(conn=caller)
        assert count_rows(conn) == (0, 0)
        caller.commit()
    assert count_rows(conn) == (1, 4)
    assert workflow_state(conn, committed) == "running"
    assert step_rows(conn, committed)["a"]["state"] == "available"


def test_idempotency_key_returns_the_same_workflow(dsn: str, conn: Conn) -> None:
    with Client(dsn, Config()) as client:
        first = diamond(client, idempotency_key="order-17").execute()
        second = diamond(client, idempotency_key="order-17").execute()
        other = diamond(client, idempotency_key="order-18").execute()
    assert first == second
    assert other != first
    assert count_rows(conn) == (2, 8)


def test_wait_returns_the_completed_results(dsn: str) -> None:
    with Client(dsn, fast_config(AddWorker())) as client, started(client):
        workflow_id = diamond(client).execute()
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert isinstance(result, WorkflowResult)
    assert (result.id, result.name, result.state, result.finished) == (workflow_id, "diamond", "completed", True)
    assert result.finalized_at is not None
    assert {name: s.result for name, s in result.steps.items()} == {"a": 1, "b": 11, "c": 101, "d": 1112}
    assert result.result("d", int) == 1112
    assert all(s.state == "completed" and s.attempt == 1 and s.errors == [] for s in result.steps.values())


def test_wait_times_out_on_a_workflow_nobody_works(dsn: str) -> None:
    with Client(dsn, Config()) as client:
        workflow_id = diamond(client).execute()
        began = time.monotonic()
        with pytest.raises(WaitTimeout, match=f"workflow {workflow_id} still running") as raised:
            client.wait(workflow_id, timeout=0.5)
        elapsed = time.monotonic() - began
    assert isinstance(raised.value, TimeoutError)
    assert 0.5 <= elapsed < 2
    assert "no live worker process serves queue default (1 ready)" in str(raised.value)


def waiter_is_listening(observer: Conn) -> bool:
    """True once another session has LISTENed and read the workflow (its state, or before that
    read existed its document), so it now waits."""
    row = observer.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state = 'idle'"
        " AND (query LIKE '%%tributary.workflow_progress%%' OR query LIKE '%%tributary.get_workflow%%')"
    ).fetchone()
    return row is not None and int(row[0]) > 0


def test_wait_wakes_on_the_finalize_notification(dsn: str, conn: Conn) -> None:
    """Steps are completed by plain SQL; wait() must return well before its 5 s re-check."""
    outcome: dict[str, Any] = {}

    def wait_in_thread(client: Client, workflow_id: int) -> None:
        try:
            outcome["result"] = client.wait(workflow_id, timeout=WAIT_SECONDS)
        except BaseException as error:
            outcome["error"] = error
        outcome["returned_at"] = time.monotonic()

    with Client(dsn, Config()) as client:
        workflow_id = (
            client.new_workflow("by hand").add_task("a", Add(value=1)).add_task("b", Add(value=2), depends_on=["a"])
        ).execute()
        waiter = threading.Thread(target=wait_in_thread, args=(client, workflow_id), daemon=True)
        waiter.start()
        try:
            wait_until(lambda: waiter_is_listening(conn), "the waiter to LISTEN")
            time.sleep(0.2)  # well inside the waiter's first 5 s slice
            for expected, result in (("a", 1), ("b", 3)):
                claimed = conn.execute(
                    "SELECT step_id, task_name, attempt FROM tributary.claim_step('default', 'by-hand', 1)"
                ).fetchall()
                assert [r[1] for r in claimed] == [expected]
                conn.execute(
                    "SELECT tributary.complete_step(%s, %s, %s)", (claimed[0][0], claimed[0][2], Jsonb(result))
                )
            completed_at = time.monotonic()
        finally:
            waiter.join(WAIT_SECONDS)
    assert not waiter.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].state == "completed"
    assert outcome["result"].steps["b"].result == 3
    assert outcome["returned_at"] - completed_at < 1.0


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_wait_reads_the_whole_workflow_once(dsn: str, conn: Conn, flavour: str) -> None:
    """While the workflow runs, each wake-up of wait() reads its state alone; get_workflow (the
    document of every step) runs once, when the workflow has finished. Client and AsyncClient."""
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper").fetchone() is None:
        pytest.skip("counting function calls (track_functions) is a superuser setting")
    conn.execute(f"ALTER DATABASE {conn.info.dbname} SET track_functions = 'pl'")  # the waiter's new session
    outcome: dict[str, Any] = {}

    async def wait_async(workflow_id: int) -> WorkflowResult:
        async with AsyncClient(dsn, Config()) as client:
            return await client.wait(workflow_id, timeout=WAIT_SECONDS)

    def wait_in_thread(client: Client, workflow_id: int) -> None:
        try:
            if flavour == "sync":
                outcome["result"] = client.wait(workflow_id, timeout=WAIT_SECONDS)
            else:
                outcome["result"] = asyncio.run(wait_async(workflow_id))
        except BaseException as error:
            outcome["error"] = error

    with Client(dsn, Config()) as client:
        workflow_id = client.new_workflow("by hand").add_task("a", Add(value=1)).execute()
        waiter = threading.Thread(target=wait_in_thread, args=(client, workflow_id), daemon=True)
        waiter.start()
        try:
            wait_until(lambda: waiter_is_listening(conn), "the waiter to LISTEN")
            for _ in range(3):  # wake-ups for the workflow while it still runs
                note = json.dumps({"workflow_id": workflow_id})
                conn.execute("SELECT pg_notify('tributary_workflow_finalized', %s)", (note,))
                time.sleep(0.1)
            claimed = conn.execute(
                "SELECT step_id, attempt FROM tributary.claim_step('default', 'by-hand', 1)"
            ).fetchone()
            assert claimed is not None
            conn.execute("SELECT tributary.complete_step(%s, %s, '1')", claimed)
        finally:
            waiter.join(WAIT_SECONDS)
    assert not waiter.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].state == "completed"

    def calls(function: str) -> int:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT calls FROM pg_stat_user_functions WHERE schemaname = 'tributary' AND funcname = %s", (function,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    # The waiter's session reports its counts when it ends, just after wait() returned (or after
    # a second idle): once no other session is left, the counts are complete.
    wait_until(lambda: other_sessions(conn) == 0, "the waiter's session to end")
    wait_until(lambda: calls("get_workflow") > 0, "the waiter's function counts")
    time.sleep(0.2)
    assert calls("get_workflow") == 1


def other_sessions(observer: Conn) -> int:
    """Sessions of the test's database other than ``observer``'s."""
    row = observer.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_wait_for_an_unknown_workflow_raises_workflow_not_found(dsn: str) -> None:
    with Client(dsn, Config()) as client, pytest.raises(WorkflowNotFound, match="workflow 424242 does not exist"):
        client.wait(424242, timeout=1)


class Lookup(StepArgs):
    kind = "lookup"


class LookupWorker(Worker[Lookup]):
    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def work(self, step: Step[Lookup]) -> str:
        try:
            step.dependency("unknown")
        except DependencyNotFound as error:
            self.errors.append(error)
        return "looked"


def test_dependency_of_an_unknown_name_raises_naming_the_known_ones(dsn: str) -> None:
    lookup = LookupWorker()
    with Client(dsn, fast_config(AddWorker(), lookup)) as client, started(client):
        workflow_id = (
            client.new_workflow("lookup")
            .add_task("first", Add(value=1))
            .add_task("second", Add(value=2))
            .add_task("look", Lookup(), depends_on=["second", "first"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "completed"
    assert len(lookup.errors) == 1
    error = lookup.errors[0]
    assert isinstance(error, KeyError)
    assert str(error) == 'task "look" has no dependency "unknown" (its dependencies: first, second)'


RAW = b"\x00\xffnot json\x80"
JSON_DOC = {"items": [1, 2], "ok": True}


class Emit(StepArgs):
    kind = "emit"
    raw: bool


class EmitWorker(Worker[Emit]):
    def work(self, step: Step[Emit]) -> bytes:
        return RAW if step.args.raw else json.dumps(JSON_DOC).encode()


class Collect(StepArgs):
    kind = "collect"


class CollectWorker(Worker[Collect]):
    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def work(self, step: Step[Collect]) -> None:
        self.seen = {
            "raw": step.dependency("raw", bytes),
            "json_as_dict": step.dependency("json", dict),
            "json_as_bytes": step.dependency("json", bytes),
            "json_untyped": step.dependency("json"),
        }


def test_bytes_results_json_stays_json_and_other_bytes_round_trip(dsn: str, conn: Conn) -> None:
    collect = CollectWorker()
    with Client(dsn, fast_config(EmitWorker(), collect)) as client, started(client):
        workflow_id = (
            client.new_workflow("bytes")
            .add_task("json", Emit(raw=False))
            .add_task("raw", Emit(raw=True))
            .add_task("collect", Collect(), depends_on=["json", "raw"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "completed"

    rows = step_rows(conn, workflow_id)
    assert rows["json"]["result"] == JSON_DOC  # stored as a JSON document, readable from psql
    assert rows["raw"]["result"] == {"$bytes": base64.b64encode(RAW).decode("ascii")}
    assert collect.seen["raw"] == RAW
    assert collect.seen["json_as_dict"] == JSON_DOC
    assert json.loads(collect.seen["json_as_bytes"]) == JSON_DOC
    assert collect.seen["json_untyped"] == JSON_DOC
    assert result.result("raw", bytes) == RAW


def test_cancel_and_retry_through_the_client(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(AddWorker())) as client:
        workflow_id = diamond(client).execute()
        assert client.cancel_workflow(workflow_id, "not today") is True
        cancelled = client.get_workflow(workflow_id)
        assert cancelled.state == "cancelled"
        assert {s.state for s in cancelled.steps.values()} == {"cancelled"}
        assert {s.cancel_reason for s in cancelled.steps.values()} == {"not today"}
        assert client.cancel_workflow(workflow_id) is False, "cancelling twice changes nothing"

        assert client.retry_workflow(workflow_id) == 4
        assert workflow_state(conn, workflow_id) == "running"
        with started(client):
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        assert result.state == "completed"
        assert result.result("d") == 1112
        assert client.retry_workflow(workflow_id) == 0
        assert client.cancel_workflow(workflow_id) is False


def test_a_running_client_is_a_live_worker_process_until_it_stops(dsn: str, conn: Conn) -> None:
    config = Config(queues={"default": QueueConfig(max_workers=2)}, workers=Workers(AddWorker()), worker_id="proc-1")
    with Client(dsn, config) as client:
        client.start()
        rows = conn.execute(
            "SELECT worker_id, pid, queues, kinds, live FROM tributary.worker_process_status"
        ).fetchall()
        assert rows == [("proc-1", os.getpid(), ["default"], ["add"], True)]
        workflow_id = client.new_workflow("served").add_task("a", Add(value=1)).execute()
        assert client.wait(workflow_id, timeout=10).state == "completed"
        client.stop()
    assert conn.execute("SELECT count(*) FROM tributary.worker_processes").fetchone() == (0,)


def test_workers_refuse_to_start_on_a_schema_older_than_the_package(dsn: str) -> None:
    migrate.down(dsn, to="functions/now")  # back before the worker-process registry
    config = Config(queues={"default": QueueConfig(max_workers=1)}, workers=Workers(AddWorker()))
    with Client(dsn, config) as client, pytest.raises(ConfigError, match=r"older than this package.*migrate up"):
        client.start()


def test_workers_refuse_to_start_on_a_schema_without_a_function_they_call(dsn: str) -> None:
    migrate.down(dsn, to="grants/flow_limits")  # back before complete_steps_and_claim
    config = Config(queues={"default": QueueConfig(max_workers=1)}, workers=Workers(AddWorker()))
    with (
        Client(dsn, config) as client,
        pytest.raises(ConfigError, match=r"older than this package \(missing tributary\.complete_steps_and_claim"),
    ):
        client.start()


def test_bytes_that_are_not_json_to_postgresql_round_trip_as_bytes(dsn: str, conn: Conn) -> None:
    # Python's json accepts NaN and Infinity, jsonb does not: such bytes are stored as bytes.
    assert to_json(b"NaN") == {"$bytes": "TmFO"}
    assert to_json(b'{"a": Infinity}') == {"$bytes": "eyJhIjogSW5maW5pdHl9"}
    with pytest.raises(ResultEncodeError):
        to_json([float("nan")])
