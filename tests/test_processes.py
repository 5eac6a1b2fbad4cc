"""Real worker processes (``python -m tests.worker_app``): crash safety, graceful shutdown, sharing.

The lease is shortened to 1 s in the test database (the workers heartbeat every 0.25 s, so live
ones keep their steps) and rescue runs every ~0.5 s, so a killed worker's step comes back within
about two seconds. Each handler records ``start``/``end`` rows in ``test_log`` with its pid and
attempt, which is how the tests see where and how often a step ran. Every worker process is
killed in a ``finally`` block; its stderr goes to a file under ``tmp_path`` whose tail is part
of every assertion message.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from tests.fix_database import Connect
from tests.worker_app import QuickArgs, SlowArgs
from tributary import Client, Config

Conn = psycopg.Connection[TupleRow]
T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
QUEUE = "proc"
READY_LINE = "started on queues"
START_TIMEOUT = 15.0


@dataclass
class WorkerProcess:
    """One ``tests.worker_app`` process and the file its stderr goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def worker_id(self) -> str:
        return f"worker-app-{self.pid}"

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError as error:
            return f"<{self.name}: no stderr: {error}>"
        return f"--- {self.name} (pid {self.pid}) stderr ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class WorkerProcesses:
    """Starts worker processes for one test and kills whatever is still running at the end."""

    dsn: str
    tmp_path: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(
        self, name: str, *, max_workers: int = 2, shutdown_grace: float = 5.0, mode: str = "sync"
    ) -> WorkerProcess:
        stderr_path = self.tmp_path / f"{name}.stderr"
        options = {
            "--dsn": self.dsn,
            "--queue": QUEUE,
            "--max-workers": str(max_workers),
            "--shutdown-grace": str(shutdown_grace),
            "--mode": mode,
        }
        argv = [sys.executable, "-m", "tests.worker_app", *(part for pair in options.items() for part in pair)]
        with stderr_path.open("wb") as stderr:
            popen = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )
        proc = WorkerProcess(name, popen, stderr_path)
        self.started.append(proc)
        return proc

    def tails(self) -> str:
        return "\n".join(p.tail() for p in self.started)

    def wait_ready(self, proc: WorkerProcess, timeout: float = START_TIMEOUT) -> None:
        """Waits until ``proc`` logged that its runtime is working its queue."""

        def ready() -> bool:
            assert proc.popen.poll() is None, f"{proc.name} exited early ({proc.popen.returncode})\n{self.tails()}"
            return READY_LINE in proc.stderr_path.read_text(errors="replace")

        wait_until(ready, timeout, f"{proc.name} to start", self.tails)

    def kill_all(self) -> None:
        for proc in self.started:
            if proc.popen.poll() is None:
                proc.popen.kill()
        for proc in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=10)


