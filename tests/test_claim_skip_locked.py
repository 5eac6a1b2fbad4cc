"""claim_step skips a step another transaction has locked, at once: it never waits for the lock.

The claiming session runs under a short ``lock_timeout``, so if the claim waited (a claim
without SKIP LOCKED), the test fails with lock_not_available within that timeout instead of
hanging until the lock holder lets go.
"""

from __future__ import annotations

import time

from psycopg import errors as pgerrors

from tests.fix_database import Connect

LOCK_TIMEOUT_MS = 500


def test_a_locked_step_is_skipped_at_once(connect: Connect) -> None:
    setup = connect()
    workflow_id = setup.execute(
        """SELECT tributary.create_workflow('locked', '[{"name": "first", "kind": "k", "queue": "skip", "priority": 1},
                                                       {"name": "second", "kind": "k", "queue": "skip"}]')"""
    ).fetchone()
    assert workflow_id is not None
    ids: dict[str, int] = dict(
        setup.execute("SELECT task_name, id FROM tributary.steps WHERE workflow_id = %s", workflow_id).fetchall()
    )

    holder = connect(autocommit=False)  # holds the row lock a slow claimer would hold
    holder.execute("SELECT 1 FROM tributary.steps WHERE id = %s FOR UPDATE", (ids["first"],))

    claimer = connect()
    claimer.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    started = time.monotonic()
    try:
        claimed = claimer.execute("SELECT step_id FROM tributary.claim_step('skip', 'w', 2)").fetchall()
    except pgerrors.LockNotAvailable as error:
        raise AssertionError("claim_step waited for a locked step instead of skipping it") from error
    elapsed_ms = (time.monotonic() - started) * 1000
    assert claimed == [(ids["second"],)], "the locked step is skipped, the next one is claimed"
    assert elapsed_ms < LOCK_TIMEOUT_MS, f"the claim took {elapsed_ms:.0f} ms"

    # With only the locked step left, the claim returns nothing, at once.
    assert claimer.execute("SELECT step_id FROM tributary.claim_step('skip', 'w', 2)").fetchall() == []
    holder.rollback()
    assert claimer.execute("SELECT step_id FROM tributary.claim_step('skip', 'w', 2)").fetchall() == [
        (ids["first"],)
    ], "once the lock is gone the step is claimed"


def test_a_claim_never_blocks_on_a_claim_in_progress(connect: Connect) -> None:
    """Two claimers of one queue: the second does not wait for the first's open transaction."""
    setup = connect()
    setup.execute("""SELECT tributary.create_workflow('two', '[{"name": "a", "kind": "k", "queue": "pair"},
                                                              {"name": "b", "kind": "k", "queue": "pair"}]')""")
    first = connect(autocommit=False)
    (first_claim,) = first.execute("SELECT step_id FROM tributary.claim_step('pair', 'w1')").fetchall()
    second = connect()
    second.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    second_claim = second.execute("SELECT step_id FROM tributary.claim_step('pair', 'w2')").fetchall()
    assert len(second_claim) == 1
    assert second_claim[0] != first_claim, "each claimer gets its own step"
    first.rollback()
