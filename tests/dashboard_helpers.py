"""Helpers of the dashboard tests: a dashboard served by uvicorn in a thread on a free loopback
port, and the workers the pages watch (a step that blocks until released, one that fails until
allowed to succeed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tributary import Discard, Step, StepArgs, Worker
from tributary.dashboard import create_app

TOKEN = "s3cret-dashboard-token"


class Work(StepArgs):
    kind = "dash_work"
    label: str = ""


class Gate(StepArgs):
    kind = "dash_gate"
    gate: str


class Flaky(StepArgs):
    kind = "dash_flaky"
    label: str = ""


class WorkWorker(Worker[Work]):
    def work(self, step: Step[Work]) -> dict[str, Any]:
        return {"label": step.args.label, "rows": 3}


class Gates:
    """Named events a GateWorker step waits on (bounded), released by the test."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def event(self, name: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(name, threading.Event())

    def release_all(self) -> None:
        with self._lock:
            for event in self._events.values():
                event.set()


class GateWorker(Worker[Gate]):
    def __init__(self, gates: Gates) -> None:
        super().__init__()
        self.gates = gates

    def work(self, step: Step[Gate]) -> str:
        if not self.gates.event(step.args.gate).wait(timeout=30):
            raise TimeoutError(f"gate {step.args.gate} was never opened")
        return f"passed {step.args.gate}"


class FlakyWorker(Worker[Flaky]):
    """Discards the step (no retry) until ``healed`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.healed = threading.Event()

    def work(self, step: Step[Flaky]) -> str:
        if not self.healed.is_set():
            raise Discard(f"upstream for {step.args.label or step.task_name} is unavailable")
        return "recovered"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(dsn: str, poll_interval: float = 0.2, **options: Any) -> Iterator[str]:
    """The dashboard for ``dsn`` (``create_app`` options) at the returned base URL until exit."""
    app = create_app(dsn, poll_interval=poll_interval, **options)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, name="dashboard-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
