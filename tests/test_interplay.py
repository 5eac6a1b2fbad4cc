"""Where features meet, under real concurrency: child workflows finishing at once, map elements
under a concurrency limit, events racing a cancellation.

- Two child workflows whose last steps complete at the same instant in two transactions each
  resume their parent step; the parent workflow finalizes exactly once (one notification).
- A map element claimed under a key's concurrency limit and rescued after its lease expired
  frees the slot: tributary_slot_freed goes out with its queue and the next element is claimed.
- send_event racing cancel_workflow of the same workflow: either the event completed the wait
  before the cancel (and the cancel then cancels the rest), or the cancel won and the event finds
  nothing waiting (kept, or TB301); never a completed step in a cancelled workflow's waiting
  slot, never a deadlock.
- The inline runner (tributary.testing) meets a rate limit: it moves its clock to the next token
  instead of calling the workflow stuck.
- A step under a key limit that spawns a child frees its slot while the child runs.
- send_event and the timeout of the same wait (wake_due_steps) at the same instant: it ends once.
- The completion that expands a map racing cancel_workflow: counters and rows agree.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tests.engine_helpers import (
    FINALIZED_CHANNEL,
    WAIT_SECONDS,
    Claimed,
    Conn,
    backend_pid,
    claim,
    complete_step,
    create_workflow,
    drain_notifications,
    fast_deadlock_detection,
    finalized,
    run_in_threads,
    task,
    wait_until_blocked,
    workflow_state,
)
from tests.fix_database import Connect
from tributary import Client, Config, InsertOpts, Step, StepArgs, Worker, Workers
from tributary.testing.inline import InlineRunner

ROUNDS = 10
SLOT_FREED = "tributary_slot_freed"
CLOCK = datetime.fromisoformat("2030-01-01T00:00:00+00:00")


def spawn(conn: Conn, step: Claimed, tasks: list[dict[str, Any]]) -> int:
    row = conn.execute(
        "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)", (step.step_id, step.attempt, Jsonb(tasks))
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_two_children_finishing_at_once_finalize_the_parent_once(connect: Connect) -> None:
    setup, first, second, listener = connect(), connect(), connect(), connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")

    def finish(conn: Conn, step: Claimed, barrier: threading.Barrier) -> None:
        with conn.transaction():
            barrier.wait(timeout=WAIT_SECONDS)
            complete_step(conn, step.step_id, step.attempt, {"by": step.workflow_id})

    for round_ in range(ROUNDS):
        parent_queue, child_queue = f"ip-{round_}", f"ic-{round_}"
        parent = create_workflow(setup, "parent", [task("p1", queue=parent_queue), task("p2", queue=parent_queue)])
        children = [spawn(setup, step, [task("x", queue=child_queue)]) for step in claim(setup, parent_queue, "w", 2)]
        drain_notifications(listener, setup, FINALIZED_CHANNEL)
        [one] = claim(first, child_queue, "worker-1")
        [two] = claim(second, child_queue, "worker-2")
        barrier = threading.Barrier(2)
        run_in_threads([partial(finish, first, one, barrier), partial(finish, second, two, barrier)])

        assert workflow_state(setup, parent) == ("completed", 0, True)
        results = setup.execute(
            "SELECT task_name, state, result FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name", (parent,)
        ).fetchall()
        assert [(name, state) for name, state, _ in results] == [("p1", "completed"), ("p2", "completed")]
        assert sorted(result["x"]["by"] for _, _, result in results) == sorted(children)
        payloads = [finalized(p) for p in drain_notifications(listener, setup, FINALIZED_CHANNEL)]
        assert sorted(p["workflow_id"] for p in payloads) == sorted([*children, parent]), "each finalized once"
        assert all(p["state"] == "completed" for p in payloads)


def test_a_rescued_map_element_under_a_key_limit_frees_its_slot(connect: Connect) -> None:
    conn, listener = connect(), connect()
    listener.execute(f"LISTEN {SLOT_FREED}")
    conn.execute("SELECT tributary_test.set_now(%s)", (CLOCK,))
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'ik:1', 1)")
    workflow_id = create_workflow(
        conn,
        "mapped",
        [
            task("a", queue="im-src"),
            task("m", queue="im", depends_on=["a"], map={"over": "a"}, concurrency_key="ik:1", max_attempts=3),
        ],
    )
    [root] = claim(conn, "im-src", "w")
    complete_step(conn, root.step_id, root.attempt, [1, 2])
    [held] = claim(conn, "im", "w", 2)
    assert held.task_name == "m[0]"
    assert claim(conn, "im", "w", 2) == [], "the key's one slot is taken"
    drain_notifications(listener, conn, SLOT_FREED)

    conn.execute("SELECT tributary_test.advance(%s)", (timedelta(hours=1),))
    row = conn.execute("SELECT tributary.rescue_expired_steps()").fetchone()
    assert row is not None
    assert row[0] == 1
    assert drain_notifications(listener, conn, SLOT_FREED) == ["im"], "the rescue freed the slot"
    state = conn.execute("SELECT state, attempt FROM tributary.steps WHERE id = %s", (held.step_id,)).fetchone()
    assert state == ("available", 1)
    [next_] = claim(conn, "im", "w", 2)
    assert next_.task_name in {"m[0]", "m[1]"}
    assert claim(conn, "im", "w", 2) == [], "still one at a time"
    assert workflow_state(conn, workflow_id)[0] == "running"


def send_go(conn: Conn, workflow_id: int, barrier: threading.Barrier) -> str:
    """send_event('go') after the barrier: delivered, kept, or refused (TB301: the cancel won)."""
    barrier.wait(timeout=WAIT_SECONDS)
    try:
        row = conn.execute(
            "SELECT tributary.send_event('go', '{\"ok\": true}', p_workflow_id => %s)", (workflow_id,)
        ).fetchone()
    except psycopg.Error as error:
        if error.sqlstate != "TB301":
            raise
        return "refused"
    assert row is not None
    return "delivered" if row[0] is not None else "kept"


def cancel_after(conn: Conn, workflow_id: int, barrier: threading.Barrier) -> str:
    barrier.wait(timeout=WAIT_SECONDS)
    row = conn.execute("SELECT tributary.cancel_workflow(%s)", (workflow_id,)).fetchone()
    assert row is not None
    return "cancelled" if row[0] else "finished"


def test_send_event_racing_cancel_workflow(connect: Connect) -> None:
    setup, sender, canceller = connect(), connect(), connect()
    for round_ in range(ROUNDS):
        workflow_id = create_workflow(
            setup,
            "waits",
            [{"name": "w", "wait_for": {"event": "go"}}, task("after", queue=f"ie-{round_}", depends_on=["w"])],
        )
        barrier = threading.Barrier(2)
        sent, cancelled = run_in_threads(
            [partial(send_go, sender, workflow_id, barrier), partial(cancel_after, canceller, workflow_id, barrier)]
        )
        assert cancelled == "cancelled", "the workflow was running: the cancel always finds something to cancel"
        assert workflow_state(setup, workflow_id) == ("cancelled", 0, True)
        rows = {
            str(name): str(state)
            for name, state in setup.execute(
                "SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)
            ).fetchall()
        }
        if sent == "delivered":
            assert rows == {"w": "completed", "after": "cancelled"}
        else:
            assert rows == {"w": "cancelled", "after": "cancelled"}
        kept = setup.execute("SELECT count(*) FROM tributary.events WHERE workflow_id = %s", (workflow_id,)).fetchone()
        assert kept == ((1,) if sent == "kept" else (0,))


class Ping(StepArgs):
    kind = "ping"
    n: int


class PingWorker(Worker[Ping]):
    def work(self, step: Step[Ping]) -> int:
        return step.args.n


def test_the_inline_runner_moves_its_clock_over_a_rate_limit(tributary_dsn: str) -> None:
    """A step a rate limit holds back is not stuck: the runner moves its clock to the next token,
    as it does over a backoff, instead of raising WorkflowStuck."""
    config = Config(workers=Workers(PingWorker()))
    with Client(tributary_dsn, config) as client, InlineRunner(tributary_dsn, config) as runner:
        client.set_rate_limit("queue", "pings", 1, timedelta(minutes=10))
        builder = client.new_workflow("pings")
        for n in range(3):
            builder.add_task(f"p{n}", Ping(n=n), insert_opts=InsertOpts(queue="pings"))
        workflow_id = builder.execute()
        started = runner.now
        result = runner.run(workflow_id)
        assert [result.result(f"p{n}") for n in range(3)] == [0, 1, 2]
        assert runner.now - started >= timedelta(minutes=20), "two tokens were waited for on the engine clock"
        assert runner.now - started < timedelta(minutes=21)


def test_a_step_waiting_for_its_child_holds_no_slot(connect: Connect) -> None:
    """A step claimed under a key's concurrency limit that spawns a child workflow stops running:
    the slot is freed (tributary_slot_freed) and the next step of the key is claimed while the
    child runs."""
    conn, listener = connect(), connect()
    listener.execute(f"LISTEN {SLOT_FREED}")
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'ispawn:1', 1)")
    create_workflow(conn, "two", [task(f"t{i}", queue="isp", concurrency_key="ispawn:1") for i in range(2)])
    [first] = claim(conn, "isp", "w", 2)
    assert claim(conn, "isp", "w", 2) == [], "the key's one slot is taken"
    drain_notifications(listener, conn, SLOT_FREED)
    spawn(conn, first, [task("x", queue="isp-child")])
    assert drain_notifications(listener, conn, SLOT_FREED) == ["isp"], "waiting for its child, the step freed its slot"
    [second] = claim(conn, "isp", "w", 2)
    assert second.task_name != first.task_name


def deliver(conn: Conn, workflow_id: int, barrier: threading.Barrier) -> str:
    barrier.wait(timeout=WAIT_SECONDS)
    row = conn.execute("SELECT tributary.send_event('go', '\"event\"', p_workflow_id => %s)", (workflow_id,)).fetchone()
    assert row is not None
    return "delivered" if row[0] is not None else "kept"


def wake(conn: Conn, barrier: threading.Barrier) -> int:
    barrier.wait(timeout=WAIT_SECONDS)
    row = conn.execute("SELECT tributary.wake_due_steps()").fetchone()
    assert row is not None
    return int(row[0])


def test_an_event_and_the_timeout_of_its_wait_at_the_same_instant_end_it_once(connect: Connect) -> None:
    """send_event and wake_due_steps (the wait's timeout is due) race for one wait: it ends once,
    with the event's payload or with its on_timeout default, never both; an event that came too
    late is kept (the workflow still runs)."""
    setup, sender, waker = connect(), connect(), connect()
    waker.execute("SELECT tributary_test.set_now(now() + interval '1 hour')")
    for round_ in range(ROUNDS):
        tasks = [
            {"name": "w", "wait_for": {"event": "go", "timeout": "1 minute", "on_timeout": {"default": "timeout"}}},
            task("other", queue=f"iw-{round_}"),
        ]
        workflow_id = create_workflow(setup, "race", tasks)
        barrier = threading.Barrier(2)
        outcomes: list[object] = run_in_threads(
            [partial(deliver, sender, workflow_id, barrier), partial(wake, waker, barrier)]
        )
        sent, woke = outcomes
        row = setup.execute(
            "SELECT state, result FROM tributary.steps WHERE workflow_id = %s AND task_name = 'w'", (workflow_id,)
        ).fetchone()
        kept = setup.execute("SELECT count(*) FROM tributary.events WHERE workflow_id = %s", (workflow_id,)).fetchone()
        if sent == "delivered":
            assert row == ("completed", "event")
            assert kept == (0,)
        else:
            assert isinstance(woke, int)
            assert woke >= 1
            assert row == ("completed", "timeout")
            assert kept == (1,)
        assert workflow_state(setup, workflow_id) == ("running", 1, False)


def complete_after(conn: Conn, step: Claimed, result: Any, barrier: threading.Barrier) -> str:
    barrier.wait(timeout=WAIT_SECONDS)
    try:
        complete_step(conn, step.step_id, step.attempt, result)
    except psycopg.Error as error:
        if error.sqlstate != "TB008":
            raise
        return "refused"
    return "completed"


def test_a_completion_expanding_a_map_racing_cancel_workflow(connect: Connect) -> None:
    """The completion that expands a map (inserting its elements) and cancel_workflow at the same
    instant: whichever wins, the workflow ends cancelled with nothing unfinished, every element
    that was written is cancelled, and the counters agree with the rows."""
    setup, worker, canceller = connect(), connect(), connect()
    for round_ in range(ROUNDS):
        queue = f"imc-{round_}"
        workflow_id = create_workflow(
            setup,
            "expand",
            [task("a", queue=queue), task("m", queue=queue, depends_on=["a"], map={"over": "a"})],
        )
        [root] = claim(worker, queue, "w")
        barrier = threading.Barrier(2)
        outcomes: list[object] = run_in_threads(
            [
                partial(complete_after, worker, root, list(range(50)), barrier),
                partial(cancel_after, canceller, workflow_id, barrier),
            ]
        )
        completed, cancelled = outcomes
        assert cancelled == "cancelled"
        assert workflow_state(setup, workflow_id) == ("cancelled", 0, True)
        counts = setup.execute(
            "SELECT count(*) FILTER (WHERE s.map_step_id IS NOT NULL), count(*) FILTER (WHERE s.state IN"
            " ('pending', 'available', 'running', 'waiting')), w.steps_total"
            " FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id"
            " WHERE s.workflow_id = %s GROUP BY w.steps_total",
            (workflow_id,),
        ).fetchone()
        assert counts is not None
        elements, unfinished, total = counts
        assert elements == (50 if completed == "completed" else 0)
        assert unfinished == 0
        assert total == 2 + elements


def test_a_skip_that_runs_down_a_level_and_a_sibling_completion_do_not_deadlock(connect: Connect) -> None:
    """decide completes with a result that skips x; other completes at the same time. Both
    count down any and all (dependents of x and other). The skip must not hold the workflow row
    while it locks the next level's steps (any, all) that the other completion holds while it
    waits for the workflow row: a third session holding the workflow row lines the two up in the
    order that deadlocked."""
    setup, first, second, holder = connect(), connect(), connect(), connect()
    fast_deadlock_detection(first)
    fast_deadlock_detection(second)
    first_pid, second_pid = backend_pid(first), backend_pid(second)
    workflow_id = create_workflow(
        setup,
        "branch",
        [
            task("decide", queue="isk"),
            task("other", queue="isk"),
            task("x", queue="isk", depends_on=["decide"], run_if={"decide": {"go": True}}),
            task("any", queue="isk", depends_on=["x", "other"], run_when="any_completed"),
            task("all", queue="isk", depends_on=["x", "other"]),
        ],
    )
    [decide, other] = sorted(claim(setup, "isk", "w", 2), key=lambda c: c.task_name)
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM tributary.workflows WHERE id = %s FOR NO KEY UPDATE", (workflow_id,))
    with ThreadPoolExecutor(max_workers=2) as pool:
        skipping = pool.submit(complete_step, first, decide.step_id, decide.attempt, {"go": False})
        wait_until_blocked(setup, first_pid)
        counting = pool.submit(complete_step, second, other.step_id, other.attempt, {"o": 1})
        wait_until_blocked(setup, second_pid)
        holder.execute("COMMIT")
        skipping.result(timeout=WAIT_SECONDS)
        counting.result(timeout=WAIT_SECONDS)
    rows = {
        str(name): str(state)
        for name, state in setup.execute(
            "SELECT task_name, state FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)
        ).fetchall()
    }
    assert rows == {"decide": "completed", "other": "completed", "x": "skipped", "any": "available", "all": "skipped"}
    assert workflow_state(setup, workflow_id) == ("running", 1, False)
