"""One attempt of a step, from its claimed payload to its outcome: hooks, typed args, the handler
within its timeout, the result as JSON. The worker runtime and the inline test runner
(:mod:`tributary.testing.inline`) both run attempts through here."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError

from tributary.errors import (
    ArgsDecodeError,
    DecryptionError,
    Discard,
    MissingKey,
    ResultEncodeError,
    StepTimedOut,
    UnknownKind,
)
from tributary.hooks import Hook, WorkPayload
from tributary.payload import to_json
from tributary.step import Step
from tributary.worker import Workers

NON_RETRYABLE = (Discard, UnknownKind, ArgsDecodeError, DecryptionError, ResultEncodeError)
"""Errors that fail a step at once, whatever attempts it has left."""


def hand_back_report(error: Exception) -> tuple[str, dict[str, Any]] | None:
    """When ``error`` says this process cannot run the step at all, the worker runtime hands the
    step back for another process (``tributary.hand_back_step``) instead of failing it: the reason,
    ``"unknown_kind"`` (no worker for its kind) or ``"missing_key"`` (its payloads are sealed with a
    key this process does not have), and the entry to record. None for every other error. The
    engine decides what becomes of the step (available again, or discarded after the grace)."""
    if isinstance(error, UnknownKind):
        reason = "unknown_kind"
    elif isinstance(error, MissingKey):
        reason = "missing_key"
    else:
        return None
    return reason, {"message": str(error) or type(error).__name__, "type": type(error).__qualname__}


RunSync = Callable[[Callable[[], Any], float | None, float | None], Awaitable[Any]]
"""Runs a sync handler's call within a timeout in seconds (the runtime: in a thread); the third
argument is the step's own timeout, for the message (see :func:`within`)."""


async def run_attempt(
    work: WorkPayload, workers: Workers, hooks: Sequence[Hook], run_sync: RunSync, waited: float = 0.0
) -> Exception | None:
    """Runs the hooks and the handler of ``work``; sets ``work.result``; returns what they
    raised, if anything (the attempt then failed). ``waited`` is how many seconds the step waited
    for a slot after its claim (a queue's prefetch): its timeout counts from the claim."""
    error: Exception | None = None
    try:
        await _handle(work, workers, hooks, run_sync, waited)
    except Exception as raised:
        error = raised
    for hook in reversed(hooks):
        try:
            hook.after_work(work, error)
        except Exception as raised:
            error = error or raised
    return error


def failure_report(error: Exception) -> tuple[dict[str, Any], bool]:
    """The error entry ``fail_step`` records for ``error``, and whether the step may retry."""
    detail: dict[str, Any] = {
        "message": str(error) or type(error).__name__,
        "type": type(error).__qualname__,
        "traceback": "".join(traceback.format_exception(error)),
    }
    if isinstance(error, StepTimedOut):
        detail["reason"] = "timeout"
    return detail, not isinstance(error, NON_RETRYABLE)


async def within(timeout: float | None, outcome: Awaitable[Any], stated: float | None = None) -> Any:
    """Awaits ``outcome`` for at most ``timeout`` seconds. Running out raises StepTimedOut, whose
    message gives ``stated`` (the step's timeout, when ``timeout`` is what is left of it after a
    wait for a slot); a TimeoutError the handler raised itself goes through as it is."""
    if timeout is None:  # no timeout: no scope (it costs a few percent of a no-op step's run)
        return await outcome
    scope = asyncio.timeout(timeout)
    try:
        async with scope:
            return await outcome
    except TimeoutError as error:
        if scope.expired():
            raise StepTimedOut(f"attempt timed out after {timeout if stated is None else stated:g} s") from error
        raise


async def _handle(work: WorkPayload, workers: Workers, hooks: Sequence[Hook], run_sync: RunSync, waited: float) -> None:
    if work.decode_error is not None:  # a poison payload fails its own step, at once
        raise ArgsDecodeError(work.decode_error)
    for hook in hooks:
        hook.before_work(work)
    worker = workers.get(work.kind)
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
    stated = work.timeout.total_seconds() if work.timeout is not None else None
    timeout = None if stated is None else stated - waited  # it counts from the claim
    if timeout is not None and timeout <= 0:  # it passed while it waited for a slot
        raise StepTimedOut(
            f"attempt timed out after {stated:g} s while it waited for a slot (its queue's prefetch);"
            " the handler did not run"
        )
    if worker.is_async:
        returned = await within(timeout, worker.work(step), stated)
    else:
        returned = await run_sync(lambda: worker.work(step), timeout, stated)
    if step.child is not None:
        work.child = step.child
        return
    work.result = to_json(returned if returned is not None else step.result)
    work.workflows_to_start = step.workflows_to_start
