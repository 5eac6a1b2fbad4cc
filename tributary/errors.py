"""Exceptions raised by Tributary.

Every error the engine raises in SQL carries a SQLSTATE of class ``TB``; :func:`from_sql_error`
maps each one to its own exception class here, in one place. Errors found in Python (a worker
registry mistake, a payload that does not decrypt) have their own classes too. All derive from
:class:`TributaryError`.
"""

from __future__ import annotations

import psycopg


class TributaryError(Exception):
    """Root of every error Tributary raises."""


class MigrationError(TributaryError):
    """The schema could not be deployed or reverted."""


class EngineError(TributaryError):
    """An error raised by the engine in SQL; ``sqlstate``, ``detail`` and ``hint`` come from it."""

    sqlstate: str = ""

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        return "\n".join(parts)


class WorkflowValidationError(EngineError):
    """A workflow was refused at creation; the message names the offending task."""


class CycleDetected(WorkflowValidationError):
    sqlstate = "TB001"


class UnknownDependency(WorkflowValidationError):
    sqlstate = "TB002"


class DuplicateTaskName(WorkflowValidationError):
    sqlstate = "TB003"


class EmptyWorkflow(WorkflowValidationError):
    sqlstate = "TB004"


class InvalidTask(WorkflowValidationError):
    sqlstate = "TB005"


class InvalidMapTask(WorkflowValidationError):
    """A task's ``map`` option is wrong (its ``over`` is not a dependency, a bad path, ...)."""

    sqlstate = "TB320"


class InvalidBranch(WorkflowValidationError):
    """A task's ``run_if`` or ``run_when`` option is wrong."""

    sqlstate = "TB321"


class StepNotFound(EngineError):
    sqlstate = "TB006"


class StaleAttempt(EngineError):
    """The attempt no longer holds its step (lease lost, rescued, already reported)."""

    sqlstate = "TB007"


class StepCancelled(EngineError):
    """The step was cancelled while the attempt ran."""

    sqlstate = "TB008"


class WorkflowNotFound(EngineError):
    sqlstate = "TB009"


class WorkflowSealed(EngineError):
    sqlstate = "TB010"


class InvalidState(EngineError):
    sqlstate = "TB011"


class InvalidArgument(EngineError):
    sqlstate = "TB012"


class ScheduleError(EngineError):
    """A schedule was refused or not found (SQLSTATEs TB201 to TB205)."""


class InvalidCronExpression(ScheduleError):
    """A cron expression does not parse, or never fires."""

    sqlstate = "TB201"


class UnknownTimeZone(ScheduleError):
    sqlstate = "TB202"


class InvalidSchedule(ScheduleError):
    """A schedule's name, timing (neither or both of cron and interval, an interval that is not
    positive) or policies are unusable."""

    sqlstate = "TB203"


class ScheduleNotFound(ScheduleError):
    sqlstate = "TB204"


class ScheduleExists(ScheduleError):
    sqlstate = "TB205"


class EventError(EngineError):
    """An event was refused by ``send_event`` (SQLSTATEs TB300 to TB302)."""


class EventWorkflowNotFound(EventError):
    """``send_event`` to a workflow that does not exist."""

    sqlstate = "TB300"


class EventWorkflowFinished(EventError):
    """``send_event`` to a workflow that has finished: nothing of it waits any more."""

    sqlstate = "TB301"


class InvalidEvent(EventError):
    """``send_event`` without an event name, with neither or both of a workflow id and a key, or
    with a ttl that is not positive or not for a keyed event."""

    sqlstate = "TB302"


class InvalidWait(InvalidTask):
    """A task's ``wait_for``, ``sleep`` or ``sleep_until`` is invalid (a negative or unparsable
    interval, an unknown key, ...); the message names the task."""

    sqlstate = "TB303"


class FlowLimitError(EngineError):
    """A concurrency or rate limit was refused (SQLSTATEs TB220 to TB224)."""


class InvalidConcurrencyLimit(FlowLimitError):
    """A concurrency limit that is NULL, zero or negative."""

    sqlstate = "TB220"


