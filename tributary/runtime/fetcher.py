"""Claims steps of one queue into its free slots, and the listener that wakes the fetchers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from tributary import _sql
from tributary._reconnect import ReconnectBackoff
from tributary.runtime.completer import StartSteps
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots

MIN_RETRY = 0.01  # seconds: the shortest wait before claiming again after a rate limit held a step back


@dataclass(eq=False)
class Fetcher:
    """Claims up to the free slots of one queue per ``claim_steps`` call, while the runtime runs.

    It waits for a wake-up (a notification, or a completion or failure of this process) and
    polls every ``poll_interval`` only as a fallback; after a claim a rate limit cut short, it
    claims again when the engine says the next token is due (``claim_retry_in``). The wake-up signal is cleared before a
    claim, never after, so a step made available during the claim is never left to the poll.
    """

    shared: Shared
    slots: QueueSlots
    start_steps: StartSteps
    batch_size: int
    poll_interval: float
    cooldown: float

    async def run(self) -> None:
        slots = self.slots
        backoff = ReconnectBackoff()
        while self.shared.lifecycle.accepting_work:
            if slots.free <= 0:
                slots.slot_freed.clear()
                await slots.slot_freed.wait()
                continue
            slots.wake.clear()
            want = slots.reserve(self.batch_size)
            try:
                works = await self.shared.engine.claim(slots.name, want)
            except Exception as error:  # never let the fetcher die: its queue would stop
                slots.give_back(want)
                self.shared.events.emit("claim_failed", f"claim on queue {slots.name} failed: {error}", error=error)
                with contextlib.suppress(TimeoutError):  # a wake-up (LISTEN is back) ends the wait early
                    await asyncio.wait_for(slots.wake.wait(), backoff.next_delay())
                continue
            backoff.reset()
            self.start_steps(slots, works, want)
            if len(works) < want:
                # A rate limit held a step back: come back when its token is due, not at the poll.
                retry_in = self.shared.engine.claim_retry_in(slots.name)
                wait = self.poll_interval if retry_in is None else min(self.poll_interval, max(retry_in, MIN_RETRY))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(slots.wake.wait(), wait)
            elif self.cooldown > 0:
                await asyncio.sleep(self.cooldown)

    def stop_waiting(self) -> None:
        """Wakes the loop so it sees the runtime stopping."""
        self.slots.wake.set()
        self.slots.slot_freed.set()


@dataclass(eq=False)
class Listener:
    """One LISTEN connection for every queue: a ``tributary_step_available`` or
    ``tributary_slot_freed`` notification wakes the fetcher of its queue. Availability sent by
    this process's own connections is ignored: the task that made such a call wakes the fetchers
    itself, at once, and a second wake-up would only cost an empty claim. The completer's
    connection is the exception: ``complete_steps_and_claim`` notifies only a queue its own claim
    may have left steps on (held back by a pause or a limit), and this process's fetcher of that
    queue must claim again too. A freed slot (a step
    claimed under a concurrency or rate limit stopped running) wakes it whoever freed it: this
    process does not know which of its steps ran under a limit."""

    shared: Shared
    conninfo: str
    is_own: Callable[[int], bool]  # whether a backend pid is one of this runtime's connections

    async def run(self) -> None:
        backoff = ReconnectBackoff()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                    await _sql.alisten(conn, _sql.AVAILABLE_CHANNEL)
                    await _sql.alisten(conn, _sql.SLOT_FREED_CHANNEL)
                    backoff.reset()
                    self.shared.wake_all()  # anything made available while nobody listened
                    async for note in conn.notifies():
                        # A slot freed under a limit wakes this process even when it freed it.
                        if note.channel == _sql.AVAILABLE_CHANNEL and self.is_own(note.pid):
                            continue
                        woken = self.shared.slots.get(note.payload)
                        if woken is not None:
                            woken.wake.set()
            except (psycopg.Error, OSError) as error:
                self.shared.events.emit(
                    "listen_lost", f"LISTEN connection lost ({error}); polling until it is back", error=error
                )
                await asyncio.sleep(backoff.next_delay())
