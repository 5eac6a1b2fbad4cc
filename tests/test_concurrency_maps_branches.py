"""Map steps and branches under real concurrency (separate connections, threads, lock waits).

* two workers complete the two dependencies of a map at once: the map expands exactly once;
* many workers complete the elements of one map at once: the map completes exactly once, its
  result in element order, and the workflow finalizes once;
* an element completes after its workflow was cancelled (also while the cancel holds the lock):
  nothing is completed, the map stays cancelled;
* a cancel waits for an expansion in progress and then cancels the new elements too;
* a branch choice races the completion of a join's other dependency: the join ends in the state
  the two results imply, exactly once.
"""

from __future__ import annotations

import functools
import threading
from functools import partial
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.engine_helpers import (
    FINALIZED_CHANNEL,
    Claimed,
    Conn,
    backend_pid,
    claim,
    complete_step,
    complete_steps,
    create_workflow,
    drain_notifications,
    finalized,
    run_in_threads,
    step_ids,
    task,
    wait_until_blocked,
    workflow_state,
)
from tests.fix_database import Connect

ROUNDS = 10


def states(conn: Conn, workflow_id: int) -> dict[str, tuple[str, Any]]:
    rows = conn.execute(
        "SELECT task_name, state, result FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)
    ).fetchall()
    return {name: (state, result) for name, state, result in rows}


def finish(barrier: threading.Barrier, conn: Conn, step: Claimed, result: Any) -> None:
    """Completes ``step`` as soon as every thread reached the barrier."""
    barrier.wait()
    complete_step(conn, step.step_id, step.attempt, result)


def claim_task(conn: Conn, queue: str, name: str) -> Claimed:
    [claimed] = claim(conn, queue, f"worker-{name}")  # in claim order: the oldest, lowest id first
    assert claimed.task_name == name
    return claimed


def test_two_dependencies_completed_at_once_expand_the_map_once(connect: Connect) -> None:
    setup, first, second = connect(), connect(), connect()
    for round_ in range(ROUNDS):
        queue = f"race-map-{round_}"
        workflow_id = create_workflow(
            setup,
            "race",
            [
                task("a", queue=queue),
                task("b", queue=queue),
                task("m", queue=queue, depends_on=["a", "b"], map={"over": "a", "path": "items"}),
            ],
        )
        [one, two] = sorted(claim(setup, queue, "w", 2), key=lambda c: c.task_name)
        barrier = threading.Barrier(2)

        run_in_threads(
            [
                partial(finish, barrier, first, one, {"items": [1, 2, 3, 4]}),
                partial(finish, barrier, second, two, {"other": True}),
            ]
        )
        rows = setup.execute(
            "SELECT map_index FROM tributary.steps WHERE workflow_id = %s AND map_step_id IS NOT NULL"
            " ORDER BY map_index",
            (workflow_id,),
        ).fetchall()
        assert [r[0] for r in rows] == [0, 1, 2, 3]
        assert setup.execute(
            "SELECT state, remaining_deps, map_size FROM tributary.steps WHERE workflow_id = %s AND task_name = 'm'",
            (workflow_id,),
        ).fetchone() == ("pending", 4, 4)
        assert setup.execute(
            "SELECT steps_total, steps_unfinished FROM tributary.workflows WHERE id = %s", (workflow_id,)
        ).fetchone() == (7, 5)


def test_the_second_dependency_waits_for_the_first_then_expands_once(connect: Connect) -> None:
    setup, observer = connect(), connect()
    first, second = connect(autocommit=False), connect(autocommit=False)
    queue = "race-map-lock"
    workflow_id = create_workflow(
        setup,
        "race",
        [
            task("a", queue=queue),
            task("b", queue=queue),
            task("m", queue=queue, depends_on=["a", "b"], map={"over": "b"}),
        ],
    )
    [one, two] = sorted(claim(setup, queue, "w", 2), key=lambda c: c.task_name)
    complete_step(first, one.step_id, one.attempt, {"a": 1})  # holds m's row until it commits
    second_pid = backend_pid(second)
    done = threading.Event()

    def second_completes() -> None:
        complete_step(second, two.step_id, two.attempt, ["x", "y"])
        second.commit()
        done.set()

    thread = threading.Thread(target=second_completes)
    thread.start()
    wait_until_blocked(observer, second_pid, unless=done)
    first.commit()
    thread.join(10)
    assert done.is_set()
    assert setup.execute(
        "SELECT count(*) FROM tributary.steps WHERE workflow_id = %s AND map_step_id IS NOT NULL", (workflow_id,)
    ).fetchone() == (2,)
    assert states(setup, workflow_id)["m[1]"] == ("available", None)


