"""Invariant 6 (fencing by attempt) and leases across real connections.

Worker A claims a step and goes quiet; on another connection the engine clock moves past the
lease (the testing kit's ``tributary_test.set_now``), rescue_expired_steps takes the step back and worker B claims
it as attempt 2. Every call A makes with attempt 1 afterwards must change nothing. Then four
rescuers race over 100 expired steps: each step is rescued exactly once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.engine_helpers import (
    WAIT_SECONDS,
    Claimed,
    Conn,
    backend_pid,
    claim,
    complete_step,
    complete_steps,
    create_workflow,
    run_in_threads,
    task,
    wait_until_blocked,
    workflow_state,
)
from tests.fix_database import Connect

STALE = "TB007"


def db_now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def set_clock(conn: Conn, at: datetime) -> None:
    """Moves tributary.now() to ``at`` for the rest of this session."""
    conn.execute("SELECT tributary_test.set_now(%s)", (at,))


def step_row(conn: Conn, step_id: int) -> tuple[Any, ...]:
    """(state, attempt, worker_id, result, number of errors) of a step."""
    row = conn.execute(
        "SELECT state, attempt, worker_id, result, jsonb_array_length(errors) FROM tributary.steps WHERE id = %s",
        (step_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def rescue(conn: Conn, limit: int = 1000) -> int:
    row = conn.execute("SELECT tributary.rescue_expired_steps(%s)", (limit,)).fetchone()
    assert row is not None
    return int(row[0])


def rescued_and_reclaimed(connect: Connect) -> tuple[Conn, Conn, int, Claimed, Claimed]:
    """A's attempt 1 lost its lease, was rescued on B's clock, and B holds attempt 2."""
    a, b = connect(), connect()
    workflow_id = create_workflow(a, "fenced", [task("only", queue="fence", max_attempts=3)])
    [stale] = claim(a, "fence", "worker-A")
    assert stale.attempt == 1

    set_clock(b, db_now(b) + timedelta(minutes=2))  # lease_duration is 60 s
    assert rescue(b) == 1
    assert step_row(b, stale.step_id)[:2] == ("available", 1)
    set_clock(b, db_now(b) + timedelta(minutes=3))  # past the retry backoff (<= 1 s)
    [fresh] = claim(b, "fence", "worker-B")
    assert (fresh.step_id, fresh.attempt) == (stale.step_id, 2)
    return a, b, workflow_id, stale, fresh


def test_stale_attempt_after_rescue_changes_nothing(connect: Connect) -> None:
    a, b, workflow_id, stale, fresh = rescued_and_reclaimed(connect)
    before = step_row(b, stale.step_id)
    assert before == ("running", 2, "worker-B", None, 1)

    with pytest.raises(psycopg.Error) as completed:
        complete_step(a, stale.step_id, stale.attempt, {"by": "A"})
    assert completed.value.sqlstate == STALE
    with pytest.raises(psycopg.Error) as failed:
        a.execute("SELECT tributary.fail_step(%s, %s, %s)", (stale.step_id, stale.attempt, Jsonb("boom")))
    assert failed.value.sqlstate == STALE
    assert a.execute("SELECT tributary.heartbeat(%s, %s)", (stale.step_id, stale.attempt)).fetchone() == (False,)
    assert complete_steps(a, [stale], [{"by": "A"}]) == {stale.step_id: "stale"}
    assert step_row(b, stale.step_id) == before

    complete_step(b, fresh.step_id, fresh.attempt, {"by": "B"})
    with pytest.raises(psycopg.Error) as late:
        complete_step(a, stale.step_id, stale.attempt, {"by": "A"})
    assert late.value.sqlstate == STALE
    assert step_row(b, stale.step_id) == ("completed", 2, "worker-B", {"by": "B"}, 1)
    assert workflow_state(b, workflow_id) == ("completed", 0, True)


def test_stale_complete_blocked_behind_the_rescue_is_refused(connect: Connect) -> None:
    """A's complete_step waits on the row lock of an uncommitted rescue, then sees the rescue."""
    a, b, observer = connect(), connect(), connect()
    workflow_id = create_workflow(a, "fenced", [task("only", queue="fence", max_attempts=3)])
    [stale] = claim(a, "fence", "worker-A")
    set_clock(b, db_now(b) + timedelta(minutes=2))

    b.execute("BEGIN")
    assert rescue(b) == 1
    a_pid = backend_pid(a)

    def complete_as_a() -> str | None:
        try:
            complete_step(a, stale.step_id, stale.attempt, {"by": "A"})
        except psycopg.Error as error:
            return error.sqlstate
        return None

    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome = pool.submit(complete_as_a)
        try:
            wait_until_blocked(observer, a_pid)
        finally:
            b.execute("COMMIT")
        assert outcome.result(timeout=WAIT_SECONDS) == STALE
    assert step_row(observer, stale.step_id)[:2] == ("available", 1)
    assert step_row(observer, stale.step_id)[3] is None
    assert workflow_state(observer, workflow_id) == ("running", 1, False)


