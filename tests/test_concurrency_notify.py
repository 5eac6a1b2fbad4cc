"""Wake-ups on tributary_step_available, seen by a real LISTENing connection.

The engine notifies once per queue per transaction that made steps claimable now (payload: the
queue name), never for a step that only becomes claimable later, never from a rolled-back
transaction. Each check sends a sentinel notification after the action and collects what
arrived before it (notifications are delivered in commit order), so "exactly these" is
asserted without sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from functools import partial

import pytest
from psycopg.types.json import Jsonb

from tests.engine_helpers import (
    AVAILABLE_CHANNEL,
    WAIT_SECONDS,
    Claimed,
    Conn,
    claim,
    complete_step,
    complete_steps,
    create_workflow,
    drain_notifications,
    run_in_threads,
    step_ids,
    task,
)
from tests.fix_database import Connect


@pytest.fixture
def listener(connect: Connect) -> Conn:
    conn = connect()
    conn.execute(f"LISTEN {AVAILABLE_CHANNEL}")
    return conn


@pytest.fixture
def actor(connect: Connect) -> Conn:
    return connect()


def woken(listener: Conn, actor: Conn) -> list[str]:
    """Queues notified since the last call, in commit order."""
    return drain_notifications(listener, actor, AVAILABLE_CHANNEL)


def db_now(conn: Conn) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def test_fifty_roots_in_one_transaction_notify_their_queue_once(listener: Conn, actor: Conn) -> None:
    create_workflow(
        actor,
        "wide",
        [task(f"r{i}", queue="q1") for i in range(50)] + [task("then", queue="q2", depends_on=["r0"])],
    )
    assert woken(listener, actor) == ["q1"]  # q2's step is pending: no wake-up for it

    with actor.transaction():
        create_workflow(actor, "wide-2", [task(f"r{i}", queue="q1") for i in range(50)])
        create_workflow(actor, "wide-3", [task(f"r{i}", queue="q1") for i in range(50)])
    assert woken(listener, actor) == ["q1"]


def test_rolled_back_creation_notifies_nothing(listener: Conn, actor: Conn) -> None:
    actor.execute("BEGIN")
    create_workflow(actor, "undone", [task("r", queue="q1")])
    actor.execute("ROLLBACK")
    assert woken(listener, actor) == []


def test_concurrent_transactions_each_notify(listener: Conn, connect: Connect) -> None:
    """Coalescing is per transaction: four parallel creations wake the queue four times."""
    creators = [connect() for _ in range(4)]
    barrier = threading.Barrier(len(creators))

    def create(conn: Conn, n: int) -> int:
        barrier.wait(timeout=WAIT_SECONDS)
        return create_workflow(conn, f"par-{n}", [task(f"r{i}", queue="q1") for i in range(10)])

    run_in_threads([partial(create, c, n) for n, c in enumerate(creators)])
    assert woken(listener, creators[0]) == ["q1"] * 4


def test_completion_that_unlocks_dependents_notifies_their_queue(listener: Conn, actor: Conn) -> None:
    workflow_id = create_workflow(
        actor,
        "unlock",
        [
            task("root", queue="q1"),
            task("other", queue="q1"),
            task("left", queue="q2", depends_on=["root"]),
            task("right", queue="q2", depends_on=["root"]),
            task("join", queue="q3", depends_on=["left", "right"]),
        ],
    )
    assert woken(listener, actor) == ["q1"]
    ids = step_ids(actor, workflow_id)

    claimed = {s.task_name: s for s in claim(actor, "q1", "w", 2)}
    assert woken(listener, actor) == []  # claiming wakes nobody
    complete_step(actor, claimed["other"].step_id, 1)
    assert woken(listener, actor) == []  # no dependents
    complete_step(actor, ids["root"], 1)
    assert woken(listener, actor) == ["q2"]  # two q2 steps unlocked: one wake-up

    left_right = claim(actor, "q2", "w", 2)
    assert {s.task_name for s in left_right} == {"left", "right"}
    complete_step(actor, ids["left"], 1)
    assert woken(listener, actor) == []  # join still waits for right
    assert complete_steps(actor, [s for s in left_right if s.task_name == "right"]) == {ids["right"]: "completed"}
    assert woken(listener, actor) == ["q3"]


def test_no_notification_for_steps_scheduled_in_the_future(listener: Conn, actor: Conn) -> None:
    later = db_now(actor) + timedelta(hours=1)
    create_workflow(actor, "later", [task("r", queue="q1")], scheduled_at=later)
    assert woken(listener, actor) == []

    create_workflow(actor, "later-task", [task("r", queue="q1", scheduled_at=later.isoformat())])
    assert woken(listener, actor) == []

    workflow_id = create_workflow(
        actor,
        "later-dependent",
        [task("now", queue="q2"), task("then", queue="q3", depends_on=["now"], scheduled_at=later.isoformat())],
    )
    assert woken(listener, actor) == ["q2"]
    [now] = claim(actor, "q2", "w")
    complete_step(actor, now.step_id, now.attempt)
    assert woken(listener, actor) == []  # "then" is available, but only in an hour
    state = actor.execute(
        "SELECT state FROM tributary.steps WHERE id = %s", (step_ids(actor, workflow_id)["then"],)
    ).fetchone()
    assert state == ("available",)


@pytest.mark.parametrize(("backoff", "expected"), [(60, []), (0, ["q4"])])
def test_retry_notifies_only_when_due_now(listener: Conn, actor: Conn, backoff: int, expected: list[str]) -> None:
    create_workflow(actor, "retry", [task("r", queue="q4", retry_backoff=backoff)])
    assert woken(listener, actor) == ["q4"]
    [step] = claim(actor, "q4", "w")
    actor.execute("SELECT tributary.fail_step(%s, %s, %s)", (step.step_id, step.attempt, Jsonb("flaky")))
    assert woken(listener, actor) == expected


def complete_and_claim(actor: Conn, done: Claimed, claims: list[tuple[str, int]]) -> list[str]:
    """complete_steps_and_claim of ``done``; returns the task names the claims took."""
    rows = actor.execute(
        "SELECT outcome, task_name FROM tributary.complete_steps_and_claim(%s, %s, %s::jsonb[], 'w', %s, %s)",
        ([done.step_id], [done.attempt], None, [q for q, _ in claims], [n for _, n in claims]),
    ).fetchall()
    assert rows[0] == ("completed", None)
    return [str(name) for outcome, name in rows if outcome is None]


@pytest.mark.parametrize(
    ("claims", "expected_taken", "expected_woken"),
    [
        ([("q5", 8)], ["b1", "b2"], []),  # the claim took every step it unlocked: nobody else is woken
        ([("q5", 2)], ["b1", "b2"], ["q5"]),  # it took all it asked for: there may be more
        ([("q5", 1)], ["b1"], ["q5"]),  # it left one
        ([("other", 4)], [], ["q5"]),  # it claimed elsewhere
        ([], [], ["q5"]),  # it claimed nowhere
    ],
)
def test_complete_steps_and_claim_wakes_others_only_for_what_it_left(
    listener: Conn, actor: Conn, claims: list[tuple[str, int]], expected_taken: list[str], expected_woken: list[str]
) -> None:
    create_workflow(
        actor, "unlock-two", [task("a", queue="q5a"), *(task(f"b{i}", queue="q5", depends_on=["a"]) for i in (1, 2))]
    )
    [a] = claim(actor, "q5a", "w")
    woken(listener, actor)
    assert complete_and_claim(actor, a, claims) == expected_taken
    assert woken(listener, actor) == expected_woken


def test_complete_steps_and_claim_wakes_other_queues(listener: Conn, actor: Conn) -> None:
    create_workflow(
        actor, "two-queues", [task("a", queue="q6a"), task("b", queue="q6", depends_on=["a"]),
                              task("c", queue="q7", depends_on=["a"])],
    )  # fmt: skip
    [a] = claim(actor, "q6a", "w")
    woken(listener, actor)
    assert complete_and_claim(actor, a, [("q6", 4)]) == ["b"]
    assert woken(listener, actor) == ["q7"]
    # and the setting that collected them does not outlive the call: a later unlock notifies
    create_workflow(actor, "later", [task("x", queue="q8a"), task("y", queue="q8", depends_on=["x"])])
    woken(listener, actor)
    [x] = claim(actor, "q8a", "w")
    complete_step(actor, x.step_id, x.attempt)
    assert woken(listener, actor) == ["q8"]


def test_complete_steps_and_claim_wakes_others_when_a_rate_limit_held_a_step_back(listener: Conn, actor: Conn) -> None:
    """Other processes learn when a rate limit's next token is due only by claiming: a short claim
    that a rate limit cut short still wakes them."""
    actor.execute("SELECT tributary.set_rate_limit('queue', 'q9', 1, '1 hour')")
    create_workflow(
        actor, "rated", [task("a", queue="q9a"), *(task(f"b{i}", queue="q9", depends_on=["a"]) for i in (1, 2))]
    )
    [a] = claim(actor, "q9a", "w")
    woken(listener, actor)
    assert complete_and_claim(actor, a, [("q9", 8)]) == ["b1"]  # one token: b2 is held back
    assert woken(listener, actor) == ["q9"]


def test_a_session_setting_cannot_silence_notifications(listener: Conn, actor: Conn) -> None:
    """The deferral is keyed by the transaction complete_steps_and_claim runs in: a session that
    sets tributary.defer_available itself still notifies."""
    actor.execute("SET tributary.defer_available = 'on'")
    create_workflow(actor, "loud", [task("r", queue="q10")])
    assert woken(listener, actor) == ["q10"]


def test_a_short_claim_on_a_paused_queue_still_wakes_the_queue(listener: Conn, actor: Conn, connect: Connect) -> None:
    """A queue resumed between the claim (which took nothing) and its COMMIT: resume_queue's
    wake-up came before the steps were visible, so the call's own COMMIT must wake the queue."""
    completer = connect()
    create_workflow(actor, "paused", [task("a", queue="q11a"), task("b", queue="q11", depends_on=["a"])])
    actor.execute("SELECT tributary.pause_queue('q11')")
    [a] = claim(actor, "q11a", "w")
    woken(listener, actor)
    with completer.transaction():
        assert complete_and_claim(completer, a, [("q11", 8)]) == []  # paused: nothing taken
        actor.execute("SELECT tributary.resume_queue('q11')")
        assert woken(listener, actor) == ["q11"]  # too early: b is not committed yet
    assert woken(listener, actor) == ["q11"]  # the completion's COMMIT wakes the queue again


