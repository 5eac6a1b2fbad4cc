"""Workers recover after a PostgreSQL restart, each by itself and not in lockstep.

Process test: three ``tests.chaos_app`` processes on a private cluster, each working the queue
``shared`` and a queue of its own (``only-A``, ...), poll only every 60 s, so a step that becomes
available is claimed within seconds only through a LISTEN wake-up. While steps of a first
workflow run, the cluster crashes and restarts (``pg_ctl stop -m immediate``). Then a second
workflow, ``root`` (shared) -> ``on-A``, ``on-B``, ``on-C`` (one per private queue) -> ``join``
(shared), must complete within 30 s: each private step can be claimed and completed only by its
own process, once that process's claims and completion flushes work again; and a process learns
that its private step became available only through LISTEN (unless it completed ``root`` itself:
then it wakes its own fetchers), so its LISTEN connection must be back too.
Each process's stderr must show it noticed the outage (a ``claim_failed`` or ``listen_lost``
event of the logger ``tributary.runtime``), and each must report itself in
``tributary.worker_processes`` again after the restart.

Unit test: :class:`tributary._reconnect.ReconnectBackoff`, the one backoff of every client-side
retry loop: exponential, capped, jittered between half and all of the step, reset by
``reset()``, and different in every instance and every process, so processes that lost the
database together do not come back together.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import cast

import psycopg
import pytest

from tests.chaos_app import ChaosArgs
from tests.chaos_processes import REPO_ROOT, AppProcesses, execute_with_retries, private_cluster, wait_for
from tributary import Client, Config, InsertOpts
from tributary._reconnect import ReconnectBackoff
from tributary.testing.cluster import EphemeralCluster

NAMES = ("A", "B", "C")
SHARED = "shared"
POLL_SECONDS = 60.0  # far above every bound below: only wake-ups can explain a prompt claim
RECOVERY_BOUND = 30.0
READY_TIMEOUT = 30.0
OUTAGE_EVENTS = ("event=claim_failed", "event=listen_lost")


def own_queue(name: str) -> str:
    return f"only-{name}"


@pytest.fixture
def cluster() -> Iterator[EphemeralCluster]:
    with private_cluster() as private:
        with psycopg.connect(private.dsn, autocommit=True) as conn:
            conn.execute("UPDATE tributary.settings SET lease_duration = '2 seconds', default_retry_backoff = '100 ms'")
        yield private


def running_steps(dsn: str, workflow_id: int) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM tributary.steps WHERE workflow_id = %s AND state = 'running'", (workflow_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def database_time(dsn: str) -> datetime:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return cast(datetime, row[0])


def reported_since(dsn: str, since: datetime) -> set[str]:
    """Worker processes whose last report in ``tributary.worker_processes`` came after ``since``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT worker_id FROM tributary.worker_processes WHERE last_seen_at > %s", (since,))
        return {str(row[0]) for row in rows}


def test_every_worker_process_recovers_after_a_restart(cluster: EphemeralCluster, tmp_path: Path) -> None:
    dsn = cluster.dsn
    procs = AppProcesses(dsn, tmp_path, [SHARED], max_workers=2, poll_interval=POLL_SECONDS)
    try:
        workers = {name: procs.start(name, mode=mode, queues=[SHARED, own_queue(name)])
                   for name, mode in zip(NAMES, ("sync", "async", "sync"), strict=True)}  # fmt: skip
        for proc in workers.values():
            procs.wait_ready(proc, READY_TIMEOUT)
        with Client(dsn, Config(queue=SHARED)) as client:
            before = client.new_workflow("before-the-crash")
            for i in range(3):
                before.add_task(f"slow{i}", ChaosArgs(salt=i, deps=[], millis=2500))
            before_id = before.execute()
            wait_for(lambda: running_steps(dsn, before_id) == 3, 15, "the slow steps to run", procs.tails)

            cluster.restart("immediate")
            restarted_at = database_time(dsn)

            after = client.new_workflow("after-the-crash", idempotency_key="after-the-crash")
            after.add_task("root", ChaosArgs(salt=0, deps=[]))
            for name in NAMES:
                options = InsertOpts(queue=own_queue(name))
                after.add_task(f"on-{name}", ChaosArgs(salt=1, deps=["root"]), ["root"], insert_opts=options)
            on_each = [f"on-{name}" for name in NAMES]
            after.add_task("join", ChaosArgs(salt=2, deps=on_each), on_each)
            after_id = execute_with_retries(after, time.monotonic() + RECOVERY_BOUND)
            created_at = time.monotonic()
            result = client.wait(after_id, timeout=RECOVERY_BOUND)
            recovered_in = time.monotonic() - created_at
            earlier = client.wait(before_id, timeout=RECOVERY_BOUND)
        worker_ids = {proc.worker_id for proc in workers.values()}
        wait_for(
            lambda: reported_since(dsn, restarted_at) >= worker_ids, 10, "every worker to report itself", procs.tails
        )
        stderr = {name: proc.stderr() for name, proc in workers.items()}
        alive = {name: proc.alive for name, proc in workers.items()}
    finally:
        procs.kill_all()

    tails = procs.tails()
    assert result.state == "completed", tails
    assert recovered_in < RECOVERY_BOUND
    for name, proc in workers.items():
        assert result.result(f"on-{name}")["pid"] == proc.pid, tails
    assert earlier.state == "completed", tails
    assert alive == dict.fromkeys(NAMES, True), tails
    for name, text in stderr.items():
        noticed = [
            line
            for line in text.splitlines()
            if " tributary.runtime " in line and any(e in line for e in OUTAGE_EVENTS)
        ]
        assert noticed, f"{name} logged neither claim_failed nor listen_lost\n{tails}"


