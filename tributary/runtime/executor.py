"""Runs claimed steps: hooks, typed args, the handler (on the event loop or in a thread) within
its timeout; then hands the outcome on — a result to the completer, an error to ``fail_step``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from pydantic import ValidationError

from tributary.errors import (
    ArgsDecodeError,
    DecryptionError,
    Discard,
    ResultEncodeError,
    StaleAttempt,
    StepCancelled,
    StepTimedOut,
    UnknownKind,
)
from tributary.hooks import Hook, WorkPayload
from tributary.payload import to_json
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots
from tributary.runtime.threads import HandlerThreads
from tributary.step import Step
from tributary.worker import Worker, Workers

NON_RETRYABLE = (Discard, UnknownKind, ArgsDecodeError, DecryptionError, ResultEncodeError)
"""Errors that fail a step at once, whatever attempts it has left."""


class CompletionSink(Protocol):
    def put(self, work: WorkPayload) -> None: ...


@dataclass(eq=False)
class Attempt:
    """The runtime's record of one attempt it runs: the claimed step, the queue slot it holds,
    the task running it, the thread of a sync handler, and what became of its lease."""

    work: WorkPayload
    slots: QueueSlots
    cancellable: bool  # an async handler can be cancelled; a thread cannot
    task: asyncio.Task[None] | None = None
    thread: Future[Any] | None = None
    lease_lost: bool = False
    released: bool = False


class Executor:
    """Runs attempts and owns them while they run (``running``, by step id)."""

    def __init__(
        self, shared: Shared, workers: Workers, hooks: Sequence[Hook], completer: CompletionSink, thread_count: int
    ) -> None:
        self.running: dict[int, Attempt] = {}
        self._shared = shared
        self._workers = workers
        self._hooks = list(hooks)
        self._completer = completer
        self._threads = HandlerThreads(thread_count)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, slots: QueueSlots, works: Sequence[WorkPayload], reserved: int) -> None:
        """Starts ``works`` in ``reserved`` slots of ``slots``; gives back the slots left over."""
        for work in works:
            worker = self._workers.get(work.kind)
            attempt = Attempt(work, slots, cancellable=worker is None or worker.is_async)
            self.running[work.step_id] = attempt
            attempt.task = asyncio.create_task(self._run(attempt), name=f"step-{work.step_id}")
            self._tasks.add(attempt.task)
            attempt.task.add_done_callback(self._tasks.discard)
        slots.give_back(reserved - len(works))

    async def drain(self, grace: float) -> list[Attempt]:
        """At shutdown: lets running attempts finish within ``grace`` seconds, cancels the others
        and returns them, to be given back to the engine."""
        in_flight = [a.task for a in self.running.values() if a.task is not None]
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace)
        leftover = list(self.running.values())
        for attempt in leftover:
            attempt.released = True
        for task in list(self._tasks):  # leftovers, and timed-out sync handlers still in their thread
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return leftover

    def close(self) -> None:
        self._threads.shutdown()

    # -- one attempt ---------------------------------------------------------------------------
    async def _run(self, attempt: Attempt) -> None:
        try:
            error = await self._work(attempt)
            self._forget(attempt)
            # Report even after a lost lease: the engine fences stale attempts, and an attempt whose
            # lease lapsed but was not rescued yet is still the one that holds the step.
            if error is None:
                self._completer.put(attempt.work)
            else:
                await self._fail(attempt.work, error)
            if attempt.thread is not None and not attempt.thread.done():
                # A sync handler past its timeout still runs in its thread: its slot stays taken.
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(attempt.thread)
        finally:
            self._forget(attempt)
            attempt.slots.give_back()

    def _forget(self, attempt: Attempt) -> None:
        if self.running.get(attempt.work.step_id) is attempt:  # not a newer attempt claimed meanwhile
            del self.running[attempt.work.step_id]

    async def _work(self, attempt: Attempt) -> Exception | None:
        """Runs the hooks and the handler; returns what they raised, if anything."""
        work = attempt.work
        error: Exception | None = None
        try:
            await self._handle(attempt)
        except Exception as raised:
            error = raised
        for hook in reversed(self._hooks):
            try:
                hook.after_work(work, error)
            except Exception as raised:
                error = error or raised
        return error

    async def _handle(self, attempt: Attempt) -> None:
        work = attempt.work
        if work.decode_error is not None:  # a poison payload fails its own step, at once
            raise ArgsDecodeError(work.decode_error)
        for hook in self._hooks:
            hook.before_work(work)
        worker = self._workers.get(work.kind)
        if worker is None:
            raise UnknownKind(f'no worker is registered for kind "{work.kind}" (task "{work.task_name}")')
        try:
            args = worker.args_type.model_validate(work.args)
        except ValidationError as invalid:
            raise ArgsDecodeError(
                f'args of task "{work.task_name}" do not validate as {worker.args_type.__name__}: {invalid}'
            ) from invalid
        step: Step[Any] = Step(
            id=work.step_id,
            workflow_id=work.workflow_id,
            task_name=work.task_name,
            kind=work.kind,
            args=args,
            attempt=work.attempt,
            max_attempts=work.max_attempts,
            queue=work.queue,
            deadline_at=work.deadline_at,
            dependency_results=work.dependency_results,
        )
        timeout = work.timeout.total_seconds() if work.timeout is not None else None
        if worker.is_async:
            returned = await _within(timeout, worker.work(step))
        else:
            returned = await self._in_thread(attempt, worker, step, timeout)
        work.result = to_json(returned if returned is not None else step.result)

    async def _in_thread(self, attempt: Attempt, worker: Worker[Any], step: Step[Any], timeout: float | None) -> Any:
        """Runs a sync handler in a thread; its timeout counts from the moment the thread starts it."""
        loop = asyncio.get_running_loop()
        began = asyncio.Event()

        def call() -> Any:
            loop.call_soon_threadsafe(began.set)
            return worker.work(step)

        attempt.thread = self._threads.submit(call)
        outcome = asyncio.wrap_future(attempt.thread)
        await began.wait()
        return await _within(timeout, outcome)

    async def _fail(self, work: WorkPayload, error: Exception) -> None:
        detail: dict[str, Any] = {
            "message": str(error) or type(error).__name__,
            "type": type(error).__qualname__,
            "traceback": "".join(traceback.format_exception(error)),
        }
        if isinstance(error, StepTimedOut):
            detail["reason"] = "timeout"
        try:
            state = await self._shared.engine.fail(work, detail, not isinstance(error, NON_RETRYABLE))
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
        self._shared.wake_all()  # a retry may be claimable at once
        self._shared.events.emit("attempt_failed", f"failed: {detail['message']} -> {state}", work=work, error=error)


async def _within(timeout: float | None, outcome: Awaitable[Any]) -> Any:
    """Awaits ``outcome`` for at most ``timeout`` seconds. Running out raises StepTimedOut; a
    TimeoutError the handler raised itself goes through as it is."""
    scope = asyncio.timeout(timeout)
    try:
        async with scope:
            return await outcome
    except TimeoutError as error:
        if scope.expired():
            raise StepTimedOut(f"attempt timed out after {timeout:g} s") from error
        raise
