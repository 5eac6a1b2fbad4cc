"""complete_steps_and_start under races: a step's workflows exist if and only if that step
completes, once, across real connections (each thread its own connection, READ COMMITTED).

* Fencing: attempt 1 of a step lost its lease and was rescued; attempt 2 holds the step. Both
  report at the same instant, each starting a workflow of its own name: only attempt 2's exists
  and attempt 1's outcome is 'stale'. 20 rounds, so that either call may go first.
* A retried report: the same (step, attempt) reported from two connections at the same instant.
  One is 'completed', the other 'already_completed', and one workflow exists: the completing
  call's.
* Batches against a cancel: four workers complete disjoint batches of steps (each step starting
  one workflow) while a fifth connection cancels the parent workflows of half of those steps.
  Every step that completed started exactly its workflow, every cancelled one started nothing.

Workflows started by a step carry the step in their name; nothing else creates workflows with
such names, so the workflows table alone tells what each completion started.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.engine_helpers import (
    WAIT_SECONDS,
    Claimed,
    Conn,
    claim,
    create_workflow,
    run_in_threads,
    task,
    workflow_state,
)
from tests.fix_database import Connect
from tests.test_concurrency_fencing import db_now, rescue, set_clock, step_row

ROUNDS = 20
PARENTS = 8  # workflows whose steps the batches complete; the even-numbered ones are cancelled
STEPS_PER_PARENT = 30
COMPLETERS = 4
BATCH = 6
STARTED_QUEUE = "started"  # never claimed: the started workflows stay as they were created


def read_committed(connect: Connect) -> Conn:
    """A new autocommit connection, checked to run at READ COMMITTED (the server's default)."""
    conn = connect()
    row = conn.execute("SHOW transaction_isolation").fetchone()
    assert row == ("read committed",), row
    return conn


def started_doc(name: str, **metadata: Any) -> dict[str, Any]:
    """One workflow to start, as create_workflows takes it."""
    return {"name": name, "tasks": [task("next", queue=STARTED_QUEUE)], "metadata": metadata}


def complete_and_start(
    conn: Conn,
    steps: Sequence[Claimed],
    results: Sequence[Any],
    starts: Sequence[Sequence[dict[str, Any]]],
) -> dict[int, str]:
    """complete_steps_and_start for the steps, starting starts[i] with step i, claiming nothing;
    returns step id -> outcome."""
    rows = conn.execute(
        "SELECT outcome, step_id FROM tributary.complete_steps_and_start(%s, %s, %s::jsonb[], %s::jsonb[], %s, %s, %s)",
        (
            [s.step_id for s in steps],
            [s.attempt for s in steps],
            [Jsonb(r) for r in results],
            [Jsonb(list(s)) for s in starts],
            "starter",
            [],
            [],
        ),
    ).fetchall()
    assert all(outcome is not None for outcome, _ in rows), rows  # no claims asked, none made
    outcomes = {int(step_id): str(outcome) for outcome, step_id in rows}
    assert len(outcomes) == len(steps), rows
    return outcomes


def workflows_named(conn: Conn, pattern: str) -> list[tuple[str, Any, int, str]]:
    """(name, metadata, steps_total, state) of the workflows whose name is LIKE ``pattern``."""
    rows = conn.execute(
        "SELECT name, metadata, steps_total, state FROM tributary.workflows WHERE name LIKE %s ORDER BY id",
        (pattern,),
    ).fetchall()
    return [(str(r[0]), r[1], int(r[2]), str(r[3])) for r in rows]


def report_at_barrier(conn: Conn, barrier: threading.Barrier, step: Claimed, result: Any, start: dict[str, Any]) -> str:
    """Waits for the other reporter, then reports the step alone; returns its outcome."""
    barrier.wait(timeout=WAIT_SECONDS)
    return complete_and_start(conn, [step], [result], [[start]])[step.step_id]


def test_stale_and_current_attempt_racing_start_only_the_current_ones(connect: Connect) -> None:
    setup, a, b = read_committed(connect), read_committed(connect), read_committed(connect)
    for round_ in range(ROUNDS):
        queue = f"fence-{round_}"
        workflow_id = create_workflow(setup, "fenced", [task("only", queue=queue, max_attempts=3)])
        [stale] = claim(a, queue, "worker-A")
        assert stale.attempt == 1
        set_clock(b, db_now(b) + timedelta(minutes=2))  # past the 60 s lease
        assert rescue(b) == 1
        set_clock(b, db_now(b) + timedelta(minutes=3))  # past the retry backoff
        [fresh] = claim(b, queue, "worker-B")
        assert (fresh.step_id, fresh.attempt) == (stale.step_id, 2)

        prefix = f"started-by-{stale.step_id}-"
        barrier = threading.Barrier(2)
        outcome_a, outcome_b = run_in_threads(
            [
                partial(report_at_barrier, a, barrier, stale, {"by": "A"}, started_doc(f"{prefix}attempt-1")),
                partial(report_at_barrier, b, barrier, fresh, {"by": "B"}, started_doc(f"{prefix}attempt-2")),
            ]
        )

        assert (outcome_a, outcome_b) == ("stale", "completed"), f"round {round_}"
        assert workflows_named(setup, f"{prefix}%") == [(f"{prefix}attempt-2", {}, 1, "running")], f"round {round_}"
        assert step_row(setup, fresh.step_id) == ("completed", 2, "worker-B", {"by": "B"}, 1)
        assert workflow_state(setup, workflow_id) == ("completed", 0, True)


def test_a_report_repeated_concurrently_starts_its_workflow_once(connect: Connect) -> None:
    setup, first, second = read_committed(connect), read_committed(connect), read_committed(connect)
    for round_ in range(ROUNDS):
        queue = f"repeat-{round_}"
        workflow_id = create_workflow(setup, "repeated", [task("only", queue=queue)])
        [step] = claim(setup, queue, "worker")
        name = f"started-by-{step.step_id}"
        barrier = threading.Barrier(2)
        # The same report twice; the metadata tells which call's document was created.
        outcomes = run_in_threads(
            [
                partial(report_at_barrier, first, barrier, step, {"ok": True}, started_doc(name, report=0)),
                partial(report_at_barrier, second, barrier, step, {"ok": True}, started_doc(name, report=1)),
            ]
        )

        assert sorted(outcomes) == ["already_completed", "completed"], f"round {round_}: {outcomes}"
        completing = outcomes.index("completed")
        assert workflows_named(setup, name) == [(name, {"report": completing}, 1, "running")], f"round {round_}"
        assert step_row(setup, step.step_id) == ("completed", 1, "worker", {"ok": True}, 0)
        assert workflow_state(setup, workflow_id) == ("completed", 0, True)


def test_batches_racing_a_cancel_start_exactly_the_completed_steps_workflows(connect: Connect) -> None:
    """Each completer reports its steps in batches of BATCH; all but its last batch race the
    canceller. The last batch waits until every cancel committed, so some steps of the cancelled
    workflows are reported after their cancel whatever the timing. Each cancelled parent also
    has a step nobody claims, so its cancel always finds something to cancel."""
    setup = read_committed(connect)
    parents = [
        create_workflow(
            setup,
            f"parent-{p}",
            [task(f"t{i}", queue="batch") for i in range(STEPS_PER_PARENT)]
            + ([task("held", queue="held-back")] if p % 2 == 0 else []),
        )
        for p in range(PARENTS)
    ]
    cancelled_parents = parents[::2]
    claimed = claim(setup, "batch", "worker", PARENTS * STEPS_PER_PARENT)
    assert len(claimed) == PARENTS * STEPS_PER_PARENT
    random.Random(7).shuffle(claimed)
    shares = [claimed[i::COMPLETERS] for i in range(COMPLETERS)]
    batches = [[share[i : i + BATCH] for i in range(0, len(share), BATCH)] for share in shares]
    assert any(s.workflow_id in cancelled_parents for b in batches for s in b[-1])

    completers = [read_committed(connect) for _ in range(COMPLETERS)]
    canceller = read_committed(connect)
    barrier = threading.Barrier(COMPLETERS + 1)
    cancels_done = threading.Event()

    def complete_batches(conn: Conn, my_batches: list[list[Claimed]]) -> dict[int, str]:
        outcomes: dict[int, str] = {}
        barrier.wait(timeout=WAIT_SECONDS)
        for i, batch in enumerate(my_batches):
            if i == len(my_batches) - 1:
                assert cancels_done.wait(timeout=WAIT_SECONDS)
            starts = [[started_doc(f"started-by-{s.step_id}")] for s in batch]
            outcomes |= complete_and_start(conn, batch, [{"step": s.step_id} for s in batch], starts)
        return outcomes

    def cancel_parents() -> list[bool]:
        barrier.wait(timeout=WAIT_SECONDS)
        results: list[bool] = []
        try:
            for workflow_id in cancelled_parents:
                row = canceller.execute("SELECT tributary.cancel_workflow(%s)", (workflow_id,)).fetchone()
                assert row is not None
                results.append(bool(row[0]))
        finally:
            cancels_done.set()
        return results

    jobs: list[Callable[[], dict[int, str] | list[bool]]] = [
        *(partial(complete_batches, c, b) for c, b in zip(completers, batches, strict=True)),
        cancel_parents,
    ]
    *per_completer, cancelled = run_in_threads(jobs)
    assert cancelled == [True] * len(cancelled_parents)

    outcomes: dict[int, str] = {}
    for part in per_completer:
        assert isinstance(part, dict)
        outcomes |= part
    assert len(outcomes) == len(claimed)
    parent_of = {s.step_id: s.workflow_id for s in claimed}
    counts = Counter((parent_of[i] in cancelled_parents, outcome) for i, outcome in outcomes.items())
    assert set(counts) <= {(False, "completed"), (True, "completed"), (True, "cancelled")}, counts
    assert counts[(True, "cancelled")] > 0, counts  # at least the last batches' steps

    # The tables agree with the outcomes: the step's state, and what it started.
    rows = setup.execute(
        "SELECT id, state FROM tributary.steps WHERE id = ANY (%s)", ([s.step_id for s in claimed],)
    ).fetchall()
    states = {int(step_id): str(state) for step_id, state in rows}
    assert states == outcomes
    started = Counter(name for name, _, _, _ in workflows_named(setup, "started-by-%"))
    assert started == Counter(f"started-by-{i}" for i, outcome in outcomes.items() if outcome == "completed")
    assert {(total, state) for _, _, total, state in workflows_named(setup, "started-by-%")} == {(1, "running")}
    for workflow_id in parents:
        expected = "cancelled" if workflow_id in cancelled_parents else "completed"
        assert workflow_state(setup, workflow_id) == (expected, 0, True)


def test_a_passing_lock_timeout_fails_the_call_not_the_step(connect: Connect) -> None:
    """A workflow whose idempotency key another transaction is creating makes the creation wait;
    a lock timeout is no fault of the step: the call raises (the worker's report is retried) and
    the step is neither completed nor failed, and completes once the key is free."""
    setup, holder, reporter = read_committed(connect), read_committed(connect), read_committed(connect)
    create_workflow(setup, "keyed", [task("only", queue="keyed")])
    [step] = claim(reporter, "keyed", "worker")
    keyed = {**started_doc("started-keyed"), "idempotency_key": "held"}
    with holder.transaction():
        holder.execute("SELECT tributary.create_workflows(%s)", (Jsonb([keyed]),))  # not committed yet
        reporter.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            complete_and_start(reporter, [step], [None], [[keyed]])
        assert step_row(setup, step.step_id) == ("running", 1, "worker", None, 0)
    reporter.execute("RESET lock_timeout")
    assert complete_and_start(reporter, [step], [None], [[keyed]]) == {step.step_id: "completed"}
    assert [w[0] for w in workflows_named(setup, "started-keyed")] == ["started-keyed"]  # the holder's, once