def test_elements_completed_by_many_workers_complete_the_map_once_in_order(connect: Connect) -> None:
    setup, listener = connect(), connect()
    listener.execute(f"LISTEN {FINALIZED_CHANNEL}")
    workers = [connect() for _ in range(6)]
    queue = "race-elements"
    n = 60
    workflow_id = create_workflow(
        setup,
        "elements",
        [task("a", queue=queue), task("m", queue=queue, depends_on=["a"], map={"over": "a"})],
    )
    [root] = claim(setup, queue, "root")
    complete_step(setup, root.step_id, root.attempt, list(range(n)))
    ids = step_ids(setup, workflow_id)
    barrier = threading.Barrier(len(workers))

    def work(conn: Conn) -> int:
        barrier.wait()
        completed = 0
        while claimed := claim(conn, queue, f"w-{backend_pid(conn)}", 3):
            # each element's result is its index times ten, reported out of order in batches
            results = [int(c.task_name[2:-1]) * 10 for c in claimed]
            outcomes = complete_steps(conn, claimed[::-1], results[::-1])
            completed += sum(1 for o in outcomes.values() if o == "completed")
        return completed

    counts = run_in_threads([functools.partial(work, c) for c in workers], timeout=60)
    assert sum(counts) == n
    assert states(setup, workflow_id)["m"] == ("completed", [i * 10 for i in range(n)])
    assert workflow_state(setup, workflow_id) == ("completed", 0, True)
    payloads = [finalized(p) for p in drain_notifications(listener, setup, FINALIZED_CHANNEL)]
    assert payloads == [{"workflow_id": workflow_id, "state": "completed"}]
    assert ids["m"] not in (c.step_id for c in claim(setup, queue, "late"))


def test_an_element_completed_after_cancel_changes_nothing(connect: Connect) -> None:
    setup, observer = connect(), connect()
    canceller = connect(autocommit=False)
    worker = connect()
    queue = "race-cancel"
    workflow_id = create_workflow(
        setup,
        "cancel",
        [
            task("a", queue=queue),
            task("m", queue=queue, depends_on=["a"], map={"over": "a"}),
            task("z", queue=queue, depends_on=["m"]),
        ],
    )
    [root] = claim(setup, queue, "root")
    complete_step(setup, root.step_id, root.attempt, ["p", "q"])
    first = claim_task(worker, queue, "m[0]")
    worker_pid = backend_pid(worker)
    second = claim_task(setup, queue, "m[1]")

    # The cancel holds the steps' locks; the element's completion waits for it, then finds it cancelled.
    canceller.execute("SELECT tributary.cancel_workflow(%s, 'stop')", (workflow_id,))
    outcome: dict[int, str] = {}
    done = threading.Event()

    def complete() -> None:
        outcome.update(complete_steps(worker, [first], ["late"]))
        done.set()

    thread = threading.Thread(target=complete)
    thread.start()
    wait_until_blocked(observer, worker_pid, unless=done)
    canceller.commit()
    thread.join(10)
    assert outcome == {first.step_id: "cancelled"}
    # And after the cancel committed, plainly.
    assert complete_steps(setup, [second], ["later"]) == {second.step_id: "cancelled"}
    assert {name: state for name, (state, _) in states(setup, workflow_id).items()} == {
        "a": "completed",
        "m": "cancelled",
        "z": "cancelled",
        "m[0]": "cancelled",
        "m[1]": "cancelled",
    }
    assert workflow_state(setup, workflow_id) == ("cancelled", 0, True)


