"""Helpers of the tests that run ``tests.chaos_app`` worker processes on a private cluster.

The private cluster (tributary.testing.cluster) is the only server these tests may crash or
restart; the shared test server is never touched. Every process started here is killed by
:meth:`AppProcesses.kill_all` (resumed first if it was stopped), and its stderr goes to a file
whose tail belongs in every assertion message.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from tests.chaos_app import WORKER_ID_PREFIX
from tributary import migrate
from tributary.testing.cluster import EphemeralCluster, find_bindir
from tributary.workflow import WorkflowBuilder

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "started on queues"


@contextmanager
def private_cluster() -> Iterator[EphemeralCluster]:
    """A private cluster with the schema deployed and ``synchronous_commit`` back on (a crash
    test needs every acknowledged commit to survive it); skips the test without server binaries."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no local PostgreSQL server binaries")
    with EphemeralCluster(bindir) as cluster:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET synchronous_commit = on")
            conn.execute("SELECT pg_reload_conf()")
        migrate.up(cluster.dsn)
        yield cluster


def execute_with_retries(builder: WorkflowBuilder, deadline: float) -> int:
    """Creates ``builder``'s workflow, retrying every 0.2 s while the database does not answer
    (a pooled connection broken by a restart, or the server still starting), until ``deadline``
    (a ``time.monotonic()`` value). Give the builder an idempotency key: a retry after a lost
    reply then returns the workflow the first call created instead of a second one."""
    while True:
        try:
            return builder.execute()
        except (psycopg.OperationalError, PoolTimeout) as error:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not create workflow {builder.name}: {error}") from error
            time.sleep(0.2)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, context: Callable[[], str]) -> None:
    """Polls ``predicate`` every 50 ms; fails with ``context()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{context()}")
        time.sleep(0.05)


@dataclass
class AppProcess:
    """One ``tests.chaos_app`` process and the file its stderr goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    stderr_path: Path
    stopped: bool = False  # SIGSTOPped and not resumed yet

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def worker_id(self) -> str:
        return f"{WORKER_ID_PREFIX}{self.pid}"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError as error:
            return f"<no stderr: {error}>"

    def tail(self, lines: int = 25) -> str:
        text = "\n".join(self.stderr().splitlines()[-lines:])
        return f"--- {self.name} (pid {self.pid}) stderr ---\n{text}"

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        if self.stopped and self.alive:
            os.kill(self.pid, signal.SIGCONT)
        self.stopped = False

    def kill(self) -> None:
        """SIGKILL, then waits for the process to be gone."""
        if self.alive:
            self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        self.stopped = False


@dataclass
class AppProcesses:
    """Starts ``tests.chaos_app`` processes for one test and kills whatever is left at the end."""

    dsn: str
    directory: Path
    queues: list[str]
    max_workers: int = 4
    poll_interval: float = 0.2
    rescue_interval: float = 0.3
    runs_dir: Path | None = None
    started: list[AppProcess] = field(default_factory=list)

    def start(self, name: str, *, mode: str = "sync", queues: list[str] | None = None) -> AppProcess:
        stderr_path = self.directory / f"{name}.stderr"
        argv = [
            sys.executable, "-m", "tests.chaos_app", "--dsn", self.dsn,
            "--max-workers", str(self.max_workers), "--mode", mode,
            "--poll-interval", str(self.poll_interval), "--rescue-interval", str(self.rescue_interval),
        ]  # fmt: skip
        for queue in queues if queues is not None else self.queues:
            argv += ["--queue", queue]
        if self.runs_dir is not None:
            argv += ["--runs-dir", str(self.runs_dir)]
        with stderr_path.open("wb") as stderr:
            popen = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        proc = AppProcess(name, popen, stderr_path)
        self.started.append(proc)
        return proc

    def wait_ready(self, proc: AppProcess, timeout: float) -> None:
        """Waits until ``proc`` logged that its runtime works its queues."""

        def ready() -> bool:
            assert proc.alive, f"{proc.name} exited early ({proc.popen.returncode})\n{proc.tail()}"
            return READY_LINE in proc.stderr()

        wait_for(ready, timeout, f"{proc.name} to start", self.tails)

    def running(self) -> list[AppProcess]:
        """The processes alive and not stopped."""
        return [proc for proc in self.started if proc.alive and not proc.stopped]

    def tails(self) -> str:
        return "\n".join(proc.tail() for proc in self.started)

    def kill_all(self) -> None:
        for proc in self.started:
            proc.resume()
            proc.kill()
