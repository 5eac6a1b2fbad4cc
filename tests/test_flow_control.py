"""Global concurrency and rate limits (tributary.flow_limits), under real concurrency.

8 connections claiming at once never run more steps of a limited queue or key than its limit
(the running count is sampled by a ninth connection and by each claimer right after its claim);
a slot freed by a completion in the worker's own process or in another one is taken without
waiting for the poll; a worker held back by a rate limit comes back when the next token is due;
the Client and AsyncClient calls and their errors; the concurrency_key option from InsertOpts.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from datetime import timedelta

import psycopg
import pytest

from tests.client_helpers import fast_config, started
from tests.engine_helpers import (
    WAIT_SECONDS,
    Conn,
    claim,
    complete_step,
    complete_steps,
    create_workflow,
    drain_notifications,
    run_in_threads,
    task,
)
from tests.fix_database import Connect
from tributary import AsyncClient, Client, FlowLimit, InsertOpts, QueueConfig, Step, StepArgs, Worker, _sql
from tributary.cli import main
from tributary.errors import (
    InvalidConcurrencyLimit,
    InvalidLimitName,
    InvalidRateLimit,
    InvalidRatePeriod,
    UnknownLimitScope,
)

WORKERS = 8
NEVER_POLL = timedelta(minutes=1)
PROMPTLY = 5.0  # seconds; far below the poll interval


def running_count(conn: Conn, scope: str, name: str) -> int:
    column = "queue" if scope == "queue" else "concurrency_key"
    row = conn.execute(
        f"SELECT count(*) FROM tributary.steps WHERE state = 'running' AND {column} = %s", (name,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def make_load(setup: Conn, scope: str, name: str, limit: int, *, queue: str, key: str) -> int:
    """The limit, and 10 workflows of steps of the limited key (interleaved, when the key is
    limited, with steps without a key); returns how many steps."""
    setup.execute("SELECT tributary.set_concurrency_limit(%s, %s, %s)", (scope, name, limit))
    total = 0
    for w in range(10):
        tasks = [task(f"t{i}", queue=queue, concurrency_key=key) for i in range(12)]
        if scope == "key":
            tasks += [task(f"free{i}", queue=queue) for i in range(4)]
        create_workflow(setup, f"load-{w}", tasks)
        total += len(tasks)
    return total


@pytest.mark.parametrize(("scope", "limit"), [("key", 3), ("queue", 4)])
def test_eight_claimers_never_exceed_a_limit(connect: Connect, scope: str, limit: int) -> None:
    queue, key = "fc-load", "tenant:1"
    name = key if scope == "key" else queue
    total = make_load(connect(), scope, name, limit, queue=queue, key=key)

    done = threading.Event()
    seen: list[int] = []
    lock = threading.Lock()
    completed: list[int] = []

    def sampler() -> int:
        conn = connect()
        most = 0
        while not done.is_set():
            most = max(most, running_count(conn, scope, name))
        return most

    def worker(n: int) -> None:
        conn = connect()
        rng = random.Random(n)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 1.0:
            steps = claim(conn, queue, f"w{n}", rng.randint(1, 4))
            if not steps:
                time.sleep(0.002)
                with lock:
                    if len(completed) == total:
                        return
                continue
            idle_since = time.monotonic()
            with lock:
                seen.append(running_count(conn, scope, name))
            time.sleep(rng.uniform(0.001, 0.006))  # the steps "run"
            outcomes = complete_steps(conn, steps)
            with lock:
                completed.extend(step_id for step_id, outcome in outcomes.items() if outcome == "completed")

    sampling = threading.Thread(target=lambda: seen.append(-sampler()))
    sampling.start()
    try:
        run_in_threads([lambda n=n: worker(n) for n in range(WORKERS)], timeout=60)  # type: ignore[misc]
    finally:
        done.set()
        sampling.join(WAIT_SECONDS)
    sampled_max = -min(seen)
    after_claim_max = max(seen)
    assert len(set(completed)) == total, "every step ran exactly once"
    assert sampled_max <= limit, f"more than {limit} ran at once"
    assert after_claim_max <= limit, f"more than {limit} ran at once"
    assert after_claim_max == limit, "the limit was reached (the claimers did run concurrently)"


def test_limit_functions_from_the_client_and_their_errors(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config()) as client:
        client.set_concurrency_limit("queue", "emails", 5)
        client.set_rate_limit("key", "api:github", 100, timedelta(minutes=1))
        client.set_concurrency_limit("key", "api:github", 2)
        limits = client.flow_limits()
        assert limits == [
            FlowLimit("queue", "emails", 5, 0, None, None, None),
            FlowLimit("key", "api:github", 2, 0, 100, timedelta(minutes=1), 100.0),
        ]
        assert client.remove_rate_limit("key", "api:github") is True
        assert client.remove_rate_limit("key", "api:github") is False
        assert client.remove_concurrency_limit("key", "api:github") is True
        assert [limit.name for limit in client.flow_limits()] == ["emails"]
        with pytest.raises(InvalidConcurrencyLimit, match="at least 1, got 0 for queue 'emails'"):
            client.set_concurrency_limit("queue", "emails", 0)
        with pytest.raises(UnknownLimitScope):
            client.set_concurrency_limit("tenant", "emails", 1)  # type: ignore[arg-type]
        with pytest.raises(InvalidLimitName):
            client.set_rate_limit("queue", "", 1, timedelta(seconds=1))
        with pytest.raises(InvalidRateLimit):
            client.set_rate_limit("queue", "emails", -1, timedelta(seconds=1))
        with pytest.raises(InvalidRatePeriod):
            client.set_rate_limit("queue", "emails", 1, timedelta(0))

    async def from_async() -> list[FlowLimit]:
        async with AsyncClient(dsn, fast_config()) as aclient:
            await aclient.set_rate_limit("queue", "emails", 10, timedelta(seconds=1))
            assert await aclient.remove_concurrency_limit("queue", "emails") is True
            await aclient.set_concurrency_limit("key", "k", 1)
            assert await aclient.remove_concurrency_limit("key", "k") is True
            return await aclient.flow_limits()

    assert asyncio.run(from_async()) == [FlowLimit("queue", "emails", None, 0, 10, timedelta(seconds=1), 10.0)]


class Call(StepArgs):
    kind = "call"
    n: int = 0

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(concurrency_key="api:default")


class CallWorker(Worker[Call]):
    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[float] = []

    def work(self, step: Step[Call]) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(time.monotonic())
        time.sleep(self.hold)
        with self.lock:
            self.running -= 1
        return step.args.n


def test_concurrency_key_from_insert_opts_and_the_task(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(CallWorker())) as client:
        workflow_id = (
            client.new_workflow("keys")
            .add_task("default_key", Call())
            .add_task("task_key", Call(), insert_opts=InsertOpts(concurrency_key="customer:42"))
            .execute()
        )
    rows = conn.execute(
        "SELECT task_name, concurrency_key FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name",
        (workflow_id,),
    ).fetchall()
    assert rows == [("default_key", "api:default"), ("task_key", "customer:42")]


def test_a_freed_slot_is_taken_without_waiting_for_the_poll(dsn: str, conn: Conn, connect: Connect) -> None:
    """One slot (key limit 1), a worker that never polls: each completion, its own or another
    process's, wakes it through tributary_slot_freed (sent on the queue of the step that ended)."""
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'api:default', 1)")
    # Another process holds the only slot.
    other = connect()
    create_workflow(other, "held", [task("held", kind="call", concurrency_key="api:default")])
    (held,) = claim(other, "default", "other-process")
    worker = CallWorker(hold=0.05)
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=4)}, fetch_poll_interval=NEVER_POLL)
    with Client(dsn, config) as client, started(client):
        builder = client.new_workflow("one-at-a-time")
        for i in range(4):
            builder.add_task(f"c{i}", Call(n=i))
        workflow_id = builder.execute()
        time.sleep(0.3)
        assert worker.started == [], "nothing starts while another process holds the slot"
        freed_at = time.monotonic()
        complete_step(other, held.step_id, held.attempt)
        result = client.wait(workflow_id, timeout=PROMPTLY)
    assert result.state == "completed"
    assert worker.most == 1, "never two at once in this process either"
    assert worker.started[0] - freed_at < PROMPTLY
    assert worker.started[-1] - freed_at < PROMPTLY, "each slot freed by this process's completion was taken at once"


