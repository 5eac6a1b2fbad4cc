"""Claims steps of one queue into its free slots, and the listener that wakes the fetchers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg

from tributary import _sql
from tributary._reconnect import ReconnectBackoff
from tributary.runtime.completer import StartSteps
from tributary.runtime.engine import Engine, EngineCalls
from tributary.runtime.events import Events
from tributary.runtime.slots import QueueSlots
from tributary.runtime.state import Lifecycle


class Fetcher:
    """Claims up to the free slots of one queue per ``claim_step`` call, while the runtime runs.

    It waits for a wake-up (a notification, or a completion or failure of this process) and
    polls every ``poll_interval`` only as a fallback. The wake-up signal is cleared before a
    claim, never after, so a step made available during the claim is never left to the poll.
    """

    def __init__(
        self,
        slots: QueueSlots,
        engine: EngineCalls,
        lifecycle: Lifecycle,
        events: Events,
        start_steps: StartSteps,
        *,
        batch_size: int,
        poll_interval: float,
        cooldown: float,
    ) -> None:
        self.slots = slots
        self._engine = engine
        self._lifecycle = lifecycle
        self._events = events
        self._start_steps = start_steps
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._cooldown = cooldown

    async def run(self) -> None:
        slots = self.slots
        backoff = ReconnectBackoff()
        while self._lifecycle.accepting_work:
            if slots.free <= 0:
                slots.slot_freed.clear()
                await slots.slot_freed.wait()
                continue
            slots.wake.clear()
            want = slots.reserve(self._batch_size)
            try:
                works = await self._engine.claim(slots.name, want)
            except Exception as error:  # never let the fetcher die: its queue would stop
                slots.give_back(want)
                self._events.emit("claim_failed", f"claim on queue {slots.name} failed: {error}", error=error)
                await asyncio.sleep(backoff.next_delay())
                continue
            backoff.reset()
            self._start_steps(slots, works, want)
            if len(works) < want:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(slots.wake.wait(), self._poll_interval)
            elif self._cooldown > 0:
                await asyncio.sleep(self._cooldown)

    def stop_waiting(self) -> None:
        """Wakes the loop so it sees the runtime stopping."""
        self.slots.wake.set()
        self.slots.slot_freed.set()


class Listener:
    """One LISTEN connection for every queue: a ``tributary_step_available`` notification wakes
    the fetcher of its queue. Notifications sent by this process's own connections are ignored:
    the task that made such a call wakes the fetchers itself, at once, and a second wake-up
    would only cost an empty claim."""

    def __init__(
        self, conninfo: str, engine: Engine, slots: dict[str, QueueSlots], events: Events, wake_all: Callable[[], None]
    ) -> None:
        self._conninfo = conninfo
        self._engine = engine
        self._slots = slots
        self._events = events
        self._wake_all = wake_all

    async def run(self) -> None:
        backoff = ReconnectBackoff()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await _sql.alisten(conn, _sql.AVAILABLE_CHANNEL)
                    backoff.reset()
                    self._wake_all()  # anything made available while nobody listened
                    async for note in conn.notifies():
                        if self._engine.is_own(note.pid):
                            continue
                        woken = self._slots.get(note.payload)
                        if woken is not None:
                            woken.wake.set()
            except (psycopg.Error, OSError) as error:
                self._events.emit(
                    "listen_lost", f"LISTEN connection lost ({error}); polling until it is back", error=error
                )
                await asyncio.sleep(backoff.next_delay())
