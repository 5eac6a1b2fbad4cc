"""The runtime: the parts put together, started and stopped in order."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tributary._version import package_version
from tributary.hooks import WorkPayload
from tributary.runtime.completer import Completer
from tributary.runtime.engine import Engine, ProcessReport
from tributary.runtime.events import Events
from tributary.runtime.executor import Executor
from tributary.runtime.fetcher import Fetcher, Listener
from tributary.runtime.maintenance import Maintenance
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots
from tributary.runtime.state import Lifecycle, RuntimeState

if TYPE_CHECKING:
    from tributary.config import Config


class Runtime:
    """Works ``config``'s queues on the database at ``conninfo`` until asked to stop.

    ``Client.start`` runs it in a thread, ``Client.run_forever`` in the calling one. A failed
    start (the database cannot be reached, a Config that does not fit the engine's lease) is
    kept in ``start_error`` and ends the run.
    """

    def __init__(self, config: Config, conninfo: str) -> None:
        self.config = config
        self.conninfo = conninfo
        self.lifecycle = Lifecycle()
        self.start_error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.engine = Engine(conninfo, config.worker_id, pool_size=3)
        self.shared = Shared(
            self.engine,
            self.lifecycle,
            Events(config.hooks, config.worker_id),
            {name: QueueSlots(name, q.max_workers, q.prefetch) for name, q in config.queues.items()},
        )
        self.completer = Completer(
            self.shared,
            start_steps=self._start_steps,
            release_steps=self._release,
            batch_size=config.complete_batch_size,
            flush_interval=config.complete_flush_interval.total_seconds(),
            claim_batch_size=config.claim_batch_size,
        )
        total_slots = sum(q.max_workers for q in config.queues.values()) or 1
        self.executor = Executor(self.shared, config.workers, config.work_hooks(), self.completer, total_slots)
        self.maintenance = Maintenance(
            self.shared,
            self.executor,
            self.completer,
            ProcessReport(
                host=socket.gethostname(),
                pid=os.getpid(),
                queues=sorted(config.queues),
                kinds=sorted(worker.kind for worker in config.workers),
                package_version=package_version(),
            ),
            configured_heartbeat=config.heartbeat_interval,
            rescue_interval=config.rescue_interval.total_seconds(),
            wake_interval=config.wake_interval.total_seconds(),
        )
        poll, cooldown = config.fetch_poll_interval.total_seconds(), config.fetch_cooldown.total_seconds()
        self.fetchers = [
            Fetcher(self.shared, slots, self._start_steps, config.claim_batch_size, poll, cooldown)
            for slots in self.shared.slots.values()
        ]
        self.listener = Listener(self.shared, conninfo, self.engine.is_own)

    @property
    def state(self) -> RuntimeState:
        return self.lifecycle.state

    # -- entry points ------------------------------------------------------------------------
    def run_in_thread(self, started: threading.Event) -> None:
        """Runs until :meth:`request_stop`; sets ``started`` once running (or once the start failed)."""
        asyncio.run(self._main(started, install_signals=False))

    def run_until_signal(self) -> None:
        """Runs until SIGTERM or SIGINT; raises what made the start fail."""
        asyncio.run(self._main(None, install_signals=True))
        if self.start_error is not None:
            raise self.start_error

    def request_stop(self) -> None:
        """Asks a running runtime to stop (from any thread)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)

    # -- the run -------------------------------------------------------------------------------
    async def _main(self, started: threading.Event | None, *, install_signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stop.set)
        self.lifecycle.move_to(RuntimeState.STARTING)
        try:
            await self.engine.open()
            await self.maintenance.start()
        except BaseException as error:
            self.start_error = error
            await self.engine.close()
            self.executor.close()
            self.lifecycle.move_to(RuntimeState.STOPPED)
            if started is not None:
                started.set()
            return
        self.lifecycle.move_to(RuntimeState.RUNNING)
        fetch_tasks = [asyncio.create_task(f.run(), name=f"fetch-{f.slots.name}") for f in self.fetchers]
        completing = asyncio.create_task(self.completer.run(), name="completer")
        helpers = [
            asyncio.create_task(self.listener.run(), name="listener"),
            asyncio.create_task(self.maintenance.heartbeats(), name="heartbeats"),
            asyncio.create_task(self.maintenance.rescues(), name="rescues"),
            asyncio.create_task(self.maintenance.wakes(), name="wakes"),
        ]
        worker_id = self.config.worker_id
        self.shared.events.emit(
            "started", f"worker {worker_id} started on queues {sorted(self.shared.slots)}", level=logging.INFO
        )
        if started is not None:
            started.set()
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(fetch_tasks, completing, helpers)

    async def _shutdown(
        self, fetch_tasks: list[asyncio.Task[None]], completing: asyncio.Task[None], helpers: list[asyncio.Task[None]]
    ) -> None:
        worker_id = self.config.worker_id
        self.lifecycle.move_to(RuntimeState.STOPPING)
        in_flight = len(self.executor.held)
        self.shared.events.emit(
            "stopping", f"worker {worker_id} stopping: {in_flight} steps in flight", level=logging.INFO
        )
        # Fetchers stop at the top of their loop, never in the middle of a claim: a claim cut off
        # after its commit would leave steps running that no handler runs. Only a claim stuck on
        # an unreachable database is cancelled, after the grace period.
        for fetcher in self.fetchers:
            fetcher.stop_waiting()
        grace = self.config.shutdown_grace.total_seconds()
        _, stuck = await asyncio.wait(fetch_tasks, timeout=grace)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*fetch_tasks, return_exceptions=True)
        # Steps claimed ahead that never started go back first, for other processes to take.
        await self._release([attempt.work for attempt in self.executor.take_waiting()])
        leftover = await self.executor.drain(grace)
        await self._release([attempt.work for attempt in leftover])
        await self.completer.close()
        await completing
        await self.maintenance.forget_process()
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await self.engine.close()
        self.executor.close()
        self.lifecycle.move_to(RuntimeState.STOPPED)
        self.shared.events.emit("stopped", f"worker {worker_id} stopped", level=logging.INFO)

    # -- shared by the parts -------------------------------------------------------------------
    def _start_steps(self, slots: QueueSlots, works: Sequence[WorkPayload], reserved: int) -> None:
        self.executor.start(slots, works, reserved)

    async def _release(self, works: Sequence[WorkPayload]) -> None:
        await self.maintenance.release(works)
