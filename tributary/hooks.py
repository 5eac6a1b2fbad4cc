"""Hooks: code that sees every task before insert and every step before and after work.

Hooks run in the order given to ``Config(hooks=[...])`` for ``before_insert``, ``before_work``
and ``read_result``, and in reverse order for ``after_work`` (so a hook wraps the ones after
it: with ``[EncryptHook(...), LoggingHook()]`` the logging hook sees plaintext both ways).
Payloads are JSON values; a hook may replace them (that is how encryption works).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class TaskPayload:
    """A task about to be inserted: its args may be replaced."""

    task_name: str
    kind: str
    args: Any


@dataclass
class WorkPayload:
    """A claimed step around its handler: args, dependency results and result may be replaced."""

    step_id: int
    workflow_id: int
    task_name: str
    kind: str
    attempt: int
    args: Any
    dependency_results: dict[str, Any]
    result: Any = None
    started_at: float = field(default_factory=time.monotonic)
    queue: str = ""  # the queue the step was claimed from


class Hook:
    """Base class of hooks; every method does nothing unless overridden."""

    def before_insert(self, task: TaskPayload) -> None:
        """Called for each task before its workflow is inserted."""

    def before_work(self, work: WorkPayload) -> None:
        """Called after a step is claimed, before its args are validated and its handler runs."""

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        """Called after the handler returned (``error`` is None) or raised; before the result is stored."""

    def read_result(self, workflow_id: int, task_name: str, result: Any) -> Any:
        """Called for each result ``Client.wait`` returns; returns the value to show."""
        return result


class LoggingHook(Hook):
    """Logs each step's start and end (duration, outcome) at INFO with structured ``extra``."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logger

    def before_work(self, work: WorkPayload) -> None:
        self._log.info(
            "step %s (%s) attempt %d started",
            work.task_name,
            work.kind,
            work.attempt,
            extra={"step_id": work.step_id, "workflow_id": work.workflow_id, "attempt": work.attempt},
        )

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        elapsed_ms = (time.monotonic() - work.started_at) * 1000
        extra = {"step_id": work.step_id, "workflow_id": work.workflow_id, "elapsed_ms": elapsed_ms}
        if error is None:
            self._log.info("step %s (%s) done in %.1f ms", work.task_name, work.kind, elapsed_ms, extra=extra)
        else:
            self._log.warning(
                "step %s (%s) failed in %.1f ms: %s", work.task_name, work.kind, elapsed_ms, error, extra=extra
            )


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