# -- ReconnectBackoff --------------------------------------------------------------------------


def ceiling(backoff: ReconnectBackoff, failures: int) -> float:
    """The longest wait after ``failures`` failures in a row: min(cap, first * 2**(failures - 1))."""
    return min(backoff.cap, backoff.first * 2.0 ** (failures - 1))


def test_backoff_grows_exponentially_up_to_its_cap_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[float, float]] = []

    def top_of_range(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", top_of_range)
    backoff = ReconnectBackoff(first=0.1, cap=5.0)
    delays = [backoff.next_delay() for _ in range(12)]

    expected = [min(5.0, 0.1 * 2 ** (n - 1)) for n in range(1, 13)]
    assert asked == [(top / 2, top) for top in expected]
    assert delays == expected
    assert delays[:6] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2])
    assert delays[6:] == [5.0] * 6

    many = ReconnectBackoff(first=0.1, cap=5.0)
    for _ in range(1000):  # far past any float overflow of 2**n
        many.next_delay()
    assert asked[-1] == (2.5, 5.0)


def test_backoff_reset_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    backoff = ReconnectBackoff(first=0.25, cap=3.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.25, 0.5, 1.0, 2.0, 3.0]
    backoff.reset()
    assert backoff.failures == 0
    assert [backoff.next_delay() for _ in range(3)] == [0.25, 0.5, 1.0]


def test_backoff_delays_spread_over_half_to_all_of_each_step() -> None:
    draws = 2000
    for failures in range(1, 9):
        top = ceiling(ReconnectBackoff(), failures)
        delays = []
        for _ in range(draws):
            backoff = ReconnectBackoff()
            for _ in range(failures - 1):
                backoff.next_delay()
            delays.append(backoff.next_delay())
        assert all(top / 2 <= delay <= top for delay in delays), failures
        spread = top / 2
        # Uniform over [top/2, top]: both ends reached closely, the mean in the middle.
        assert min(delays) < top / 2 + 0.02 * spread
        assert max(delays) > top - 0.02 * spread
        assert sum(delays) / draws == pytest.approx(0.75 * top, abs=0.05 * spread)


def test_two_backoffs_do_not_wait_in_lockstep() -> None:
    first, second = ReconnectBackoff(), ReconnectBackoff()
    one = [first.next_delay() for _ in range(10)]
    other = [second.next_delay() for _ in range(10)]
    assert one != other
    assert all(a != b for a, b in zip(one, other, strict=True))


def test_two_processes_do_not_wait_in_lockstep() -> None:
    # Worker processes start from fresh interpreters; each seeds its own generator.
    program = (
        "import json; from tributary._reconnect import ReconnectBackoff; b = ReconnectBackoff();"
        " print(json.dumps([b.next_delay() for _ in range(8)]))"
    )
    sequences = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", program], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60
            ).stdout
        )
        for _ in range(2)
    ]
    assert sequences[0] != sequences[1]
