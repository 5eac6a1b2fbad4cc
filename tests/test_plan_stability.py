"""The plans the worker functions cache stay index scans as the tables grow.

The functions workers call over and over (claim, complete, heartbeat, fail, release, rescue and
their helpers) plan each statement once per session (``force_generic_plan``) with sequential
scans, bitmap scans, hash joins and merge joins disabled. A session that made its plans while the
tables were almost empty must therefore still read only the rows at hand once they are large:
this test makes the plans on a nearly empty database, grows it to thousands of finished and
pending steps in the same session, then has ``auto_explain`` print every statement those
functions run.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from tests.engine_helpers import Conn, claim, complete_steps, create_workflow, task
from tests.fix_database import Connect

GROWTH = 3_000
# Plan nodes that read a table or an index whole, or join by reading both sides whole.
WHOLE_READS = ("Seq Scan", "Bitmap Heap Scan", "Hash Join", "Merge Join")


def unbounded_index_scans(plan: str) -> list[str]:
    """Index scans of ``plan`` (auto_explain text) with no Index Cond: they read the whole index."""
    lines = plan.splitlines()
    found = []
    for n, line in enumerate(lines):
        if not any(node in line for node in ("Index Scan using", "Index Only Scan using", "Bitmap Index Scan on")):
            continue
        depth = len(line) - len(line.lstrip(" ->"))
        details = []
        for below in lines[n + 1 :]:  # the node's own lines, up to the next node
            if below.lstrip().startswith("->") or len(below) - len(below.lstrip(" ")) <= depth:
                break
            details.append(below)
        if not any("Index Cond:" in d for d in details):
            found.append(line.strip())
    return found


def explained(conn: Conn, action: Callable[[], None]) -> list[str]:
    """The plan of every statement ``action`` runs on ``conn``, nested ones included, as
    ``auto_explain`` prints them (skips the test when the role may not load it)."""
    try:
        conn.execute("LOAD 'auto_explain'")
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("LOAD 'auto_explain' needs a superuser")
    for setting in (
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_nested_statements = on",
        "client_min_messages = log",
    ):
        conn.execute(f"SET {setting}")
    plans: list[str] = []
    conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    action()
    conn.execute("RESET client_min_messages")
    return plans


def create_chain(conn: Conn, queue: str) -> None:
    """A two-step chain on its own queue; the second step may be retried at once."""
    create_workflow(
        conn,
        queue,
        [
            task("first", queue=queue),
            task("second", queue=queue, depends_on=["first"], retry_backoff=0, max_attempts=3),
            task("third", queue=queue, depends_on=["second"]),
        ],
    )


def exercise_worker_functions(conn: Conn, queue: str) -> None:
    """One of every worker call on a chain of create_chain: claim, heartbeat, complete (unlocking
    the second step), claim, fail with a retry, claim, release, a rescue pass, claim, and a failure
    that discards the step and cancels the one after it."""
    first = claim(conn, queue, "w", 1)[0]
    conn.execute("SELECT tributary.heartbeat_steps(%s::bigint[], %s::integer[])", ([first.step_id], [first.attempt]))
    complete_steps(conn, [first], [{"ok": True}])
    second = claim(conn, queue, "w", 1)[0]
    conn.execute('SELECT tributary.fail_step(%s, %s, \'{"message": "again"}\', true)', (second.step_id, second.attempt))
    again = claim(conn, queue, "w", 1)[0]
    conn.execute("SELECT tributary.release_steps(%s::bigint[], %s::integer[])", ([again.step_id], [again.attempt]))
    conn.execute("SELECT tributary.rescue_expired_steps()")
    last = claim(conn, queue, "w", 1)[0]  # discarded: its dependent is cancelled
    conn.execute('SELECT tributary.fail_step(%s, %s, \'{"message": "no"}\', false)', (last.step_id, last.attempt))


def test_plans_made_on_an_empty_database_stay_index_scans_after_growth(connect: Connect) -> None:
    conn = connect()
    create_chain(conn, "planned-while-empty")
    exercise_worker_functions(conn, "planned-while-empty")

    # Grow in the same session: GROWTH completed steps, GROWTH pending behind a gate.
    create_workflow(conn, "history", [task(f"h{i}") for i in range(GROWTH)])
    done = claim(conn, "default", "bulk", GROWTH)
    complete_steps(conn, done)
    create_workflow(
        conn,
        "waiting",
        [task("gate", queue="never")] + [task(f"p{i}", depends_on=["gate"]) for i in range(GROWTH)],
    )

    create_chain(conn, "after-growth")

    plans = explained(conn, lambda: exercise_worker_functions(conn, "after-growth"))

    statements = [p for p in plans if "tributary.steps" in p]
    assert len(statements) >= 10, plans
    assert any("steps_ready_idx" in p for p in statements), "the claim reads the ready index"
    assert any("steps_pkey" in p for p in statements), "steps are found by primary key"
    whole_reads = [p for p in statements if any(node in p for node in WHOLE_READS) or unbounded_index_scans(p)]
    assert whole_reads == [], "\n\n".join(whole_reads)
    by_lease = [p for p in statements if "steps_lease_expiry_idx" in p and "lease_expires_at < v_now" not in p]
    assert by_lease == [], "only the rescue reads the lease index:\n" + "\n\n".join(by_lease)