def test_a_rate_limited_worker_comes_back_when_the_token_is_due(dsn: str, conn: Conn) -> None:
    conn.execute("SELECT tributary.set_rate_limit('queue', 'default', 2, '1 second')")
    worker = CallWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=4)}, fetch_poll_interval=NEVER_POLL)
    with Client(dsn, config) as client, started(client):
        builder = client.new_workflow("rated")
        for i in range(6):
            builder.add_task(f"r{i}", Call(n=i), insert_opts=InsertOpts(concurrency_key="unlimited:key"))
        began = time.monotonic()
        result = client.wait(builder.execute(), timeout=PROMPTLY * 2)
    took = time.monotonic() - began
    assert result.state == "completed"
    starts = sorted(worker.started)
    # A burst of 2, then one start every 0.5 s: the sixth starts about 2 s in, long before the poll.
    assert starts[-1] - starts[0] >= 1.5, "the rate limit spaced the starts"
    assert took < 10, "the worker claimed again when each token was due, not at its 60 s poll"
    # The documented bound: over any span t, at most 2 * (1 + t / 1 s) starts (0.1 s for clock jitter).
    for i, first in enumerate(starts):
        for j in range(i + 1, len(starts)):
            assert j - i + 1 <= 2 * (1 + (starts[j] - first + 0.1)), f"starts {i}..{j} came too close"


