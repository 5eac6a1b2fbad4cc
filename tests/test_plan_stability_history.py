"""Every engine function reads by key next to a history, from a session's eleventh call on.

PostgreSQL plans a statement of a PL/pgSQL function afresh for its first five calls in a session
and may then switch to a generic plan made without the parameters' values; without statistics
(as after any burst, before autovacuum's analyze) that generic plan was a walk of a whole index
in ``_resolve_workflow``. This test builds a history (finished steps and steps delayed a day on
the same queue, waiting steps, kept events, finished parents and children, maps and skipped
branches), never analyzed, then in one new session calls every engine function more than
10 times and has ``auto_explain`` print every statement of the next call: none may read a whole
table or index. Then the same after ``ANALYZE``.
"""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.engine_helpers import Conn, claim, complete_steps
from tests.fix_database import Connect
from tests.test_plan_stability import explained, unbounded_index_scans

HISTORY = 2_000
QUEUE = "history"
CALLS = 11
# Read whole by design: it holds only the workflows inserted directly and not yet resolved.
SMALL_BY_DESIGN = ("workflows_unresolved_idx",)


def whole_reads(plan: str) -> list[str]:
    """Nodes of ``plan`` that read a whole table or index (a bitmap or index scan with an Index
    Cond reads by key, whatever joins it)."""
    found = [line.strip() for line in plan.splitlines() if "Seq Scan on" in line]
    return found + [scan for scan in unbounded_index_scans(plan) if not any(name in scan for name in SMALL_BY_DESIGN)]


def one_step(name: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "tasks": [{"name": "job", "kind": "noop", "queue": QUEUE, **options}]}


