"""Invariant 5 under a race: the last two steps of a workflow finish in parallel transactions.

A workflow a -> (b, c): b and c are claimed by two workers and completed in two concurrent
transactions. Whatever the interleaving, the workflow must finalize 'completed' exactly once:
one tributary_workflow_finalized notification, steps_unfinished = 0. Each race runs 20 times
on a fresh workflow.

Two interleavings:

* barrier: both transactions call complete_step at the same instant (a Barrier right before the
  call) and commit as soon as it returns. A Barrier right before COMMIT cannot be reached by
  both: complete_step takes the workflow row lock, so the second call blocks until the first
  transaction ends -- which is exactly the serialization under test.
* lock wait: the first transaction completes its step and stays open; the second one's
  complete_step is seen waiting on a lock in pg_stat_activity; then the first commits (or rolls
  back) and the second goes on.

The last test reproduces an engine deadlock deterministically (see its docstring).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from tests.engine_helpers import (
    FINALIZED_CHANNEL,
    WAIT_SECONDS,
    Claimed,
    Conn,
    backend_pid,
    claim,
    complete_step,
    complete_steps,
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

ROUNDS = 20


def leaves_claimed(setup: Conn, first: Conn, second: Conn, queue: str) -> tuple[int, Claimed, Claimed]:
    """A fresh workflow a -> (b, c) with a completed and b, c claimed by two workers."""
    workflow_id = create_workflow(
        setup,
        "race",
        [
            task("a", queue=queue),
            task("b", queue=queue, depends_on=["a"]),
            task("c", queue=queue, depends_on=["a"]),
        ],
    )
    [root] = claim(setup, queue, "root-worker")
    complete_step(setup, root.step_id, root.attempt, {"root": True})
    [one] = claim(first, queue, "worker-1")
    [two] = claim(second, queue, "worker-2")
    assert {one.task_name, two.task_name} == {"b", "c"}
    assert workflow_state(setup, workflow_id) == ("running", 2, False)
    return workflow_id, one, two


def assert_finalized_once(setup: Conn, listener: Conn, workflow_id: int) -> None:
    assert workflow_state(setup, workflow_id) == ("completed", 0, True)
    states = setup.execute(
        "SELECT task_name, state, result FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name",
        (workflow_id,),
    ).fetchall()
    assert [(name, state) for name, state, _ in states] == [
        ("a", "completed"),
        ("b", "completed"),
        ("c", "completed"),
    ]
    assert {result.get("by") for _, _, result in states[1:]} == {"worker-1", "worker-2"}
    payloads = drain_notifications(listener, setup, FINALIZED_CHANNEL)
    assert [finalized(p) for p in payloads] == [{"workflow_id": workflow_id, "state": "completed"}]


def test_last_two_steps_completed_at_the_same_instant_finalize_once(connect: Connect) -> None:
    setup, first, second, listener = connect(), connect(), connect(), connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")

    def finish(conn: Conn, step: Claimed, worker: str, barrier: threading.Barrier) -> None:
        with conn.transaction():
            barrier.wait(timeout=WAIT_SECONDS)
            complete_step(conn, step.step_id, step.attempt, {"by": worker})

    for round_ in range(ROUNDS):
        workflow_id, one, two = leaves_claimed(setup, first, second, f"race-{round_}")
        barrier = threading.Barrier(2)
        run_in_threads(
            [
                partial(finish, first, one, "worker-1", barrier),
                partial(finish, second, two, "worker-2", barrier),
            ]
        )
        assert_finalized_once(setup, listener, workflow_id)


@pytest.mark.parametrize("first_outcome", ["commit", "rollback"])
def test_last_step_waiting_on_the_workflow_lock_finalizes_once(connect: Connect, first_outcome: str) -> None:
    setup, first, second, listener = connect(), connect(), connect(), connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")
    second_pid = backend_pid(second)

    def finish_second(step: Claimed) -> None:
        with second.transaction():
            complete_step(second, step.step_id, step.attempt, {"by": "worker-2"})

    for round_ in range(ROUNDS):
        workflow_id, one, two = leaves_claimed(setup, first, second, f"race-{round_}")
        first.execute("BEGIN")
        complete_step(first, one.step_id, one.attempt, {"by": "worker-1"})
        with ThreadPoolExecutor(max_workers=1) as pool:
            blocked = pool.submit(finish_second, two)
            try:
                wait_until_blocked(setup, second_pid)
            finally:
                first.execute(first_outcome.upper())
            blocked.result(timeout=WAIT_SECONDS)

        if first_outcome == "rollback":
            # The second transaction counted its step only: nothing finalized yet.
            assert workflow_state(setup, workflow_id) == ("running", 1, False)
            assert drain_notifications(listener, setup, FINALIZED_CHANNEL) == []
            complete_step(first, one.step_id, one.attempt, {"by": "worker-1"})
        assert_finalized_once(setup, listener, workflow_id)


@pytest.mark.parametrize("completion", ["complete_step", "complete_steps"])
def test_a_discard_the_last_completion_waited_for_makes_the_workflow_failed(connect: Connect, completion: str) -> None:
    """b is discarded in an open transaction; c's completion waits for the workflow row and
    finalizes the workflow once b's transaction commits. The discard committed while it waited
    must be seen: the workflow is failed, not completed (a check made with the snapshot the
    waiting statement started with would miss it)."""
    setup, first, second, listener = connect(), connect(), connect(), connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")
    second_pid = backend_pid(second)

    def finish_second(step: Claimed) -> None:
        with second.transaction():
            if completion == "complete_step":
                complete_step(second, step.step_id, step.attempt, {"by": "worker-2"})
            else:
                assert complete_steps(second, [step], [{"by": "worker-2"}]) == {step.step_id: "completed"}

    for round_ in range(5):
        workflow_id, one, two = leaves_claimed(setup, first, second, f"discard-{round_}")
        first.execute("BEGIN")
        first.execute(
            'SELECT tributary.fail_step(%s, %s, \'{"message": "no"}\'::jsonb, false)', (one.step_id, one.attempt)
        )
        with ThreadPoolExecutor(max_workers=1) as pool:
            blocked = pool.submit(finish_second, two)
            try:
                wait_until_blocked(setup, second_pid)
            finally:
                first.execute("COMMIT")
            blocked.result(timeout=WAIT_SECONDS)
        assert workflow_state(setup, workflow_id) == ("failed", 0, True)
        payloads = drain_notifications(listener, setup, FINALIZED_CHANNEL)
        assert [finalized(p) for p in payloads] == [{"workflow_id": workflow_id, "state": "failed"}]


def test_claim_and_complete_in_one_transaction_does_not_deadlock(connect: Connect) -> None:
    """Worker 1 claims and completes in one transaction; worker 2 claims, heartbeats and
    completes in one transaction. Each touches only its own step:

    1. worker 2's heartbeat is the second UPDATE of its step row in the transaction (while
       steps had a foreign key to workflows, its trigger re-checked workflow_id here and took
       FOR KEY SHARE on the workflow row);
    2. worker 1's complete_step does the same (claim + complete = two UPDATEs), then locks the
       workflow row in _settle_workflows with FOR NO KEY UPDATE, which does not conflict with
       KEY SHARE (FOR UPDATE did, and the two transactions deadlocked);
    3. worker 2's complete_step waits for worker 1 to commit, then finalizes.

    Without that foreign key this no longer tells FOR UPDATE from FOR NO KEY UPDATE (the next
    test does); it still checks that the two transactions finish and finalize once.
    """
    setup, first, second = connect(), connect(), connect()
    fast_deadlock_detection(first)
    fast_deadlock_detection(second)
    workflow_id = create_workflow(setup, "pair", [task("x", queue="pair"), task("y", queue="pair")])

    second.execute("BEGIN")
    [two] = claim(second, "pair", "worker-2")
    assert second.execute("SELECT tributary.heartbeat(%s, %s)", (two.step_id, two.attempt)).fetchone() == (True,)

    first.execute("BEGIN")
    [one] = claim(first, "pair", "worker-1")

    def finish(conn: Conn, step: Claimed) -> None:
        try:
            complete_step(conn, step.step_id, step.attempt, {"by": step.task_name})
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    first_pid = backend_pid(first)
    first_done = threading.Event()

    def finish_first() -> None:
        try:
            finish(first, one)
        finally:
            first_done.set()

    def finish_second_once_first_waits() -> None:
        wait_until_blocked(setup, first_pid, unless=first_done)
        finish(second, two)

    run_in_threads([finish_first, finish_second_once_first_waits])
    assert workflow_state(setup, workflow_id) == ("completed", 0, True)


def test_a_key_share_lock_on_a_workflow_does_not_hold_up_its_completion(connect: Connect) -> None:
    """A foreign key that refers to tributary.workflows (events' own, or one of a caller's tables)
    takes FOR KEY SHARE on the workflow row while a row referring to it is inserted. The engine
    locks workflow rows FOR NO KEY UPDATE, which does not conflict with it: completing the
    workflow's last step, which finalizes it, does not wait for the transaction that holds it
    (with FOR UPDATE it would, until the lock_timeout set here)."""
    setup, holder, worker = connect(), connect(), connect()
    table = f"orders_{backend_pid(setup)}"
    setup.execute(f"CREATE TABLE public.{table} (workflow_id bigint REFERENCES tributary.workflows (id))")
    try:
        workflow_id = create_workflow(setup, "held", [task("x", queue="held")])
        [step] = claim(worker, "held", "worker-1")
        holder.execute("BEGIN")
        holder.execute(f"INSERT INTO public.{table} VALUES (%s)", (workflow_id,))  # FOR KEY SHARE on it
        worker.execute("SET lock_timeout = '5s'")
        complete_step(worker, step.step_id, step.attempt, {"ok": True})
        assert workflow_state(setup, workflow_id) == ("completed", 0, True)
        holder.execute("COMMIT")
    finally:
        holder.rollback()  # nothing left to undo when it committed
        setup.execute(f"DROP TABLE public.{table}")
