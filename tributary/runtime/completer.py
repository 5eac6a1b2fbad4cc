"""Reports completed attempts in batches (``complete_steps``).

A completion others wait for is sent at once, with a claim on its queue in the same transaction
and round trip (its dependents are often claimable the moment it commits); so is a completion
that starts workflows (``step.start_workflow``), which are created in that transaction and
claimed on the queues where they made steps claimable. Others wait up to ``complete_flush_interval`` so batches
grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from tributary._reconnect import ReconnectBackoff
from tributary.hooks import WorkPayload
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots

FLUSH_TRIES = 8
"""Tries of one batch before giving up on it (its steps then run again once their leases expire)."""

StartSteps = Callable[[QueueSlots, Sequence[WorkPayload], int], None]
ReleaseSteps = Callable[[Sequence[WorkPayload]], Awaitable[None]]


@dataclass(eq=False)
class Completer:
    """Owns the queue of completed attempts not reported yet."""

    shared: Shared
    start_steps: StartSteps
    release_steps: ReleaseSteps
    batch_size: int
    flush_interval: float
    claim_batch_size: int
    _queue: asyncio.Queue[WorkPayload | None] = field(default_factory=asyncio.Queue)
    # Completed attempts not reported yet, by step id: their leases are still renewed, so a slow
    # flush (the database is away) does not let them be rescued and run again.
    unreported: dict[int, WorkPayload] = field(default_factory=dict)
    _urgent: asyncio.Event = field(default_factory=asyncio.Event)  # a completion others wait for is queued

    def put(self, work: WorkPayload) -> None:
        """Queues the completion of ``work`` (its ``result`` is set)."""
        if _unlocks(work):
            self._urgent.set()
        self.unreported[work.step_id] = work
        self._queue.put_nowait(work)

    async def close(self) -> None:
        """Ends :meth:`run` once everything queued before is reported."""
        await self._queue.put(None)

    async def run(self) -> None:
        done = False
        while not done:
            item = await self._queue.get()
            if item is None:
                break
            # Let a batch build up for a moment, unless a completion others wait for is queued.
            if self.flush_interval > 0 and not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), self.flush_interval)
            self._urgent.clear()
            batch = [item]
            while len(batch) < self.batch_size and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
            if not self._queue.empty():
                self._urgent.set()  # a backlog: send the next batch without waiting
            unlocks = any(_unlocks(work) for work in batch)
            drained = await self._flush(batch)
            for work in batch:
                if self.unreported.get(work.step_id) is work:
                    del self.unreported[work.step_id]
            if unlocks:  # dependents may be claimable now: do not wait for the notification
                for slots in self.shared.slots.values():
                    if slots not in drained:
                        slots.wake.set()

    async def _flush(self, batch: list[WorkPayload]) -> set[QueueSlots]:
        """Completes ``batch``; returns the queues it also claimed on and found nothing more."""
        backoff = ReconnectBackoff()
        starts = any(work.workflows_to_start for work in batch)
        for attempt in range(1, FLUSH_TRIES + 1):
            claims = self._reserve_claims(batch, starts) if attempt == 1 else []
            try:
                # A batch that starts workflows always goes through complete_and_claim: its
                # workflows are created with the completions, on a retry (no claims) too.
                if claims or starts:
                    outcomes, claimed = await self.shared.engine.complete_and_claim(
                        batch, [(slots.name, want) for slots, want in claims]
                    )
                else:
                    outcomes, claimed = await self.shared.engine.complete(batch), []
            except Exception as error:  # never let the completer die: its steps would never be reported
                for slots, want in claims:
                    slots.give_back(want)
                self.shared.events.emit(
                    "completion_failed", f"completing {len(batch)} steps failed (try {attempt}): {error}", error=error
                )
                await asyncio.sleep(backoff.next_delay())
                continue
            by_id = {work.step_id: work for work in batch}
            for step_id, outcome in outcomes:
                if outcome == "failed":  # a workflow it starts was refused: the engine failed the attempt
                    self.shared.events.emit(
                        "start_failed",
                        "a workflow this step starts was refused by the engine; the attempt failed (see its errors)",
                        work=by_id.get(step_id),
                        level=logging.WARNING,
                    )
                    self.shared.wake_all()  # a retry may be claimable
                elif outcome != "completed":
                    self.shared.events.emit(
                        "completion_refused",
                        f"completion refused by the engine: {outcome}",
                        work=by_id.get(step_id),
                        level=logging.INFO,
                    )
            return await self._start_claimed(claims, claimed)
        self.shared.events.emit(
            "completion_given_up",
            f"gave up completing {len(batch)} steps; their leases will expire and they will run again",
            level=logging.ERROR,
        )
        return set()

    async def _start_claimed(
        self, claims: list[tuple[QueueSlots, int]], claimed: list[list[WorkPayload]]
    ) -> set[QueueSlots]:
        drained: set[QueueSlots] = set()
        for (slots, want), works in zip(claims, claimed, strict=True):
            if not self.shared.lifecycle.accepting_work:
                await self.release_steps(works)  # shutdown began during the call: give them back
                slots.give_back(want)
            else:
                self.start_steps(slots, works, want)
            if len(works) < want:
                drained.add(slots)
        return drained

    def _reserve_claims(self, batch: list[WorkPayload], starts: bool) -> list[tuple[QueueSlots, int]]:
        """Free slots to claim with the completion of ``batch``: on the queue of each step others
        wait for (its dependents are often claimable once it commits, and usually on its queue),
        and, when the batch starts workflows, on every queue this process serves: the engine
        claims only on those where the call made steps claimable (it knows which queue a started
        step is on, and whether it can run now)."""
        if not self.shared.lifecycle.accepting_work:
            return []
        names = [work.queue for work in batch if work.has_dependents]
        if starts:
            names.extend(self.shared.slots)
        claims = []
        for name in dict.fromkeys(names):
            slots = self.shared.slots.get(name)
            if slots is not None and (want := slots.reserve(self.claim_batch_size)) > 0:
                claims.append((slots, want))
        return claims


def _unlocks(work: WorkPayload) -> bool:
    """Whether completing ``work`` may make steps claimable: it has dependents, or starts workflows."""
    return work.has_dependents or bool(work.workflows_to_start)
