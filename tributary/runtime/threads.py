"""The threads that run sync handlers."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class HandlerThreads:
    """A fixed set of daemon threads, so a hung handler can never block process exit.

    There are as many threads as slots, and a sync handler keeps its slot until its thread
    returns (also after its attempt timed out), so a submitted handler always finds a free thread.
    """

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"tributary-handler-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as error:
                future.set_exception(error)

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((fn, future))
        return future

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