def test_a_short_claim_under_a_key_limit_still_wakes_the_queue(listener: Conn, actor: Conn, connect: Connect) -> None:
    """A key's slot freed between the claim and its COMMIT wakes claimers (tributary_slot_freed)
    that cannot see the unlocked step yet: the call's own COMMIT must wake the queue."""
    completer = connect()
    actor.execute("SELECT tributary.set_concurrency_limit('key', 'k12', 1)")
    create_workflow(actor, "holder", [task("s", queue="q12h", concurrency_key="k12")])
    [s] = claim(actor, "q12h", "w")
    create_workflow(
        actor, "keyed", [task("a", queue="q12a"), task("b", queue="q12", concurrency_key="k12", depends_on=["a"])]
    )
    [a] = claim(actor, "q12a", "w")
    woken(listener, actor)
    with completer.transaction():
        assert complete_and_claim(completer, a, [("q12", 8)]) == []  # the key's one slot is taken by s
        complete_step(actor, s.step_id, s.attempt)  # frees it: tributary_slot_freed, before b is visible
    assert woken(listener, actor) == ["q12"]


def test_setting_or_removing_a_queue_limit_wakes_the_queue_and_a_key_limit_does_not(
    listener: Conn, actor: Conn
) -> None:
    """sql-api.md (Concurrency and rate limits, Notifications): a queue's limit set or removed wakes
    that queue's workers, whether or not it has ready steps; a key's does not; removing a limit
    that is not there changes nothing and wakes nobody."""
    woken(listener, actor)
    actor.execute("SELECT tributary.set_concurrency_limit('queue', 'q13', 2)")
    assert woken(listener, actor) == ["q13"]
    actor.execute("SELECT tributary.remove_concurrency_limit('queue', 'q13')")
    assert woken(listener, actor) == ["q13"]
    actor.execute("SELECT tributary.set_rate_limit('queue', 'q13', 5, '1 minute')")
    actor.execute("SELECT tributary.remove_rate_limit('queue', 'q13')")
    assert woken(listener, actor) == ["q13", "q13"]
    actor.execute("SELECT tributary.set_concurrency_limit('key', 'k13', 2)")
    actor.execute("SELECT tributary.remove_concurrency_limit('key', 'k13')")
    assert woken(listener, actor) == []
    assert actor.execute("SELECT tributary.remove_concurrency_limit('queue', 'q13')").fetchone() == (False,)
    assert woken(listener, actor) == []


def test_an_event_that_completes_a_wait_wakes_the_queue_of_what_it_unlocks(listener: Conn, actor: Conn) -> None:
    """sql-api.md (Notifications): whatever completes a waiting step (here send_event) notifies the
    queues of the dependents it made available."""
    workflow_id = create_workflow(
        actor, "evented", [task("w", wait_for={"event": "go"}), task("after", queue="q14", depends_on=["w"])]
    )
    woken(listener, actor)
    actor.execute("SELECT tributary.send_event('go', NULL, p_workflow_id => %s)", (workflow_id,))
    assert woken(listener, actor) == ["q14"]