def wait_until(predicate: Callable[[], T], timeout: float, what: str, context: Callable[[], str]) -> T:
    """Polls ``predicate`` until it returns something truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{context()}")
        time.sleep(0.02)


@dataclass(frozen=True)
class LogRow:
    step_id: int
    task_name: str
    attempt: int
    pid: int
    event: str
    at: datetime


def log_rows(conn: Conn, **where: Any) -> list[LogRow]:
    """Rows of ``test_log`` matching every ``column=value`` given, in insertion-time order."""
    clauses = " AND ".join(f"{column} = %({column})s" for column in where) or "true"
    rows = conn.execute(
        f"SELECT step_id, task_name, attempt, pid, event, at FROM test_log WHERE {clauses} ORDER BY at",
        where,
    ).fetchall()
    return [LogRow(*row) for row in rows]


def step_row(conn: Conn, step_id: int) -> dict[str, Any]:
    cur = conn.execute(
        "SELECT state, attempt, max_attempts, errors, lease_expires_at, worker_id FROM tributary.steps WHERE id = %s",
        (step_id,),
    )
    row = cur.fetchone()
    assert row is not None, f"no step {step_id}"
    assert cur.description is not None
    return {column.name: value for column, value in zip(cur.description, row, strict=True)}


def step_id_of(conn: Conn, workflow_id: int, task_name: str) -> int:
    row = conn.execute(
        "SELECT id FROM tributary.steps WHERE workflow_id = %s AND task_name = %s", (workflow_id, task_name)
    ).fetchone()
    assert row is not None, f"workflow {workflow_id} has no task {task_name}"
    return int(row[0])


@pytest.fixture
def workers(dsn: str, tmp_path: Path) -> Iterator[WorkerProcesses]:
    pool = WorkerProcesses(dsn, tmp_path)
    try:
        yield pool
    finally:
        pool.kill_all()


@pytest.fixture
def db(conn: Conn) -> Conn:
    """The test database with ``test_log`` created and short engine timings."""
    conn.execute(
        "CREATE TABLE test_log (step_id bigint, task_name text, attempt int, pid int, event text,"
        " at timestamptz DEFAULT clock_timestamp())"
    )
    conn.execute(
        "UPDATE tributary.settings SET lease_duration = '1 second', default_retry_backoff = '100 milliseconds'"
    )
    return conn


@pytest.fixture
def client(dsn: str) -> Iterator[Client]:
    """A client of the test process: creates workflows and waits for them, works no queue."""
    with Client(dsn, Config(queue=QUEUE)) as own:
        yield own


def test_kill_9_mid_step_is_rescued_and_rerun_by_another_process(
    db: Conn, workers: WorkerProcesses, client: Client
) -> None:
    a = workers.start("A")
    workflow_id = (
        client.new_workflow("kill-9")
        .add_task("root", QuickArgs())
        .add_task("slow", SlowArgs(seconds=3, retry_seconds=0.2), depends_on=["root"])
        .add_task("after", QuickArgs(), depends_on=["slow"])
        .execute()
    )
    wait_until(lambda: log_rows(db, task_name="slow", event="start"), START_TIMEOUT, "A to start slow", workers.tails)

    os.kill(a.pid, signal.SIGKILL)
    assert a.popen.wait(timeout=5) == -signal.SIGKILL
    b = workers.start("B")
    result = client.wait(workflow_id, timeout=15)

    assert result.state == "completed", workers.tails()
    slow = result.steps["slow"]
    assert slow.attempt == 2, workers.tails()
    lease_expired = [e for e in slow.errors if e.get("reason") == "lease_expired"]
    assert [(e["attempt"], e["worker_id"]) for e in lease_expired] == [(1, a.worker_id)], slow.errors
    assert [(r.attempt, r.pid) for r in log_rows(db, task_name="slow", event="start")] == [
        (1, a.pid),
        (2, b.pid),
    ], workers.tails()
    ends = log_rows(db, event="end")
    assert Counter(r.task_name for r in ends) == {"root": 1, "slow": 1, "after": 1}, ends
    assert {r.task_name: (r.attempt, r.pid) for r in ends} == {
        "root": (1, a.pid),
        "slow": (2, b.pid),
        "after": (1, b.pid),
    }, workers.tails()
    assert result.result("slow")["pid"] == b.pid


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sigterm_releases_a_long_step_at_once(db: Conn, workers: WorkerProcesses, client: Client, mode: str) -> None:
    a = workers.start("A", shutdown_grace=1.0, mode=mode)
    workflow_id = client.new_workflow("sigterm-long").add_task("slow", SlowArgs(seconds=5, retry_seconds=0.2)).execute()
    step_id = step_id_of(db, workflow_id, "slow")
    max_attempts = step_row(db, step_id)["max_attempts"]
    wait_until(lambda: log_rows(db, task_name="slow", event="start"), START_TIMEOUT, "A to start slow", workers.tails)

    sent = time.monotonic()
    a.popen.send_signal(signal.SIGTERM)
    try:
        code = a.popen.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pytest.fail(f"worker still running 3 s after SIGTERM with a 1 s grace\n{a.tail()}")
    assert code == 0, a.tail()
    assert time.monotonic() - sent < 3

    # No worker is running now: only the release at shutdown can have made it available.
    released = step_row(db, step_id)
    assert released["state"] == "available", (released, a.tail())
    assert released["attempt"] == 1
    assert released["lease_expires_at"] is None
    assert released["max_attempts"] == max_attempts + 1
    last = released["errors"][-1]
    assert (last["reason"], last["attempt"], last["worker_id"]) == ("released", 1, a.worker_id), released["errors"]
    assert [e.get("reason") for e in released["errors"]] == ["released"]
    assert log_rows(db, event="end") == [], "the released attempt must not have finished"

    b = workers.start("B", mode=mode)
    result = client.wait(workflow_id, timeout=10)
    assert result.state == "completed", workers.tails()
    assert result.steps["slow"].attempt == 2
    assert [(r.attempt, r.pid) for r in log_rows(db, event="end")] == [(2, b.pid)], workers.tails()


def test_sigterm_lets_a_short_step_finish_before_exit(db: Conn, workers: WorkerProcesses, client: Client) -> None:
    a = workers.start("A", shutdown_grace=5.0)
    workflow_id = client.new_workflow("sigterm-short").add_task("short", QuickArgs(seconds=0.5)).execute()
    step_id = step_id_of(db, workflow_id, "short")
    max_attempts = step_row(db, step_id)["max_attempts"]
    wait_until(lambda: log_rows(db, task_name="short", event="start"), START_TIMEOUT, "A to start", workers.tails)

    row = db.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    signalled_at: datetime = row[0]
    a.popen.send_signal(signal.SIGTERM)
    try:
        code = a.popen.wait(timeout=4)
    except subprocess.TimeoutExpired:
        pytest.fail(f"worker did not exit after its step finished\n{a.tail()}")
    assert code == 0, a.tail()

    # Checked after the process is gone: the completion was reported before it exited.
    done = step_row(db, step_id)
    assert (done["state"], done["attempt"], done["errors"]) == ("completed", 1, []), (done, a.tail())
    assert done["max_attempts"] == max_attempts
    (end,) = log_rows(db, event="end")
    assert end.at > signalled_at, "the step should still have been running when SIGTERM arrived"
    assert client.get_workflow(workflow_id).state == "completed"


DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def insert_diamond_with_sql(conn: Conn, name: str) -> int:
    """A workflow and its steps as plain INSERTs in one transaction (resolved at COMMIT)."""
    with conn.transaction():
        row = conn.execute("INSERT INTO tributary.workflows (name) VALUES (%s) RETURNING id", (name,)).fetchone()
        assert row is not None
        workflow_id = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tributary.steps (workflow_id, task_name, kind, args, depends_on, queue)"
                " VALUES (%s, %s, 'quick', %s, %s, %s)",
                [(workflow_id, task, Jsonb({"seconds": 0.05}), deps, QUEUE) for task, deps in DIAMOND.items()],
            )
    return workflow_id


def test_two_processes_and_a_sql_caller_share_the_work(
    db: Conn, connect: Connect, workers: WorkerProcesses, client: Client
) -> None:
    a = workers.start("A", max_workers=3)
    b = workers.start("B", max_workers=3)
    workers.wait_ready(a)
    workers.wait_ready(b)

    sql_caller = connect()
    workflow_ids: list[int] = []
    for i in range(20):
        if i % 2:
            workflow_ids.append(insert_diamond_with_sql(sql_caller, f"diamond-sql-{i}"))
        else:
            builder = client.new_workflow(f"diamond-py-{i}")
            for task, deps in DIAMOND.items():
                builder.add_task(task, QuickArgs(seconds=0.05), depends_on=deps)
            workflow_ids.append(builder.execute())

    deadline = time.monotonic() + 20
    results = [client.wait(wid, timeout=max(0.1, deadline - time.monotonic())) for wid in workflow_ids]

    assert [r.state for r in results] == ["completed"] * 20, workers.tails()
    step_ids = {s.id for r in results for s in r.steps.values()}
    assert len(step_ids) == 80
    assert all(s.attempt == 1 for r in results for s in r.steps.values()), workers.tails()
    starts, ends = log_rows(db, event="start"), log_rows(db, event="end")
    assert Counter(r.step_id for r in starts) == dict.fromkeys(step_ids, 1), workers.tails()
    assert Counter(r.step_id for r in ends) == dict.fromkeys(step_ids, 1), workers.tails()
    assert {r.pid for r in ends} == {a.pid, b.pid}, Counter(r.pid for r in ends)
    ran_in = {r.step_id: r.pid for r in ends}
    for r in results:
        assert r.result("d")["inputs"] == ["b", "c"]
        for outcome in r.steps.values():
            assert outcome.result["pid"] == ran_in[outcome.id]