def test_a_branch_choice_races_the_join_s_other_dependency(connect: Connect) -> None:
    setup, first, second = connect(), connect(), connect()
    for round_ in range(ROUNDS):
        queue = f"race-branch-{round_}"
        go = round_ % 2 == 0
        workflow_id = create_workflow(
            setup,
            "branch",
            [
                task("decide", queue=queue),
                task("other", queue=queue),
                task("x", queue=queue, depends_on=["decide"], run_if={"decide": {"go": True}}),
                task("any", queue=queue, depends_on=["x", "other"], run_when="any_completed"),
                task("all", queue=queue, depends_on=["x", "other"]),
            ],
        )
        [decide, other] = sorted(claim(setup, queue, "w", 2), key=lambda c: c.task_name)
        barrier = threading.Barrier(2)

        run_in_threads(
            [partial(finish, barrier, first, decide, {"go": go}), partial(finish, barrier, second, other, {"o": 1})]
        )
        now = {name: state for name, (state, _) in states(setup, workflow_id).items()}
        if go:
            assert (now["x"], now["any"], now["all"]) == ("available", "pending", "pending")
            [x] = claim(setup, queue, "w")
            complete_step(setup, x.step_id, x.attempt, {"x": 1})
            now = {name: state for name, (state, _) in states(setup, workflow_id).items()}
            assert (now["any"], now["all"]) == ("available", "available")
        else:
            assert (now["x"], now["any"], now["all"]) == ("skipped", "available", "skipped")
        ready = claim(setup, queue, "w", 10)
        assert sorted(c.task_name for c in ready) == (["all", "any"] if go else ["any"])
        complete_steps(setup, ready, [None] * len(ready))
        assert workflow_state(setup, workflow_id) == ("completed", 0, True)


def test_a_bad_map_never_fails_the_worker_s_completion(connect: Connect) -> None:
    setup = connect()
    queue = "poison"
    workflow_id = create_workflow(
        setup, "poison", [task("a", queue=queue), task("m", queue=queue, depends_on=["a"], map={"over": "a"})]
    )
    [root] = claim(setup, queue, "w")
    assert complete_steps(setup, [root], [{"not": "an array"}]) == {root.step_id: "completed"}
    row = setup.execute(
        "SELECT state, errors->0->>'sqlstate' FROM tributary.steps WHERE workflow_id = %s AND task_name = 'm'",
        (workflow_id,),
    ).fetchone()
    assert row == ("discarded", "TB322")
    assert workflow_state(setup, workflow_id) == ("failed", 0, True)
    with pytest.raises(psycopg.Error) as refused:
        setup.execute(
            "SELECT tributary.create_workflow('w', %s)",
            (Jsonb([task("a"), task("m", depends_on=["a"], map={"over": "b"})]),),
        )
    assert refused.value.sqlstate == "TB320"


def test_a_cancel_waiting_on_an_expansion_cancels_the_new_elements(connect: Connect) -> None:
    setup, observer, canceller = connect(), connect(), connect()
    expander = connect(autocommit=False)
    queue = "race-expand-cancel"
    workflow_id = create_workflow(
        setup, "expand", [task("a", queue=queue), task("m", queue=queue, depends_on=["a"], map={"over": "a"})]
    )
    [root] = claim(setup, queue, "root")
    complete_step(expander, root.step_id, root.attempt, list(range(5)))  # expanded, not committed
    canceller_pid = backend_pid(canceller)
    done = threading.Event()

    def cancel() -> None:
        canceller.execute("SELECT tributary.cancel_workflow(%s, 'stop')", (workflow_id,))
        done.set()

    thread = threading.Thread(target=cancel)
    thread.start()
    wait_until_blocked(observer, canceller_pid, unless=done)
    expander.commit()
    thread.join(10)
    assert done.is_set()
    now = states(setup, workflow_id)
    assert {name: state for name, (state, _) in now.items()} == {
        "a": "completed",
        "m": "cancelled",
        **{f"m[{i}]": "cancelled" for i in range(5)},
    }
    assert workflow_state(setup, workflow_id) == ("cancelled", 0, True)
    assert claim(setup, queue, "late") == []
