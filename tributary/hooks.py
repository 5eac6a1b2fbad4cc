"""Hooks: code that sees every task before insert, every step before and after work, and the
worker runtime's lifecycle events.

Hooks run in the order given to ``Config(hooks=[...])`` for ``before_insert``, ``before_work``,
``read_result`` and ``on_event``, and in reverse order for ``after_work`` (so a hook wraps the
ones after it: with ``[EncryptHook(...), LoggingHook()]`` the logging hook sees plaintext both
ways). Payloads are JSON values; a hook may replace them (that is how encryption works).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

logger = logging.getLogger(__name__)


@dataclass
class TaskPayload:
    """A task about to be inserted: its args may be replaced. ``workflow_id`` is the id its
    workflow will have when a hook asked for it (:attr:`Hook.binds_workflow_id`); None in a
    schedule's template, which serves every workflow the schedule creates."""

    task_name: str
    kind: str
    args: Any
    workflow_id: int | None = None
    mapped: bool = False  # a map step of the same workflow maps over this task's result


@dataclass(frozen=True)
class ChildWorkflow:
    """A child workflow a handler asked for (:meth:`~tributary.step.Step.spawn`): its name, its
    ``create_workflow`` tasks array (options resolved, hooks applied) and its metadata."""

    name: str
    tasks: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None


@dataclass
class WorkPayload:
    """One claimed attempt of a step: the row ``claim_steps`` returns, read by column name, carried
    from the claim through the hooks and the handler back to the engine. Hooks may replace
    ``args``, ``dependency_results`` and ``result``; the handler sees it as a typed
    :class:`~tributary.step.Step`.
    """

    step_id: int
    workflow_id: int
    task_name: str
    kind: str
    queue: str
    attempt: int
    max_attempts: int
    args: Any
    dependency_results: dict[str, Any]
    # how each dependency's result was made: the attempt that produced it, or for a result the
    # engine made {"made": "sleep" | "wait" | "child" | "map", ...} (see claim_steps)
    dependency_attempts: dict[str, Any] = field(default_factory=dict)
    timeout: timedelta | None = None
    deadline_at: datetime | None = None
    has_dependents: bool = False  # other steps wait for it: its completion is sent at once
    result: Any = None
    started_at: float = field(default_factory=time.monotonic)
    decode_error: str | None = None  # set when args or dependency results could not be decoded
    child: ChildWorkflow | None = None  # set when the handler spawned a child: the step waits for it
    # set by step.start_workflow: create_workflows documents, created when (and if) the step completes
    workflows_to_start: list[dict[str, Any]] = field(default_factory=list)
    map_element: dict[str, Any] | None = None  # an element of a map: {map, over, index, size, origin}
    seal_elements: bool = False  # a map maps over this step's result: a list is sealed element by element

    def describe(self) -> str:
        """How log lines name this attempt: workflow, step, task, kind and attempt."""
        return f"workflow {self.workflow_id} step {self.step_id} {self.task_name} ({self.kind}) attempt {self.attempt}"

    def log_fields(self) -> dict[str, Any]:
        """The same as structured fields, for a log record's ``extra``."""
        return {
            "workflow_id": self.workflow_id,
            "step_id": self.step_id,
            "task": self.task_name,
            "kind": self.kind,
            "attempt": self.attempt,
        }


RuntimeEventName = Literal[
    "started",
    "stopping",
    "stopped",
    "claim_failed",
    "listen_lost",
    "completion_failed",
    "completion_given_up",
    "completion_refused",
    "start_failed",
    "attempt_failed",
    "handed_back",
    "failure_not_recorded",
    "lease_lost",
    "heartbeat_failed",
    "rescued",
    "rescue_failed",
    "released",
    "release_failed",
    "schedules_fired",
    "schedules_failed",
    "woken",
    "wake_failed",
    "child_spawned",
    "spawn_not_recorded",
    "spawn_failed",
]


@dataclass(frozen=True)
class RuntimeEvent:
    """Something the worker runtime went through: a lifecycle change or a problem it recovers
    from (or gives up on). ``step_id``/``workflow_id`` name the step concerned, if one is."""

    name: RuntimeEventName
    message: str
    step_id: int | None = None
    workflow_id: int | None = None
    error: BaseException | None = None
    queue: str | None = None
    kind: str | None = None
    state: str | None = None  # the step's state the event led to, when the engine said it (attempt_failed)
    count: int | None = None  # how many steps, for events about several (rescued, released)


class Hook:
    """Base class of hooks; every method does nothing unless overridden.

    ``binds_workflow_id``: when a configured hook sets it, workflows are created with ids reserved
    up front (``reserve_workflow_ids``, one more round trip per creation call), so that
    ``before_insert`` sees ``TaskPayload.workflow_id``.
    """

    binds_workflow_id: bool = False

    def before_insert(self, task: TaskPayload) -> None:
        """Called for each task before its workflow is inserted."""

    def before_wait_insert(self, workflow_id: int | None, task_name: str, default: Any) -> Any:
        """Called for each wait task with a timeout ``default`` before its workflow is inserted;
        returns the default to store (the step's result if the wait times out)."""
        return default

    def before_send_event(self, event: str, workflow_id: int | None, key: str | None, payload: Any) -> Any:
        """Called by ``send_event`` with the event's payload (JSON); returns the payload to send."""
        return payload

    def before_work(self, work: WorkPayload) -> None:
        """Called after a step is claimed, before its args are validated and its handler runs."""

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        """Called after the handler returned (``error`` is None) or raised; before the result is stored."""

    def read_result(self, workflow_id: int, task_name: str, result: Any, attempt: int) -> Any:
        """Called for each completed step's result ``get_workflow``/``wait`` return (``attempt``:
        the attempt that produced it); returns the value to show."""
        return result

    def read_made_result(self, workflow_id: int, task_name: str, result: Any, origin: Any) -> Any:
        """Like :meth:`read_result`, for a result ``origin`` says how was made: the attempt of the
        worker that produced it (then :meth:`read_result` is called), ``{"made": "sleep" | "wait" |
        "map", ...}`` as in ``claim_steps``, or None when unknown (a child workflow's leaves)."""
        if isinstance(origin, int):
            return self.read_result(workflow_id, task_name, result, origin)
        return result

    def on_event(self, event: RuntimeEvent) -> None:
        """Called for each event of the worker runtime (it is logged as well)."""


class LoggingHook(Hook):
    """Logs each step's start and end (duration, outcome) at INFO with structured ``extra``."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logger

    def before_work(self, work: WorkPayload) -> None:
        self._log.info("%s started", work.describe(), extra=work.log_fields())

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        elapsed_ms = (time.monotonic() - work.started_at) * 1000
        extra = {**work.log_fields(), "elapsed_ms": elapsed_ms}
        if error is None:
            self._log.info("%s done in %.1f ms", work.describe(), elapsed_ms, extra=extra)
        else:
            self._log.warning("%s failed in %.1f ms: %s", work.describe(), elapsed_ms, error, extra=extra)


class MetricsHook(Hook):
    """Counts steps started, completed and failed per kind, and total handler seconds."""

    def __init__(self) -> None:
        self.started: dict[str, int] = {}
        self.completed: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def before_work(self, work: WorkPayload) -> None:
        self.started[work.kind] = self.started.get(work.kind, 0) + 1

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        bucket = self.completed if error is None else self.failed
        bucket[work.kind] = bucket.get(work.kind, 0) + 1
        self.seconds[work.kind] = self.seconds.get(work.kind, 0.0) + time.monotonic() - work.started_at
