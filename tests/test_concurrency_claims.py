"""Invariant 1 under load: 8 workers claiming at once never hold the same step.

2,000 independent steps are drained by 8 connections in 8 threads, each claiming batches of
10 with claim_step (FOR UPDATE SKIP LOCKED) and completing them with complete_steps, either in
the next transaction (what tributary.runner does) or in the claiming transaction itself. Every
step must be claimed exactly once, completed exactly once with its claimant's result, and each
workflow must finalize 'completed' exactly once.

Regression (same-transaction mode): while steps had a foreign key to workflows, a step row
updated twice in one transaction (claim then complete) fired its check, which takes FOR KEY SHARE
on the workflow row; with a plain FOR UPDATE there two such transactions deadlocked. The engine
locks rows with FOR NO KEY UPDATE, which does not conflict with FOR KEY SHARE (events and a
caller's own tables may still refer to workflows: test_concurrency_finalize.py tests that).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

import pytest

from tests.engine_helpers import (
    FINALIZED_CHANNEL,
    WAIT_SECONDS,
    Claimed,
    Conn,
    claim,
    complete_steps,
    create_workflow,
    drain_notifications,
    fast_deadlock_detection,
    finalized,
    run_in_threads,
    task,
    workflow_state,
)
from tests.fix_database import Connect

QUEUE = "bulk"
WORKERS = 8
BATCH = 10
TOTAL_STEPS = 2_000


@dataclass
class WorkerLog:
    """What one worker thread saw: every step it claimed and every outcome it was told."""

    worker_id: str
    claimed: list[Claimed] = field(default_factory=list)
    outcomes: list[tuple[int, str]] = field(default_factory=list)


def drain_queue(
    conn: Conn, worker_id: str, barrier: threading.Barrier, same_tx: bool, stop: threading.Event
) -> WorkerLog:
    """Claims and completes batches until the queue is empty (bounded number of rounds).

    A worker that fails sets ``stop`` so the others give up too instead of running on.
    """
    log = WorkerLog(worker_id)
    barrier.wait(timeout=WAIT_SECONDS)
    try:
        for _ in range(TOTAL_STEPS):  # more rounds than steps: a bound, never reached
            if stop.is_set():
                return log
            with conn.transaction():
                batch = claim(conn, QUEUE, worker_id, BATCH)
                results = [{"by": worker_id} for _ in batch]
                outcomes = complete_steps(conn, batch, results) if batch and same_tx else {}
            if not batch:
                return log
            if not same_tx:
                with conn.transaction():
                    outcomes = complete_steps(conn, batch, results)
            log.claimed.extend(batch)
            log.outcomes.extend(outcomes.items())
    except BaseException:
        stop.set()
        raise
    raise AssertionError(f"{worker_id} still claiming after {TOTAL_STEPS} rounds")


@pytest.mark.parametrize("workflows", [1, 4], ids=["one-workflow", "four-workflows"])
@pytest.mark.parametrize(
    "same_tx",
    [
        pytest.param(False, id="complete-in-next-tx"),
        pytest.param(True, id="complete-in-claiming-tx"),
    ],
)
def test_parallel_claims_never_share_a_step(connect: Connect, workflows: int, same_tx: bool) -> None:
    setup = connect()
    per_workflow = TOTAL_STEPS // workflows
    workflow_ids = [
        create_workflow(setup, f"bulk-{w}", [task(f"t{i}", queue=QUEUE) for i in range(per_workflow)])
        for w in range(workflows)
    ]
    all_steps = {
        int(r[0])
        for r in setup.execute(
            "SELECT id FROM tributary.steps WHERE workflow_id = ANY (%s)", (workflow_ids,)
        ).fetchall()
    }
    assert len(all_steps) == TOTAL_STEPS

    listener = connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")

    barrier = threading.Barrier(WORKERS)
    stop = threading.Event()
    connections = [connect() for _ in range(WORKERS)]
    for c in connections:
        fast_deadlock_detection(c)
    logs = run_in_threads(
        [partial(drain_queue, c, f"worker-{i}", barrier, same_tx, stop) for i, c in enumerate(connections)],
        timeout=30,
    )

    claims = [s.step_id for log in logs for s in log.claimed]
    twice = [step for step, n in Counter(claims).items() if n > 1]
    assert twice == [], f"steps claimed more than once: {twice[:10]}"
    assert len(claims) == TOTAL_STEPS
    assert set(claims) == all_steps
    assert all(s.attempt == 1 for log in logs for s in log.claimed)
    busy = [log.worker_id for log in logs if log.claimed]
    assert len(busy) >= 2, f"only {busy} claimed anything: the run was not concurrent"

    outcomes = [(step, outcome) for log in logs for step, outcome in log.outcomes]
    assert len(outcomes) == TOTAL_STEPS
    assert {outcome for _, outcome in outcomes} == {"completed"}
    assert {step for step, _ in outcomes} == all_steps

    # Stored state: each step completed once, at attempt 1, by its claimant, with its result.
    claimant = {s.step_id: log.worker_id for log in logs for s in log.claimed}
    rows = setup.execute(
        "SELECT id, state, attempt, worker_id, result->>'by' FROM tributary.steps WHERE workflow_id = ANY (%s)",
        (workflow_ids,),
    ).fetchall()
    wrong = [r for r in rows if (r[1], r[2], r[3], r[4]) != ("completed", 1, claimant[r[0]], claimant[r[0]])]
    assert wrong == [], f"steps not completed once by their claimant: {wrong[:5]}"

    for workflow_id in workflow_ids:
        assert workflow_state(setup, workflow_id) == ("completed", 0, True)
    payloads = [finalized(p) for p in drain_notifications(listener, setup, FINALIZED_CHANNEL)]
    assert sorted(payloads, key=lambda p: int(p["workflow_id"])) == [
        {"workflow_id": w, "state": "completed"} for w in sorted(workflow_ids)
    ]
