"""Runs claimed steps (each through :func:`~tributary.runtime.attempt.run_attempt`: async
handlers on the event loop, sync ones in a thread) and hands each outcome on: a result to the
completer, an error to ``fail_step``, or to ``hand_back_step`` when this process cannot run the
step at all (an unknown kind, a missing key: :func:`~tributary.runtime.attempt.hand_back_report`).

A queue with a ``prefetch`` may hold more claimed steps than it runs: those wait, in claim order,
for one of its running steps to end, and start at once then, with no round trip. Their leases
are renewed like the running ones'; their timeout counts from the claim (the engine's
``deadline_at``), so a step whose deadline passed while it waited fails with a timeout without
running, one whose lease the engine took back (cancelled, rescued) is dropped, and one that
waited too long behind a long step is given back (:meth:`Executor.take_stale_waiting`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from tributary.errors import EngineError, StaleAttempt, StepCancelled
from tributary.hooks import Hook, WorkPayload
from tributary.runtime.attempt import failure_report, hand_back_report, run_attempt, within
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots
from tributary.runtime.threads import HandlerThreads
from tributary.worker import Workers


class CompletionSink(Protocol):
    def put(self, work: WorkPayload) -> None: ...


@dataclass(eq=False)
class Attempt:
    """The runtime's record of one attempt it holds: the claimed step, the queue slot it holds,
    when it was claimed, the task running it (None while it waits for a slot), the thread of a
    sync handler, and what became of its lease."""

    work: WorkPayload
    slots: QueueSlots
    cancellable: bool  # an async handler can be cancelled; a thread cannot
    claimed_at: float  # time.monotonic() when the claim came back
    task: asyncio.Task[None] | None = None
    ended: bool = False  # its slot given back
    thread: Future[Any] | None = None
    lease_lost: bool = False
    released: bool = False


class Executor:
    """Runs attempts and owns them from their claim to their outcome (``held``, by step id:
    running, or waiting for a slot of their queue)."""

    def __init__(
        self, shared: Shared, workers: Workers, hooks: Sequence[Hook], completer: CompletionSink, thread_count: int
    ) -> None:
        self.held: dict[int, Attempt] = {}
        self._waiting: dict[QueueSlots, deque[Attempt]] = {}
        self._shared = shared
        self._workers = workers
        self._hooks = list(hooks)
        self._completer = completer
        self._threads = HandlerThreads(thread_count)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, slots: QueueSlots, works: Sequence[WorkPayload], reserved: int) -> None:
        """Holds ``works`` in ``reserved`` slots of ``slots``: starts each while fewer than
        ``max_workers`` run, lines up the others; gives back the slots left over. Once the
        runtime stops taking work (a claim that came back during shutdown) every step lines up,
        to be given back by :meth:`take_waiting`."""
        claimed_at = time.monotonic()
        waiting = self._waiting.setdefault(slots, deque())
        accepting = self._shared.lifecycle.accepting_work
        for work in works:
            worker = self._workers.get(work.kind)
            attempt = Attempt(work, slots, cancellable=worker is None or worker.is_async, claimed_at=claimed_at)
            self.held[work.step_id] = attempt
            if accepting and slots.can_run and not waiting:
                self._launch(attempt)
            else:
                waiting.append(attempt)
        slots.give_back(reserved - len(works))

    def take_waiting(self) -> list[Attempt]:
        """At shutdown: the attempts still waiting for a slot, no longer held (to be given back)."""
        taken = [attempt for waiting in self._waiting.values() for attempt in waiting]
        for waiting in self._waiting.values():
            waiting.clear()
        for attempt in taken:
            self._let_go(attempt)
            attempt.slots.give_back()
        return taken

    def take_stale_waiting(self, waited_longer_than: float) -> list[Attempt]:
        """The attempts that have waited for a slot longer than ``waited_longer_than`` seconds (a
        running step of their queue is long), no longer held (to be given back, so another
        process may run them). Their slots, and the queue's free ones (a step waits only while
        every slot to run in is taken, so those are slots to claim ahead), stay parked until a
        running step of the queue ends: until then the queue claims no further ahead, and the
        steps given back are not claimed again here only to wait once more."""
        now = time.monotonic()
        taken: list[Attempt] = []
        for slots, waiting in self._waiting.items():
            stale = [attempt for attempt in waiting if now - attempt.claimed_at > waited_longer_than]
            for attempt in stale:
                waiting.remove(attempt)
                self._let_go(attempt)
            if stale:
                slots.parked += len(stale) + slots.free
                slots.free = 0
            taken.extend(stale)
        return taken

    async def drain(self, grace: float) -> list[Attempt]:
        """At shutdown (after :meth:`take_waiting`): lets running attempts finish within ``grace``
        seconds, cancels the others and returns them, to be given back to the engine."""
        in_flight = [a.task for a in self.held.values() if a.task is not None]
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace)
        leftover = list(self.held.values())
        for attempt in leftover:
            attempt.released = True
        for task in list(self._tasks):  # leftovers, and timed-out sync handlers still in their thread
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return leftover

    def close(self) -> None:
        self._threads.shutdown()

    # -- one attempt ---------------------------------------------------------------------------
    def _launch(self, attempt: Attempt) -> None:
        attempt.slots.running += 1
        attempt.task = asyncio.create_task(self._run(attempt), name=f"step-{attempt.work.step_id}")
        self._tasks.add(attempt.task)
        attempt.task.add_done_callback(self._tasks.discard)
        # Also called when the task ends without running (cancelled before its first step after
        # a lost lease), where _run's own call never comes.
        attempt.task.add_done_callback(lambda _: self._ended(attempt))

    def _ended(self, attempt: Attempt) -> None:
        """A running attempt ended (once, whichever call comes first): its slot, and any the queue
        parked, are free again; the next waiting attempts start."""
        if attempt.ended:
            return
        attempt.ended = True
        self._forget(attempt)
        slots = attempt.slots
        slots.running -= 1
        slots.give_back(1 + slots.parked)
        slots.parked = 0
        self._launch_waiting(slots)

    def _launch_waiting(self, slots: QueueSlots) -> None:
        """Starts the waiting attempts of ``slots`` that fit (none once the runtime stops taking
        work: shutdown gives them back). One whose lease the engine took back is dropped."""
        waiting = self._waiting.get(slots)
        while waiting and slots.can_run and self._shared.lifecycle.accepting_work:
            attempt = waiting.popleft()
            if attempt.lease_lost or self.held.get(attempt.work.step_id) is not attempt:
                self._forget(attempt)
                slots.give_back()
                self._shared.events.emit(
                    "lease_lost", "lost its lease while it waited for a slot; not run", work=attempt.work
                )
                continue
            self._launch(attempt)

    async def _run(self, attempt: Attempt) -> None:
        try:
            error = await self._work(attempt)
            self._forget(attempt)
            # Report even after a lost lease: the engine fences stale attempts, and an attempt whose
            # lease lapsed but was not rescued yet is still the one that holds the step.
            if error is None and attempt.work.child is not None:
                await self._spawn(attempt.work)
            elif error is None:
                self._completer.put(attempt.work)
            else:
                await self._fail(attempt.work, error)
            if attempt.thread is not None and not attempt.thread.done():
                # A sync handler past its timeout still runs in its thread: its slot stays taken.
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(attempt.thread)
        finally:
            # At once, not from the task's done callback a loop turn later: the completer, woken
            # by this completion, claims with it into the slot this attempt frees.
            self._ended(attempt)

    def _let_go(self, attempt: Attempt) -> None:
        """A waiting attempt is no longer held: it is to be given back to the engine."""
        self._forget(attempt)
        attempt.released = True

    def _forget(self, attempt: Attempt) -> None:
        if self.held.get(attempt.work.step_id) is attempt:  # not a newer attempt claimed meanwhile
            del self.held[attempt.work.step_id]

    async def _work(self, attempt: Attempt) -> Exception | None:
        """Runs the attempt (hooks and handler) within what is left of its timeout after its wait
        for a slot; returns what it raised, if anything."""
        waited = time.monotonic() - attempt.claimed_at

        async def in_thread(call: Callable[[], Any], timeout: float | None, stated: float | None) -> Any:
            """A sync handler runs in a thread; its timeout counts from the moment the thread starts it."""
            loop = asyncio.get_running_loop()
            began = asyncio.Event()

            def started_call() -> Any:
                loop.call_soon_threadsafe(began.set)
                return call()

            attempt.thread = self._threads.submit(started_call)
            outcome = asyncio.wrap_future(attempt.thread)
            await began.wait()
            return await within(timeout, outcome, stated)

        return await run_attempt(attempt.work, self._workers, self._hooks, in_thread, waited=waited)

    async def _spawn(self, work: WorkPayload) -> None:
        """The handler spawned a child: the engine creates it and the step waits for it. A child
        the engine refuses (validation) fails the attempt like an error of the handler."""
        try:
            child_id = await self._shared.engine.spawn(work)
        except (StaleAttempt, StepCancelled) as refused:
            self._shared.events.emit(
                "spawn_not_recorded", f"child workflow not started: {refused}", work=work, level=logging.INFO
            )
            return
        except EngineError as invalid:
            await self._fail(work, invalid)
            return
        except (psycopg.Error, OSError) as db_error:
            self._shared.events.emit(
                "spawn_failed",
                f"could not start the child workflow ({db_error}); the lease will expire and the step run again",
                work=work,
                error=db_error,
                level=logging.ERROR,
            )
            return
        self._shared.events.emit(
            "child_spawned", f"started child workflow {child_id}; the step waits for it", work=work, level=logging.DEBUG
        )

    async def _fail(self, work: WorkPayload, error: Exception) -> None:
        hand_back = hand_back_report(error)
        if hand_back is not None:
            reason, detail = hand_back
            report = self._shared.engine.hand_back(work, reason, detail)
        else:
            detail, retryable = failure_report(error)
            report = self._shared.engine.fail(work, detail, retryable)
        try:
            state = await report
        except (StaleAttempt, StepCancelled) as refused:
            self._shared.events.emit(
                "failure_not_recorded", f"failure not recorded: {refused}", work=work, level=logging.INFO
            )
            return
        except (psycopg.Error, OSError) as db_error:
            self._shared.events.emit(
                "failure_not_recorded",
                f"could not record its failure ({db_error}); its lease will expire",
                work=work,
                error=db_error,
                level=logging.ERROR,
            )
            return
        if hand_back is not None:  # not claimable here before hand_back_delay: no wake-up
            level = logging.INFO if state == "available" else logging.WARNING
            message = f"handed back ({hand_back[0]}) for another process: {detail['message']} -> {state}"
            self._shared.events.emit("handed_back", message, work=work, error=error, level=level)
            return
        self._shared.wake_all()  # a retry may be claimable at once
        self._shared.events.emit(
            "attempt_failed", f"failed: {detail['message']} -> {state}", work=work, error=error, state=state
        )
