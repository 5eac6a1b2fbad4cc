"""Running a workflow's handlers inside a test, deterministically, without sleeping.

:class:`InlineRunner` claims one step at a time through the engine's own ``claim_steps``, runs
its handler in the calling thread (an ``async def`` one on a fresh event loop) through the same
code as the worker runtime (:func:`~tributary.runtime.attempt.run_attempt`: hooks, typed args,
result encoding), and reports the outcome with ``complete_steps`` or ``fail_step``. Every call
goes through one connection whose engine clock (``tributary_test.set_now``, from the testing
kit) the runner controls: when nothing is ready, it moves the clock to the next delayed or
backed-off step, or to the next token of a rate limit that held a step back, instead of
sleeping. It needs the testing kit in the database (``tributary.migrate.up(dsn, testing=True)``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from tributary import _sql
from tributary.client import WorkflowResult, to_workflow_result
from tributary.config import Config
from tributary.errors import EngineError, TributaryError
from tributary.hooks import WorkPayload
from tributary.runtime.attempt import failure_report, run_attempt

MAX_ATTEMPTS_PER_RUN = 10_000


class InlineRunFailed(TributaryError):
    """A workflow run inline did not complete; the message names each failed step, its attempt and error."""

    def __init__(self, result: WorkflowResult) -> None:
        self.result = result
        lines = [f'workflow {result.id} "{result.name}" ended {result.state}:']
        for name, step in sorted(result.steps.items()):
            if step.state in ("discarded", "cancelled") or (step.errors and step.state != "completed"):
                last = step.errors[-1] if step.errors else {}
                why = last.get("message") or step.cancel_reason or "no error recorded"
                lines.append(f"  step {name} ({step.kind}) {step.state} at attempt {step.attempt}: {why}")
                if last.get("traceback"):
                    lines.append("    " + last["traceback"].strip().splitlines()[-1])
        super().__init__("\n".join(lines))


class WorkflowStuck(TributaryError):
    """Nothing of the workflow can run now or later, yet it has not finished (e.g. a step is
    running in another worker, or waits on a queue no handler here serves)."""


class InlineRunner:
    """Runs steps of the database at ``dsn`` with ``config``'s workers and hooks, one at a time.

    Use it as a context manager (it closes its connection). ``now`` is the engine's clock for
    everything the runner does; ``set_now``/``advance`` move it.
    """

    def __init__(self, dsn: str, config: Config, *, worker_id: str = "inline-runner") -> None:
        self.config = config
        self.worker_id = worker_id
        self._hooks = config.work_hooks()
        self._conn: psycopg.Connection[Any] = psycopg.connect(dsn, autocommit=True)
        self.now: datetime = _sql.call(self._conn, _sql.DATABASE_NOW)[0][0]
        self.set_now(self.now)
        self._next_token: datetime | None = None  # set by run_one when a rate limit held a step back

    # -- the clock ------------------------------------------------------------------------------
    def set_now(self, moment: datetime) -> datetime:
        """Moves the engine clock of the runner's connection to ``moment``."""
        self.now = _sql.call(self._conn, _sql.SET_CLOCK, (moment,))[0][0]
        return self.now

    def advance(self, by: timedelta) -> datetime:
        """Moves the engine clock forward by ``by``."""
        return self.set_now(self.now + by)

    def _catch_up(self) -> None:
        """The clock never lags the real time: what a test creates is due on it at once."""
        real: datetime = _sql.call(self._conn, _sql.DATABASE_NOW)[0][0]
        if real > self.now:
            self.set_now(real)

    # -- running ---------------------------------------------------------------------------------
    def run_one(self) -> WorkPayload | None:
        """Claims the next ready step (queues in name order, each in claim order), runs it and
        reports its outcome; returns the attempt, or None when no step is ready now. Waits whose
        timer is due on the runner's clock (sleeps, timeouts) are ended first."""
        self._catch_up()
        _sql.call(self._conn, _sql.WAKE_DUE_STEPS)
        self._next_token = None
        for row in _sql.read(self._conn, _sql.READY_QUEUES):
            works = self._claim(row["queue"])
            if works:
                self._run(works[0])
                return works[0]
            # A ready step a rate limit held back: when the engine says its next token is due.
            retry_in = _sql.call(self._conn, _sql.CLAIM_RETRY_IN, (row["queue"],))[0][0]
            if retry_in is not None and retry_in > 0:
                token = self.now + timedelta(seconds=retry_in)
                self._next_token = token if self._next_token is None else min(self._next_token, token)
        return None

    def run(self, workflow_id: int, *, check: bool = True) -> WorkflowResult:
        """Runs the workflow's steps until it finishes, moving the clock over delays, backoffs, the
        timers of waiting steps (sleeps, wait timeouts) and the next token of a rate limit. A step
        waiting for an event without a timeout stops the run (WorkflowStuck): send the event first.

        With ``check`` (the default) a workflow that does not complete raises
        :class:`InlineRunFailed` naming each failed step, its attempt and its error.
        """
        for _ in range(MAX_ATTEMPTS_PER_RUN):
            result = self.workflow(workflow_id)
            if result.finished:
                if check and result.state != "completed":
                    raise InlineRunFailed(result)
                return result
            if self.run_one() is not None:
                continue
            scheduled = _sql.call(self._conn, _sql.NEXT_SCHEDULED, (workflow_id,))[0][0]
            # ... or a ready step a rate limit held back gets its next token
            later = [at for at in (scheduled, self._next_token) if at is not None and at > self.now]
            due = min(later, default=None)
            if due is None:
                if self.workflow(workflow_id).finished:
                    continue  # the timers run_one ended finished it (a sleep, a child's last step)
                waiting = {name: step.state for name, step in result.steps.items() if step.state != "completed"}
                raise WorkflowStuck(f"workflow {workflow_id} cannot go on: no step is ready or due ({waiting})")
            self.set_now(due)
        raise WorkflowStuck(f"workflow {workflow_id} ran {MAX_ATTEMPTS_PER_RUN} attempts without finishing")

    def time_out(self, workflow_id: int, task_name: str) -> WorkflowResult:
        """Claims the task's step and lets its lease (or timeout) pass without running it, then
        rescues it as the engine does with an attempt that never answered."""
        self._catch_up()
        _sql.call(self._conn, _sql.TEST_CLAIM, (workflow_id, task_name, self.worker_id))
        self.now = _sql.call(self._conn, _sql.TEST_EXPIRE_LEASE, (workflow_id, task_name))[0][0]
        _sql.call(self._conn, _sql.RESCUE)
        return self.workflow(workflow_id)

    def workflow(self, workflow_id: int) -> WorkflowResult:
        """The workflow as ``Client.get_workflow`` shows it (results read through the hooks)."""
        doc = _sql.read_workflow(self._conn, workflow_id)
        return to_workflow_result(doc, self.config.hooks)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> InlineRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one attempt -----------------------------------------------------------------------------
    def _claim(self, queue: str) -> list[WorkPayload]:
        cursor = self._conn.cursor(row_factory=_sql.claimed_step_row)
        with cursor:
            return cursor.execute(_sql.CLAIM, _sql.claim_params(queue, self.worker_id, 1)).fetchall()

    def _run(self, work: WorkPayload) -> None:
        work.timeout = None  # no wall-clock timeout inline: the engine's clock decides (see time_out)
        error = asyncio.run(run_attempt(work, self.config.workers, self._hooks, _call_here))
        if error is None and work.child is not None:
            try:
                _sql.call(self._conn, _sql.SPAWN_CHILD, _sql.spawn_params(work))
            except EngineError as invalid:  # an invalid child fails the attempt, as in the runtime
                _sql.call(self._conn, _sql.FAIL, _sql.fail_params(work, *failure_report(invalid)))
        elif error is None and work.workflows_to_start:  # created with the completion, as in the runtime
            complete = _sql.complete_params([work])
            _sql.call(
                self._conn, _sql.COMPLETE_AND_START, (*complete, _sql.start_params([work]), self.worker_id, [], [])
            )
        elif error is None:
            _sql.call(self._conn, _sql.COMPLETE, _sql.complete_params([work]))
        else:
            _sql.call(self._conn, _sql.FAIL, _sql.fail_params(work, *failure_report(error)))


async def _call_here(call: Callable[[], Any], timeout: float | None, stated: float | None) -> Any:
    """Runs a sync handler in the test's thread (its timeout is the engine's to enforce: see
    :meth:`InlineRunner.time_out`)."""
    return call()