class UnknownLimitScope(FlowLimitError):
    """A limit's scope is neither ``queue`` nor ``key``."""

    sqlstate = "TB221"


class InvalidLimitName(FlowLimitError):
    """A limit's queue name or concurrency key is NULL, empty or longer than 255 characters."""

    sqlstate = "TB222"


class InvalidRateLimit(FlowLimitError):
    """A rate limit's number of starts is NULL, zero or negative."""

    sqlstate = "TB223"


class InvalidRatePeriod(FlowLimitError):
    """A rate limit's period is NULL, zero, negative or longer than a year."""

    sqlstate = "TB224"


class DirectWriteRefused(EngineError):
    """A direct write to the engine's tables was refused: only the engine's functions make it."""

    sqlstate = "TB013"


class WorkflowIdRefused(EngineError):
    """A workflow id given to ``create_workflows`` was not reserved with ``reserve_workflow_ids``,
    is taken, or is given twice in the batch."""

    sqlstate = "TB014"


_BY_SQLSTATE: dict[str, type[EngineError]] = {
    cls.sqlstate: cls
    for cls in (
        CycleDetected,
        UnknownDependency,
        DuplicateTaskName,
        EmptyWorkflow,
        InvalidTask,
        InvalidMapTask,
        InvalidBranch,
        StepNotFound,
        StaleAttempt,
        StepCancelled,
        WorkflowNotFound,
        WorkflowSealed,
        InvalidState,
        InvalidArgument,
        InvalidCronExpression,
        UnknownTimeZone,
        InvalidSchedule,
        ScheduleNotFound,
        ScheduleExists,
        DirectWriteRefused,
        WorkflowIdRefused,
        EventWorkflowNotFound,
        EventWorkflowFinished,
        InvalidEvent,
        InvalidWait,
        InvalidConcurrencyLimit,
        UnknownLimitScope,
        InvalidLimitName,
        InvalidRateLimit,
        InvalidRatePeriod,
    )
}


def from_sql_error(error: psycopg.Error) -> Exception:
    """The Tributary exception for an engine error, or ``error`` itself for any other."""
    cls = _BY_SQLSTATE.get(error.sqlstate or "")
    if cls is None:
        return error
    diag = error.diag
    return cls(diag.message_primary or str(error), detail=diag.message_detail, hint=diag.message_hint)


class WorkerDefinitionError(TributaryError):
    """A step args class or worker is defined or registered wrongly (no kind, two workers...)."""


class UnknownKind(TributaryError):
    """A claimed step's kind has no registered worker. The worker runtime hands such a step back
    for another process (``tributary.hand_back_step``, reason ``unknown_kind``) instead of failing it."""


class ArgsDecodeError(TributaryError):
    """A claimed step's args do not validate against its args class."""


class ResultEncodeError(TributaryError):
    """A handler's result cannot be stored as JSON (the step fails without retries)."""


class DependencyNotFound(TributaryError, KeyError):
    """``step.dependency(name)`` named a task that is not a dependency of the step."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DecryptionError(TributaryError):
    """A sealed payload could not be opened: unknown key, wrong key, or bound to another step."""


class MissingKey(DecryptionError):
    """A sealed payload names a key this process does not have (or the process has no EncryptHook).
    The worker runtime hands such a step back for another process (``tributary.hand_back_step``,
    reason ``missing_key``); a payload that does not open with the right key stays a failure."""


class WaitTimeout(TributaryError, TimeoutError):
    """``client.wait`` gave up before the workflow finalized."""


class ConfigError(TributaryError):
    """A Config that cannot work against this database, found when the workers start."""


class StepTimedOut(TributaryError, TimeoutError):
    """An attempt ran past its step's ``timeout``; recorded with ``"reason": "timeout"``.

    A ``TimeoutError`` a handler raises itself is recorded as itself, not as this."""


class Discard(TributaryError):
    """Raise from a handler to fail the step at once, without retries."""