def test_rescue_skips_a_step_whose_completion_is_in_flight(connect: Connect) -> None:
    """A completes after its lease expired but before any rescue: the rescue (SKIP LOCKED) leaves
    the locked step alone and A's result stands."""
    a, b = connect(), connect()
    workflow_id = create_workflow(a, "fenced", [task("only", queue="fence", max_attempts=3)])
    [step] = claim(a, "fence", "worker-A")
    set_clock(b, db_now(b) + timedelta(minutes=2))

    a.execute("BEGIN")
    complete_step(a, step.step_id, step.attempt, {"by": "A"})
    assert rescue(b) == 0
    a.execute("COMMIT")
    assert rescue(b) == 0
    assert step_row(b, step.step_id) == ("completed", 1, "worker-A", {"by": "A"}, 0)
    assert workflow_state(b, workflow_id) == ("completed", 0, True)


def test_concurrent_rescuers_rescue_each_step_once(connect: Connect) -> None:
    setup = connect()
    create_workflow(setup, "expiring", [task(f"t{i}", queue="expiring") for i in range(100)])
    claimed = claim(setup, "expiring", "doomed-worker", 100)
    assert len(claimed) == 100

    rescuers = [connect() for _ in range(4)]
    later = db_now(setup) + timedelta(minutes=5)
    for conn in rescuers:
        set_clock(conn, later)
    barrier = threading.Barrier(len(rescuers))

    def rescue_until_none_left(conn: Conn) -> list[int]:
        barrier.wait(timeout=WAIT_SECONDS)
        counts: list[int] = []
        for _ in range(100):  # a bound: at least one step per non-final call
            counts.append(rescue(conn, 7))
            if counts[-1] == 0:
                return counts
        raise AssertionError("rescue_expired_steps never ran out of steps")

    counts = run_in_threads([partial(rescue_until_none_left, c) for c in rescuers])
    assert sum(sum(c) for c in counts) == 100, counts
    assert sum(1 for c in counts if sum(c) > 0) >= 2, f"one rescuer did everything: {counts}"
    assert rescue(rescuers[0]) == 0

    rows = setup.execute(
        "SELECT state, attempt, errors FROM tributary.steps WHERE id = ANY (%s)",
        ([s.step_id for s in claimed],),
    ).fetchall()
    assert len(rows) == 100
    assert {(state, attempt) for state, attempt, _ in rows} == {("available", 1)}
    entries = [errors for _, _, errors in rows]
    assert all(len(e) == 1 for e in entries), [e for e in entries if len(e) != 1][:3]
    assert {(e[0]["attempt"], e[0]["reason"], e[0]["worker_id"]) for e in entries} == {
        (1, "lease_expired", "doomed-worker")
    }