def test_a_rate_limited_chain_comes_back_when_the_token_is_due(dsn: str, conn: Conn) -> None:
    """Each completion claims the next step in the same call (complete_steps_and_claim), and the
    rate limit holds it back: the call notifies the queue, and this process's own fetcher claims
    again when the token is due, not at its 60 s poll."""
    conn.execute("SELECT tributary.set_rate_limit('queue', 'default', 1, '1 second')")
    worker = CallWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=4)}, fetch_poll_interval=NEVER_POLL)
    with Client(dsn, config) as client, started(client):
        builder = client.new_workflow("rated-chain")
        for i in range(3):
            builder.add_task(f"c{i}", Call(n=i), depends_on=[f"c{i - 1}"] if i else [])
        began = time.monotonic()
        result = client.wait(builder.execute(), timeout=30)
    took = time.monotonic() - began
    assert result.state == "completed"
    starts = sorted(worker.started)
    assert starts[-1] - starts[0] >= 1.5, "one start a second"
    assert took < 10, "the worker claimed again when each token was due, not at its 60 s poll"


def test_the_cli_shows_the_limits(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    conn.execute("SELECT tributary.set_concurrency_limit('queue', 'emails', 3)")
    conn.execute("SELECT tributary.set_rate_limit('key', 'api:github', 60, '1 minute')")
    assert main(["queues", "--dsn", dsn]) == 0
    out = capsys.readouterr().out
    assert "Concurrency and rate limits" in out
    assert "emails" in out
    assert "60 per 0:01:00" in out
    assert main(["status", "--dsn", dsn]) == 0
    assert "api:github" in capsys.readouterr().out


SLOT_FREED = "tributary_slot_freed"


def test_every_way_a_limited_step_stops_running_notifies_its_queue(connect: Connect) -> None:
    """complete, fail (retry and discard), release, rescue, hand-back and cancel of a step
    claimed under a limit each send tributary_slot_freed with its queue; an unlimited step's
    end sends nothing."""
    conn, listener = connect(), connect()
    listener.execute(f"LISTEN {SLOT_FREED}")
    conn.execute("SELECT tributary.set_concurrency_limit('key', 'k:1', 100)")
    ends = {
        "complete": "SELECT tributary.complete_step(%s, %s)",
        "retry": 'SELECT tributary.fail_step(%s, %s, \'{"message": "again"}\', true)',
        "discard": 'SELECT tributary.fail_step(%s, %s, \'{"message": "no"}\', false)',
        "release": "SELECT tributary.release_steps(ARRAY[%s]::bigint[], ARRAY[%s]::integer[])",
        "hand_back": "SELECT tributary.hand_back_step(%s, %s, 'unknown_kind')",
    }
    for end, statement in ends.items():
        queue = f"fc-{end}"
        create_workflow(conn, end, [task("t", queue=queue, concurrency_key="k:1")])
        (step,) = claim(conn, queue, "w")
        conn.execute(statement, (step.step_id, step.attempt))
        assert drain_notifications(listener, conn, SLOT_FREED) == [queue], end
    rescued = create_workflow(conn, "rescue", [task("t", queue="fc-rescue", concurrency_key="k:1")])
    claim(conn, "fc-rescue", "w")
    conn.execute("SELECT tributary_test.expire_lease(%s, 't')", (rescued,))
    conn.execute("SELECT tributary.rescue_expired_steps()")
    assert drain_notifications(listener, conn, SLOT_FREED) == ["fc-rescue"], "rescue"
    cancelled = create_workflow(conn, "cancel", [task("t", queue="fc-cancel", concurrency_key="k:1")])
    claim(conn, "fc-cancel", "w")
    conn.execute("SELECT tributary.cancel_workflow(%s)", (cancelled,))
    assert drain_notifications(listener, conn, SLOT_FREED) == ["fc-cancel"], "cancel"

    create_workflow(conn, "unlimited", [task("t", queue="fc-plain", concurrency_key="k:2")])
    (plain,) = claim(conn, "fc-plain", "w")
    complete_step(conn, plain.step_id, plain.attempt)
    assert drain_notifications(listener, conn, SLOT_FREED) == [], "a step claimed under no limit"


def test_claims_of_several_queues_in_one_transaction_never_wait_in_a_cycle(connect: Connect) -> None:
    """A worker claims several queues in one transaction (with a completion). Transaction 1 holds
    the key's row (from a claim of queue fc-a) and then claims queue fc-q, whose row transaction 2
    holds while it claims a step of the same key: neither waits for the other (the old rule, "wait
    for the first key row of a claim", deadlocked here); each leaves the busy rows' steps and is
    told to come back at once."""
    setup, one, two = connect(), connect(autocommit=False), connect(autocommit=False)
    setup.execute("SELECT tributary.set_concurrency_limit('key', 'k:shared', 10)")
    setup.execute("SELECT tributary.set_concurrency_limit('queue', 'fc-q', 10)")
    create_workflow(setup, "a", [task("a", queue="fc-a", concurrency_key="k:shared")])
    create_workflow(setup, "q", [task(f"q{i}", queue="fc-q", concurrency_key="k:shared") for i in range(2)])
    for conn in (one, two):
        conn.execute("SET lock_timeout = '3s'")  # a wait would fail the test instead of hanging it
    assert [s.task_name for s in claim(one, "fc-a", "w1")] == ["a"]  # one holds the key's row
    assert claim(two, "fc-q", "w2", 2) == []  # two holds fc-q's row; the key's row is busy
    row = two.execute("SELECT tributary.claim_retry_in('fc-q')").fetchone()
    assert row == (timedelta(0),)
    assert claim(one, "fc-q", "w1", 2) == []  # fc-q's row is busy
    row = one.execute("SELECT tributary.claim_retry_in('fc-q')").fetchone()
    assert row == (timedelta(0),)
    two.rollback()
    assert [s.task_name for s in claim(one, "fc-q", "w1", 2)] == ["q0", "q1"]  # free now
    one.commit()


def test_a_claim_and_its_retry_time_in_one_statement(dsn: str, connect: Connect) -> None:
    """The fetcher's claim of a queue whose claims come back short reads the rate limit's retry
    time in the same statement: after the claim that took the only token, and after one that
    took nothing; and no retry time where nothing was held back."""
    setup = connect()
    setup.execute("SELECT tributary.set_rate_limit('queue', 'fc-rt', 1, interval '1 hour')")
    create_workflow(setup, "rt", [task(f"r{i}", queue="fc-rt") for i in range(3)])

    async def claims() -> list[tuple[list[str], float | None]]:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            seen = []
            for queue in ("fc-rt", "fc-rt", "fc-empty"):
                works, retry_in = await _sql.aclaim_with_retry_in(conn, queue, _sql.claim_params(queue, "w", 2))
                seen.append(([work.task_name for work in works], retry_in))
            return seen

    (took, first), (none, second), (empty, nothing) = asyncio.run(claims())
    assert (took, none, empty) == (["r0"], [], [])
    assert first is not None
    assert 3000 < first <= 3600  # the next token, about an hour away
    assert second is not None
    assert 3000 < second <= 3600
    assert nothing is None
