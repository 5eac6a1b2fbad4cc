"""Durable waits, sleeps and child workflows under real concurrency, and from the Python API.

The races of issue 10: an event sent while the wait for it is being created (both orders), a
cancel while a child workflow is being created, a timer firing while an event is delivered (both
orders), two maintenance passes waking the same steps. Each side runs on its own connection;
a side that must wait for the other is checked to block on a lock (pg_stat_activity) first.
Then the Python surface: add_wait/add_sleep, send_event, step.spawn with running workers.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.client_helpers import fast_config, started
from tests.engine_helpers import (
    Conn,
    backend_pid,
    claim,
    create_workflow,
    fast_deadlock_detection,
    run_in_threads,
    step_ids,
    task,
    wait_until_blocked,
)
from tests.fix_database import Connect
from tributary import AsyncClient, Client, QueueConfig, Step, StepArgs, Worker
from tributary.errors import EventWorkflowFinished, EventWorkflowNotFound, InvalidEvent, InvalidWait
from tributary.testing.inline import InlineRunner, WorkflowStuck

CLOCK = datetime.fromisoformat("2030-01-01T00:00:00+00:00")


def set_clock(conn: Conn, at: datetime) -> None:
    conn.execute("SELECT tributary_test.set_now(%s)", (at,))


def step_row(conn: Conn, step_id: int) -> tuple[str, Any]:
    row = conn.execute("SELECT state, result FROM tributary.steps WHERE id = %s", (step_id,)).fetchone()
    assert row is not None
    return str(row[0]), row[1]


def send_event(conn: Conn, event: str, payload: Any, *, workflow_id: int | None = None, key: str | None = None) -> Any:
    row = conn.execute(
        "SELECT tributary.send_event(%s, %s, p_workflow_id => %s, p_key => %s)",
        (event, Jsonb(payload), workflow_id, key),
    ).fetchone()
    assert row is not None
    return row[0]


def stored_events(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM tributary.events").fetchone()
    assert row is not None
    return int(row[0])


def wake(conn: Conn) -> int:
    row = conn.execute("SELECT tributary.wake_due_steps()").fetchone()
    assert row is not None
    return int(row[0])


# -- an event sent while the wait is being created -----------------------------------------------
def test_an_event_sent_before_the_wait_commits_is_taken_at_commit(connect: Connect) -> None:
    creator, sender, observer = connect(autocommit=False), connect(), connect()
    workflow_id = create_workflow(creator, "order", [{"name": "pay", "wait_for": {"event": "paid", "key": "o:1"}}])
    # The wait is not committed: the sender cannot see it, so it keeps the event.
    assert send_event(sender, "paid", {"amount": 3}, key="o:1") is None
    creator.commit()  # the wait begins at COMMIT and takes the event kept a moment ago
    pay = step_ids(observer, workflow_id)["pay"]
    assert step_row(observer, pay) == ("completed", {"amount": 3})
    assert stored_events(observer) == 0


def test_an_event_sent_while_the_wait_commits_waits_for_it_and_completes_it(connect: Connect) -> None:
    creator, sender, observer = connect(autocommit=False), connect(), connect()
    workflow_id = create_workflow(creator, "order", [{"name": "pay", "wait_for": {"event": "paid", "key": "o:2"}}])
    creator.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the COMMIT-time check ran: no event, lock held
    answer: list[Any] = []
    sender_pid = backend_pid(sender)
    thread = threading.Thread(target=lambda: answer.append(send_event(sender, "paid", {"amount": 4}, key="o:2")))
    thread.start()
    wait_until_blocked(observer, sender_pid)  # on the event's lock, until the wait commits
    creator.commit()
    thread.join(timeout=10)
    pay = step_ids(observer, workflow_id)["pay"]
    assert answer == [pay], "the sender saw the committed wait and completed it"
    assert step_row(observer, pay) == ("completed", {"amount": 4})
    assert stored_events(observer) == 0


# -- cancel while a child is being created -------------------------------------------------------
def test_a_cancel_during_a_spawn_cancels_the_child_it_waited_for(connect: Connect) -> None:
    spawner, canceller, observer = connect(autocommit=False), connect(), connect()
    parent = create_workflow(observer, "parent", [task("p", queue="spawn")])
    (claimed,) = claim(observer, "spawn", "w")
    row = spawner.execute(
        "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)",
        (claimed.step_id, claimed.attempt, Jsonb([task("x", queue="spawn-child")])),
    ).fetchone()
    assert row is not None
    child = int(row[0])
    done = threading.Event()
    canceller_pid = backend_pid(canceller)

    def cancel() -> None:
        canceller.execute("SELECT tributary.cancel_workflow(%s)", (parent,))
        done.set()

    thread = threading.Thread(target=cancel)
    thread.start()
    wait_until_blocked(observer, canceller_pid, unless=done)  # on the spawning step's lock
    assert not done.is_set()
    spawner.commit()
    thread.join(timeout=10)
    states: dict[int, str] = dict(
        observer.execute("SELECT id, state FROM tributary.workflows WHERE id IN (%s, %s)", (parent, child))
    )
    assert states == {parent: "cancelled", child: "cancelled"}
    assert step_row(observer, claimed.step_id)[0] == "cancelled"


def test_a_spawn_after_the_cancel_is_refused_and_creates_nothing(connect: Connect) -> None:
    conn = connect()
    parent = create_workflow(conn, "parent", [task("p", queue="spawn2")])
    (claimed,) = claim(conn, "spawn2", "w")
    conn.execute("SELECT tributary.cancel_workflow(%s)", (parent,))
    with pytest.raises(Exception, match="was cancelled") as refused:
        conn.execute(
            "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)",
            (claimed.step_id, claimed.attempt, Jsonb([task("x")])),
        )
    assert getattr(refused.value, "sqlstate", None) == "TB008"
    row = conn.execute("SELECT count(*) FROM tributary.workflows WHERE parent_workflow_id = %s", (parent,)).fetchone()
    assert row == (0,)


def test_a_cancel_waits_for_a_child_being_completed_before_it_takes_the_parent_step(connect: Connect) -> None:
    """A worker holding a child's last step (mid-completion) and then resuming the parent step,
    against a cancel of the parent: the cancel locks the child's steps before the parent's, so
    it waits instead of deadlocking."""
    completer, canceller, observer = connect(autocommit=False), connect(), connect()
    fast_deadlock_detection(completer)
    fast_deadlock_detection(canceller)
    parent = create_workflow(
        observer, "parent", [task("p", queue="dl"), task("after", queue="dl-after", depends_on=["p"])]
    )
    (claimed,) = claim(observer, "dl", "w")
    row = observer.execute(
        "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)",
        (claimed.step_id, claimed.attempt, Jsonb([task("x", queue="dl-child")])),
    ).fetchone()
    assert row is not None
    (child_step,) = claim(observer, "dl-child", "w")
    # The worker holds the child's last step, as complete_steps does before it settles the child.
    completer.execute("SELECT 1 FROM tributary.steps WHERE id = %s FOR NO KEY UPDATE", (child_step.step_id,))
    done = threading.Event()
    errors: list[BaseException] = []
    canceller_pid = backend_pid(canceller)

    def cancel() -> None:
        try:
            canceller.execute("SELECT tributary.cancel_workflow(%s)", (parent,))
        except BaseException as error:
            errors.append(error)
        done.set()

    thread = threading.Thread(target=cancel)
    thread.start()
    wait_until_blocked(observer, canceller_pid, unless=done)
    # The worker completes the child's last step: the child finalizes and resumes the parent step.
    completer.execute("SELECT tributary.complete_step(%s, %s, '7')", (child_step.step_id, child_step.attempt))
    completer.commit()
    thread.join(timeout=10)
    assert errors == []
    assert step_row(observer, claimed.step_id) == ("completed", {"x": 7}), "the child completed it first"
    states: dict[str, str] = dict(
        observer.execute("SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s", (parent,))
    )
    assert states == {"p": "completed", "after": "cancelled"}


# -- a timer firing concurrently with an event ---------------------------------------------------
WAIT_WITH_TIMEOUT = [
    {"name": "w", "wait_for": {"event": "go", "timeout": "1 minute", "on_timeout": {"default": "late"}}}
]


def test_a_timer_skips_the_step_an_event_is_completing(connect: Connect) -> None:
    sender, waker, observer = connect(autocommit=False), connect(), connect()
    set_clock(observer, CLOCK)
    workflow_id = create_workflow(observer, "race", WAIT_WITH_TIMEOUT)
    step = step_ids(observer, workflow_id)["w"]
    assert send_event(sender, "go", "on time", workflow_id=workflow_id) == step  # holds the step's lock
    set_clock(waker, CLOCK + timedelta(hours=1))
    assert wake(waker) == 0, "the step being completed by the event is skipped (SKIP LOCKED)"
    sender.commit()
    assert step_row(observer, step) == ("completed", "on time")


def test_an_event_after_the_timer_fired_is_kept_and_the_default_stays(connect: Connect) -> None:
    sender, waker, observer = connect(), connect(autocommit=False), connect()
    set_clock(observer, CLOCK)
    workflow_id = create_workflow(observer, "race", [*WAIT_WITH_TIMEOUT, task("more", wait_for={"event": "never"})])
    step = step_ids(observer, workflow_id)["w"]
    set_clock(waker, CLOCK + timedelta(hours=1))
    assert wake(waker) == 1  # the timeout completes the step with its default; not committed yet
    answer: list[Any] = []
    sender_pid = backend_pid(sender)
    thread = threading.Thread(
        target=lambda: answer.append(send_event(sender, "go", "too late", workflow_id=workflow_id))
    )
    thread.start()
    wait_until_blocked(observer, sender_pid)  # on the step's row lock
    waker.commit()
    thread.join(timeout=10)
    assert answer == [None], "the step stopped waiting: the event is kept, not delivered"
    assert step_row(observer, step) == ("completed", "late")
    assert stored_events(observer) == 1


# -- two maintenance passes waking the same steps ------------------------------------------------
def test_two_wakers_never_wake_the_same_step(connect: Connect) -> None:
    setup = connect()
    set_clock(setup, CLOCK)
    workflow_id = create_workflow(setup, "naps", [{"name": f"s{i}", "sleep": "1 minute"} for i in range(60)])
    wakers = [connect(autocommit=False) for _ in range(2)]
    for conn in wakers:
        set_clock(conn, CLOCK + timedelta(hours=1))
    first = wake(wakers[0])  # holds its steps until commit
    second = wake(wakers[1])
    for conn in wakers:
        conn.commit()
    assert first + second == 60
    row = setup.execute(
        "SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FROM tributary.steps WHERE workflow_id = %s",
        (workflow_id,),
    ).fetchone()
    assert row == (60, 60)


def test_wakers_racing_in_threads_wake_each_step_once(connect: Connect) -> None:
    setup = connect()
    set_clock(setup, CLOCK)
    create_workflow(setup, "naps", [{"name": f"s{i}", "sleep": 1} for i in range(200)])
    conns = [connect() for _ in range(4)]
    for conn in conns:
        set_clock(conn, CLOCK + timedelta(hours=1))

    def wake_all(conn: Conn) -> int:
        total = 0
        while (woken := int(conn.execute("SELECT tributary.wake_due_steps(7)").fetchone()[0])) > 0:  # type: ignore[index]
            total += woken
        return total

    counts = run_in_threads([lambda c=c: wake_all(c) for c in conns])  # type: ignore[misc]
    assert sum(counts) == 200


# -- the Python surface --------------------------------------------------------------------------
class Order(StepArgs):
    kind = "order"
    n: int


class Ship(StepArgs):
    kind = "ship"


class Part(StepArgs):
    kind = "part"
    n: int


class OrderWorker(Worker[Order]):
    def __init__(self, client_ref: list[Client]) -> None:
        self.client_ref = client_ref

    def work(self, step: Step[Order]) -> None:
        child = self.client_ref[0].new_workflow("parts").add_task("a", Part(n=step.args.n))
        child.add_task("b", Part(n=step.args.n + 1), depends_on=["a"])
        step.spawn(child)


class ShipWorker(Worker[Ship]):
    def work(self, step: Step[Ship]) -> dict[str, Any]:
        return {"approval": step.dependency("approve"), "order": step.dependency("order")}


class PartWorker(Worker[Part]):
    def work(self, step: Step[Part]) -> int:
        return step.args.n * 10


def test_a_workflow_waits_sleeps_and_spawns_with_running_workers(dsn: str, connect: Connect) -> None:
    client_ref: list[Client] = []
    config = fast_config(
        OrderWorker(client_ref),
        ShipWorker(),
        PartWorker(),
        queues={"default": QueueConfig(max_workers=2)},
        wake_interval=timedelta(milliseconds=50),
    )
    with Client(dsn, config) as client, started(client):
        client_ref.append(client)
        workflow_id = (
            client.new_workflow("checkout")
            .add_task("order", Order(n=4))
            .add_sleep("cool_off", timedelta(milliseconds=200), depends_on=["order"])
            .add_wait("approve", "approved", timeout=timedelta(days=3), depends_on=["cool_off"])
            .add_task("ship", Ship(), depends_on=["approve", "order"])
            .execute()
        )
        assert client.send_event("approved", {"by": "ana"}, workflow_id=workflow_id) is None, "kept until the wait"
        result = client.wait(workflow_id, timeout=20)
        assert result.state == "completed"
        assert result.result("order") == {"b": 50}, "the child's leaf results, by task name"
        assert result.result("cool_off") is None
        assert result.result("ship") == {"approval": {"by": "ana"}, "order": {"b": 50}}
        doc = client.get_workflow(workflow_id)
        assert [c["name"] for c in doc.children] == ["parts"]
        child = client.get_workflow(doc.children[0]["id"])
        assert (child.parent_workflow_id, child.parent_step_id) == (workflow_id, result.steps["order"].id)
        with pytest.raises(EventWorkflowFinished):
            client.send_event("approved", workflow_id=workflow_id)


def test_client_errors_are_typed(dsn: str) -> None:
    with Client(dsn, fast_config()) as client:
        with pytest.raises(EventWorkflowNotFound):
            client.send_event("x", workflow_id=-5)
        with pytest.raises(InvalidEvent):
            client.send_event("x")
        with pytest.raises(InvalidWait, match='task "nap"'):
            client.new_workflow("bad").add_sleep("nap", timedelta(minutes=-1)).execute()
        with pytest.raises(InvalidWait, match='task "w"'):
            client.new_workflow("bad").add_wait("w", "e", timeout=0).execute()


def test_the_async_client_sends_events_by_key(dsn: str) -> None:
    async def scenario() -> tuple[Any, Any]:
        async with AsyncClient(dsn, fast_config()) as client:
            workflow_id = await client.insert(client.new_workflow("k").add_wait("w", "paid", key="order:9"))
            step = await client.send_event("paid", {"ok": True}, key="order:9")
            return step, (await client.get_workflow(workflow_id)).result("w")

    step, result = asyncio.run(scenario())
    assert step is not None
    assert result == {"ok": True}


class Napper(StepArgs):
    kind = "napper"


class NapperWorker(Worker[Napper]):
    def __init__(self, client_ref: list[Client]) -> None:
        self.client_ref = client_ref

    def work(self, step: Step[Napper]) -> None:
        step.spawn(self.client_ref[0].new_workflow("nap").add_sleep("slept", timedelta(days=2)))


def test_the_inline_runner_passes_timers_and_runs_children(dsn: str) -> None:
    holder: list[Client] = []
    config = fast_config(OrderWorker(holder), ShipWorker(), PartWorker(), NapperWorker(holder))
    with Client(dsn, config) as client, InlineRunner(dsn, config) as runner:
        holder.append(client)
        workflow_id = (
            client.new_workflow("checkout")
            .add_task("order", Order(n=1))
            .add_sleep("cool_off", timedelta(hours=1), depends_on=["order"])
            .add_wait("approve", "approved", timeout=timedelta(days=3), default="auto", depends_on=["cool_off"])
            .add_task("ship", Ship(), depends_on=["approve", "order"])
            .execute()
        )
        result = runner.run(workflow_id)
        assert result.result("ship") == {"approval": "auto", "order": {"b": 20}}

        napping = client.new_workflow("napping").add_task("nap", Napper()).execute()
        assert runner.run(napping).result("nap") == {"slept": None}, "a child's timer is passed too"

        stuck = client.new_workflow("stuck").add_wait("approve", "approved").execute()
        with pytest.raises(WorkflowStuck):
            runner.run(stuck)
        client.send_event("approved", True, workflow_id=stuck)
        assert runner.run(stuck).result("approve") is True