def build_history(conn: Conn) -> None:
    """HISTORY finished one-step workflows, HISTORY finished steps of chains, HISTORY delayed steps."""
    conn.execute("SELECT tributary.create_workflows(%s)", (Jsonb([one_step("old") for _ in range(HISTORY)]),))
    chain = [
        {"name": f"c{i}", "kind": "noop", "queue": QUEUE, **({"depends_on": [f"c{i - 1}"]} if i else {})}
        for i in range(4)
    ]
    conn.execute(
        "SELECT tributary.create_workflows(%s)", (Jsonb([{"name": "chain", "tasks": chain}] * (HISTORY // 4)),)
    )
    while done := claim(conn, QUEUE, "history", HISTORY):
        complete_steps(conn, done)
    conn.execute(
        "SELECT tributary.create_workflows(%s)",
        (Jsonb([{**one_step("delayed"), "scheduled_at": "2999-01-01T00:00:00Z"} for _ in range(HISTORY)]),),
    )
    # Steps waiting (for an event, with a timer far away) and keyed events nobody waits for.
    waiting = {"name": "waiting", "tasks": [{"name": "w", "wait_for": {"event": "go", "timeout": "300 days"}}]}
    conn.execute("SELECT tributary.create_workflows(%s)", (Jsonb([waiting] * HISTORY),))
    for i in range(HISTORY // 10):
        conn.execute("SELECT tributary.send_event('kept', NULL, p_key => %s)", (f"history:{i}",))
    # Finished parents with their children, and finished maps with their elements and a skipped branch.
    parents = [{"name": "parent", "tasks": [{"name": "p", "kind": "noop", "queue": "history-parents"}]}]
    conn.execute("SELECT tributary.create_workflows(%s)", (Jsonb(parents * (HISTORY // 10)),))
    for p in claim(conn, "history-parents", "history", HISTORY):
        conn.execute(
            "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)",
            (p.step_id, p.attempt, Jsonb([{"name": "x", "kind": "noop", "queue": "history-children"}])),
        )
    maps = [
        {"name": "a", "kind": "noop", "queue": "history-maps"},
        {"name": "m", "kind": "noop", "queue": "history-maps", "depends_on": ["a"], "map": {"over": "a"}},
        {"name": "b", "kind": "noop", "queue": "history-maps", "depends_on": ["a"], "run_if": {"a": "never"}},
    ]
    conn.execute("SELECT tributary.create_workflows(%s)", (Jsonb([{"name": "map", "tasks": maps}] * (HISTORY // 10)),))
    for queue in ("history-children", "history-maps"):
        while done := claim(conn, queue, "history", HISTORY):
            complete_steps(conn, done, [[1, 2, 3] if s.task_name == "a" else None for s in done])
    finished = conn.execute(
        "SELECT count(*) FILTER (WHERE name = 'parent'), count(*) FILTER (WHERE name = 'child'),"
        " count(*) FILTER (WHERE name = 'map') FROM tributary.workflows WHERE state = 'completed'"
    ).fetchone()
    assert finished == (HISTORY // 10,) * 3, finished


def exercise_every_function(conn: Conn) -> None:
    """One call of every engine function, on rows of its own."""
    wf = conn.execute("SELECT tributary.create_workflow('job', %s)", (Jsonb(one_step("job")["tasks"]),)).fetchone()
    assert wf is not None
    with conn.transaction():
        direct = conn.execute("INSERT INTO tributary.workflows (name) VALUES ('direct') RETURNING id").fetchone()
        assert direct is not None
        conn.execute(
            "INSERT INTO tributary.steps (workflow_id, task_name, kind, queue) VALUES (%s, 'job', 'noop', 'direct')",
            (direct[0],),
        )
    conn.execute("SELECT tributary.create_workflows(%s)", (Jsonb([one_step("batch"), one_step("batch")]),))
    steps = claim(conn, QUEUE, "w", 3)
    first = steps[0]
    conn.execute("SELECT tributary.heartbeat(%s, %s)", (first.step_id, first.attempt))
    conn.execute("SELECT tributary.heartbeat_steps(%s::bigint[], %s::integer[])", ([first.step_id], [first.attempt]))
    conn.execute("SELECT tributary.fail_step(%s, %s, '\"again\"', true)", (first.step_id, first.attempt))
    conn.execute(
        "SELECT tributary.release_steps(%s::bigint[], %s::integer[])",
        ([s.step_id for s in steps[1:]], [s.attempt for s in steps[1:]]),
    )
    conn.execute("SELECT tributary.rescue_expired_steps()")
    conn.execute(
        "UPDATE tributary.steps SET retry_backoff = '0' WHERE workflow_id = %s", (wf[0],)
    )  # claimable again at once
    again = claim(conn, QUEUE, "w", 3)
    complete_steps(conn, again[1:])
    conn.execute("SELECT tributary.complete_step(%s, %s, '{}')", (again[0].step_id, again[0].attempt))
    conn.execute("SELECT tributary.get_workflow(%s)", (wf[0],))
    pair = conn.execute(
        "SELECT tributary.create_workflow('pair', %s)",
        (
            Jsonb(
                [
                    {"name": "a", "kind": "noop", "queue": QUEUE},
                    {"name": "b", "kind": "noop", "queue": QUEUE, "depends_on": ["a"]},
                ]
            ),
        ),
    ).fetchone()
    assert pair is not None
    conn.execute("SELECT tributary.cancel_workflow(%s)", (pair[0],))
    conn.execute("SELECT tributary.retry_workflow(%s)", (pair[0],))
    (a,) = claim(conn, QUEUE, "w", 1)
    conn.execute("SELECT tributary.fail_step(%s, %s, '\"no\"', false)", (a.step_id, a.attempt))  # discards a, cancels b
    conn.execute("SELECT tributary.retry_step(%s)", (a.step_id,))
    conn.execute("SELECT tributary.cancel_workflow(%s)", (pair[0],))
    conn.execute("SELECT tributary.prune_finished('1 day')")
    # And a prune that deletes (two history workflows a call): the delete triggers' statements.
    conn.execute("SELECT tributary.prune_finished('0 seconds', 2)")
    exercise_start(conn)
    exercise_waits(conn)


def exercise_start(conn: Conn) -> None:
    """complete_steps_and_start: a completion that starts a workflow and claims its step in the
    same call (complete_steps_and_claim within), then that step's completion."""
    conn.execute(
        "SELECT tributary.create_workflow('starter', %s)",
        (Jsonb([{"name": "s", "kind": "noop", "queue": "starting"}]),),
    )
    (starter,) = claim(conn, "starting", "w", 1)
    started = Jsonb([{"name": "started", "tasks": [{"name": "t", "kind": "noop", "queue": "starting"}]}])
    rows = conn.execute(
        "SELECT outcome, step_id, attempt FROM tributary.complete_steps_and_start("
        "%s::bigint[], %s::integer[], '{null}', %s::jsonb[], 'w', '{starting}', '{2}')",
        ([starter.step_id], [starter.attempt], [started]),
    ).fetchall()
    claimed = [(step_id, attempt) for outcome, step_id, attempt in rows if outcome is None]
    assert [outcome for outcome, _, _ in rows if outcome is not None] == ["completed"], rows
    assert len(claimed) == 1, rows
    conn.execute("SELECT tributary.complete_steps(%s::bigint[], %s::integer[])", ([claimed[0][0]], [claimed[0][1]]))


def exercise_waits(conn: Conn) -> None:
    """Waits, sleeps and child workflows: send_event (to a workflow, by key, kept), wake_due_steps,
    spawn_child_workflow, a child's completion resuming its parent, a cancel reaching a child."""
    waits = conn.execute(
        "SELECT tributary.create_workflow('waits', %s)",
        (
            Jsonb(
                [
                    {"name": "e", "wait_for": {"event": "go"}},
                    {"name": "k", "wait_for": {"event": "go", "key": "k"}},
                    {"name": "s", "sleep": 0},
                    {"name": "after", "kind": "noop", "queue": "waits", "depends_on": ["e", "k", "s"]},
                ]
            ),
        ),
    ).fetchone()
    assert waits is not None
    conn.execute("SELECT tributary.send_event('go', '1', p_workflow_id => %s)", (waits[0],))
    conn.execute("SELECT tributary.send_event('go', '2', p_key => 'k')")
    conn.execute("SELECT tributary.send_event('early', '3', p_key => 'nobody')")  # kept
    conn.execute("SELECT tributary.wake_due_steps()")
    for cancel in (False, True):
        parent_tasks = Jsonb([{"name": "p", "kind": "noop", "queue": "spawn"}])
        parent = conn.execute("SELECT tributary.create_workflow('parent', %s)", (parent_tasks,)).fetchone()
        assert parent is not None
        (p,) = claim(conn, "spawn", "w", 1)
        conn.execute(
            "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)",
            (p.step_id, p.attempt, Jsonb([{"name": "x", "kind": "noop", "queue": "spawn"}])),
        )
        if cancel:
            conn.execute("SELECT tributary.cancel_workflow(%s)", (parent[0],))
        else:
            complete_steps(conn, claim(conn, "spawn", "w", 1))  # the child completes, then its parent step


LIMITED = "limited"


def set_limits(conn: Conn) -> None:
    """Limits far above the load on the queue LIMITED and the key k:1: claims take the limited path."""
    conn.execute(f"SELECT tributary.set_concurrency_limit('queue', '{LIMITED}', 100000)")
    conn.execute(f"SELECT tributary.set_rate_limit('queue', '{LIMITED}', 100000, '1 second')")
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'k:1', 100000)")
    conn.execute("SELECT tributary.set_rate_limit('key', 'k:1', 100000, '1 second')")


def exercise_limits(conn: Conn) -> None:
    """Claims under a queue's and a key's concurrency and rate limits, and their completions."""
    tasks = [
        {"name": "keyed", "kind": "noop", "queue": LIMITED, "concurrency_key": "k:1"},
        {"name": "other_key", "kind": "noop", "queue": LIMITED, "concurrency_key": "k:2"},
        {"name": "no_key", "kind": "noop", "queue": LIMITED},
    ]
    conn.execute("SELECT tributary.create_workflow('limited', %s)", (Jsonb(tasks),))
    complete_steps(conn, claim(conn, LIMITED, "w", 3))
    conn.execute("SELECT tributary.claim_retry_in(%s)", (LIMITED,))


def plans_after_warm_up(connect: Connect, limits: bool = False) -> list[str]:
    conn = connect()

    def exercise() -> None:
        exercise_every_function(conn)
        if limits:
            exercise_limits(conn)

    for _ in range(CALLS):
        exercise()
    plans = explained(conn, exercise)
    own = ("UPDATE tributary.steps SET retry_backoff",)  # this test's statement
    return [p for p in plans if not any(text in p for text in own)]


@pytest.mark.parametrize("statistics", ["never analyzed", "analyzed"])
def test_no_statement_reads_a_whole_table_or_index_after_ten_calls(connect: Connect, statistics: str) -> None:
    conn = connect()
    build_history(conn)
    if statistics == "analyzed":
        conn.execute("ANALYZE tributary.workflows, tributary.steps, tributary.step_dependencies")
    plans = plans_after_warm_up(connect)

    assert len(plans) >= 30, plans
    for index in ("steps_pkey", "steps_ready_idx", "steps_task_name_unique_in_workflow", "workflows_unresolved_idx"):
        assert any(index in p for p in plans), f"no statement read {index}"
    offending = [p for p in plans if whole_reads(p)]
    assert offending == [], "\n\n".join(offending)


@pytest.mark.parametrize("statistics", ["never analyzed", "analyzed"])
def test_claims_under_limits_read_by_key_next_to_a_history(connect: Connect, statistics: str) -> None:
    """The same with concurrency and rate limits on a queue and a key: the running steps are
    counted on steps_running_queue_idx and steps_running_key_idx, never by a whole read."""
    conn = connect()
    build_history(conn)
    set_limits(conn)
    if statistics == "analyzed":
        conn.execute("ANALYZE tributary.workflows, tributary.steps, tributary.step_dependencies, tributary.flow_limits")
    plans = plans_after_warm_up(connect, limits=True)

    for index in ("steps_running_queue_idx", "steps_running_key_idx", "flow_limits_pkey", "steps_ready_idx"):
        assert any(index in p for p in plans), f"no statement read {index}"
    offending = [p for p in plans if whole_reads(p)]
    assert offending == [], "\n\n".join(offending)
