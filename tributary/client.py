"""The client: creates workflows, waits for them, and runs workers for its queues."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, Unpack

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tributary import _sql, migrate
from tributary import flow_limits as limit_calls
from tributary import schedules as schedule_calls
from tributary._reconnect import ReconnectBackoff
from tributary.config import Config
from tributary.errors import WaitTimeout
from tributary.flow_limits import FlowLimit, Scope
from tributary.hooks import Hook
from tributary.payload import from_json, to_json
from tributary.runtime import Runtime
from tributary.schedules import CatchUp, Firing, Overlap, ScheduleInfo
from tributary.workflow import WorkflowBuilder, WorkflowOptions, WorkflowSpec, create_many

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Client:
    """Entry point: ``Client(dsn_or_pool, Config(...))``.

    Creates workflows (``new_workflow(...).add_task(...).execute()``), waits for them
    (``wait``), and runs the configured workers (``start``/``stop``/``run_forever``).
    """

    def __init__(self, dsn_or_pool: str | ConnectionPool[Any], config: Config | None = None) -> None:
        self.config = config or Config()
        self._owns_pool = isinstance(dsn_or_pool, str)
        self._pool = _open_pool(dsn_or_pool) if isinstance(dsn_or_pool, str) else dsn_or_pool
        self.conninfo: str = conninfo_of(self._pool)
        self._runtime_thread: threading.Thread | None = None
        self._runtime: Runtime | None = None
        self.deployed_changes: list[str] = migrate.up(self.conninfo) if self.config.auto_migrate else []
        """The schema changes ``auto_migrate`` deployed when this client was made."""

    # -- connections -------------------------------------------------------------------------
    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in a transaction, committed when the block ends without error."""
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _maybe(self, conn: psycopg.Connection[Any] | None) -> Iterator[psycopg.Connection[Any]]:
        """``conn`` as it is (the caller's transaction), or a pooled one for one engine call in
        autocommit (one round trip: see ``_sql.one_statement``)."""
        if conn is not None:
            yield conn
        else:
            with self.connection() as own, _sql.one_statement(own):
                yield own

    def close(self) -> None:
        """Stops the workers if running and closes the pool this client opened."""
        self.stop()
        if self._owns_pool:
            self._pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workflows ---------------------------------------------------------------------------
    def new_workflow(self, name: str, **options: Unpack[WorkflowOptions]) -> WorkflowBuilder:
        """A builder for a workflow named ``name`` (options: ``scheduled_at``, ``metadata``,
        ``idempotency_key``); add tasks, then ``execute()``."""
        return WorkflowBuilder(self.config, self.connection, name, **options)

    def insert_many(self, workflows: Sequence[WorkflowSpec], conn: psycopg.Connection[Any] | None = None) -> list[int]:
        """Creates every workflow with one ``create_workflows`` call (one round trip, all or
        nothing) and returns their ids in order. With ``conn``, in that connection's current
        transaction. Build each with ``new_workflow(...)``; a failure names the workflow (its
        index and name) and the task."""
        with self._maybe(conn) as used:
            return create_many(used, workflows)

    def get_workflow(self, workflow_id: int, conn: psycopg.Connection[Any] | None = None) -> WorkflowResult:
        """The workflow's current state and its steps' outcomes (results opened by the hooks)."""
        with self._maybe(conn) as used:
            doc = _sql.read_workflow(used, workflow_id)
        return to_workflow_result(doc, self.config.hooks)

    def wait(self, workflow_id: int, timeout: float | timedelta | None = None) -> WorkflowResult:
        """Blocks until the workflow finalizes and returns it; LISTENs, does not busy-poll.

        Raises :class:`~tributary.errors.WaitTimeout` after ``timeout`` seconds.
        """
        limit = seconds(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        backoff = ReconnectBackoff()
        while True:
            try:
                return self._wait_listening(workflow_id, deadline, limit)
            except psycopg.OperationalError as error:  # the server restarted or the network broke
                if deadline is not None and time.monotonic() >= deadline:
                    raise WaitTimeout(f"workflow {workflow_id}: no answer from the database ({error})") from error
                logger.warning("waiting for workflow %s: connection lost (%s); reconnecting", workflow_id, error)
                delay = backoff.next_delay()
                time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))

    def _wait_listening(self, workflow_id: int, deadline: float | None, limit: float | None) -> WorkflowResult:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as conn:
            _sql.listen(conn, _sql.FINALIZED_CHANNEL)
            while True:
                # One row while it runs; the whole document when it has finished (an unknown
                # workflow raises WorkflowNotFound).
                finished = _sql.read_finished_workflow(conn, workflow_id)
                if finished is not None:
                    return to_workflow_result(finished, self.config.hooks)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    unserved = unserved_note(_sql.read(conn, _sql.UNSERVED_QUEUES))
                    raise WaitTimeout(f"workflow {workflow_id} still running after {limit:g} s{unserved}")
                # A periodic re-check guards against a missed notification; it is not the mechanism.
                slice_ = 5.0 if remaining is None else min(5.0, remaining)
                for note in conn.notifies(timeout=slice_):
                    if json.loads(note.payload).get("workflow_id") == workflow_id:
                        break

    def cancel_workflow(self, workflow_id: int, reason: str = "workflow cancelled") -> bool:
        """Cancels every unfinished step; False when the workflow had already finished."""
        with self.connection() as conn:
            return bool(_sql.call(conn, _sql.CANCEL_WORKFLOW, (workflow_id, reason))[0][0])

    def retry_workflow(self, workflow_id: int) -> int:
        """Re-runs discarded/cancelled steps (keeping completed results); returns how many."""
        with self.connection() as conn:
            return int(_sql.call(conn, _sql.RETRY_WORKFLOW, (workflow_id,))[0][0])

    # -- events and waits -------------------------------------------------------------------
    def send_event(
        self,
        event: str,
        payload: Any = None,
        *,
        workflow_id: int | None = None,
        key: str | None = None,
        ttl: timedelta | None = None,
        conn: psycopg.Connection[Any] | None = None,
    ) -> int | None:
        """Sends ``event`` to the workflow ``workflow_id``, or by correlation ``key`` (give one of
        the two). The oldest step waiting for it completes with ``payload`` (JSON data or a model)
        as its result; its id is returned. With no step waiting, the event is kept for the first
        wait that begins for it (to a workflow: until the workflow finishes; by key: for ``ttl``,
        7 days by default) and None is returned. Raises EventWorkflowNotFound (TB300),
        EventWorkflowFinished (TB301) or InvalidEvent (TB302). With ``conn``, runs in that
        connection's transaction.
        """
        params = send_event_params(self.config.hooks, event, payload, workflow_id=workflow_id, key=key, ttl=ttl)
        with self._maybe(conn) as used:
            step_id = _sql.call(used, _sql.SEND_EVENT, params)[0][0]
        return None if step_id is None else int(step_id)

    def wake_due_steps(self) -> int:
        """Ends the waits whose timer is due (sleeps, wait timeouts) now, as running workers do
        every ``Config.wake_interval``; returns how many. For scripts and cron jobs without workers."""
        with self.connection() as conn:
            return int(_sql.call(conn, _sql.WAKE_DUE_STEPS)[0][0])

    # -- queues ----------------------------------------------------------------------------
    def pause_queue(self, name: str) -> bool:
        """Pauses the queue ``name``: no worker claims its steps until :meth:`resume_queue`; they keep
        their order and attempts, and steps already running finish. False when it was already paused."""
        with self.connection() as conn:
            return bool(_sql.call(conn, _sql.PAUSE_QUEUE, (name,))[0][0])

    def resume_queue(self, name: str) -> bool:
        """Resumes a paused queue; its workers are woken at once. False when it was not paused."""
        with self.connection() as conn:
            return bool(_sql.call(conn, _sql.RESUME_QUEUE, (name,))[0][0])

    # -- concurrency and rate limits --------------------------------------------------------
    def set_concurrency_limit(self, scope: Scope, name: str, max_running: int) -> None:
        """At most ``max_running`` steps of the queue (``scope="queue"``) or of the concurrency key
        (``scope="key"``) ``name`` run at once, across every worker process. Running steps are never
        stopped: below the running count, nothing new starts until fewer run. Needs the admin role."""
        with self.connection() as conn:
            limit_calls.set_concurrency_limit(conn, scope, name, max_running)

    def remove_concurrency_limit(self, scope: Scope, name: str) -> bool:
        """Removes the concurrency limit of a queue or key (a rate limit stays); False when it had none."""
        with self.connection() as conn:
            return limit_calls.remove_concurrency_limit(conn, scope, name)

    def set_rate_limit(self, scope: Scope, name: str, max_starts: int, per: timedelta) -> None:
        """At most ``max_starts`` steps of the queue or key start per ``per``, across every worker
        process (a token bucket: a burst of ``max_starts``, then one start every ``per / max_starts``).
        A step over the limit waits, available; it never fails. Needs the admin role."""
        with self.connection() as conn:
            limit_calls.set_rate_limit(conn, scope, name, max_starts, per)

    def remove_rate_limit(self, scope: Scope, name: str) -> bool:
        """Removes the rate limit of a queue or key (a concurrency limit stays); False when it had none."""
        with self.connection() as conn:
            return limit_calls.remove_rate_limit(conn, scope, name)

    def flow_limits(self) -> list[FlowLimit]:
        """Every concurrency and rate limit, with its running steps and tokens now (``tributary.flow_limit_status``)."""
        with self.connection() as conn:
            return limit_calls.list_limits(conn)

    # -- schedules -------------------------------------------------------------------------
    def schedule(
        self,
        name: str,
        workflow: WorkflowBuilder,
        *,
        cron: str | None = None,
        every: timedelta | None = None,
        time_zone: str = "UTC",
        overlap: Overlap = "skip",
        catch_up: CatchUp = "last",
        catch_up_limit: int = 10,
        catch_up_grace: timedelta = timedelta(minutes=5),
        starts_at: datetime | None = None,
    ) -> ScheduleInfo:
        """Creates or updates the schedule ``name``: ``workflow`` (from ``new_workflow``) at every fire time
        of ``cron`` (5 fields, read in ``time_zone``) or of ``every``. Validated by the engine;
        calling it again with the same timing keeps the next fire time, so call it at every start."""
        with self.connection() as conn:
            return schedule_calls.upsert(
                conn, name, workflow, cron=cron, every=every, time_zone=time_zone, overlap=overlap,
                catch_up=catch_up, catch_up_limit=catch_up_limit, catch_up_grace=catch_up_grace, starts_at=starts_at,
            )  # fmt: skip

    def schedules(self) -> list[ScheduleInfo]:
        """Every schedule with its next fire time (``tributary.schedule_status``)."""
        with self.connection() as conn:
            return schedule_calls.list_all(conn)

    def pause_schedule(self, name: str) -> bool:
        """Stops a schedule firing; False when it was already paused."""
        with self.connection() as conn:
            return bool(_sql.call(conn, _sql.PAUSE_SCHEDULE, (name,))[0][0])

    def resume_schedule(self, name: str) -> bool:
        """Restarts a paused schedule from its next fire time after now; False when it was not paused."""
        with self.connection() as conn:
            return bool(_sql.call(conn, _sql.RESUME_SCHEDULE, (name,))[0][0])

    def delete_schedule(self, name: str) -> None:
        """Deletes a schedule; the workflows it created stay."""
        with self.connection() as conn:
            _sql.call(conn, _sql.DELETE_SCHEDULE, (name,))

    def fire_due_schedules(self) -> list[Firing]:
        """Fires every due fire time now (workers do it in their maintenance loop); each fire time fires once."""
        with self.connection() as conn:
            return schedule_calls.fire_due(conn)

    # -- workers -----------------------------------------------------------------------------
    def start(self) -> None:
        """Starts working the configured queues in a background thread; returns at once."""
        if self._runtime_thread is not None:
            return
        runtime = Runtime(self.config, self.conninfo)
        started = threading.Event()
        thread = threading.Thread(target=runtime.run_in_thread, args=(started,), name="tributary-runtime", daemon=True)
        thread.start()
        started.wait()  # set once running, or once the start failed (the pool's connect timeout bounds it)
        if runtime.start_error is not None:
            thread.join()
            raise runtime.start_error
        self._runtime, self._runtime_thread = runtime, thread

    def stop(self, timeout: float | None = None) -> None:
        """Stops claiming, lets running steps finish within ``shutdown_grace``, gives back the rest."""
        thread, runtime = self._runtime_thread, self._runtime
        if thread is None or runtime is None:
            return
        runtime.request_stop()
        grace = self.config.shutdown_grace.total_seconds()
        thread.join(timeout if timeout is not None else grace + 30)
        self._runtime_thread = None
        self._runtime = None

    def run_forever(self) -> None:
        """Works the queues in this thread until SIGTERM/SIGINT, then shuts down gracefully."""
        Runtime(self.config, self.conninfo).run_until_signal()


@dataclass(frozen=True)
class StepOutcome:
    """A step as ``Client.wait``/``get_workflow`` report it."""

    id: int
    kind: str
    state: str
    attempt: int
    result: Any
    errors: list[dict[str, Any]]
    cancel_reason: str | None
    depends_on: list[str] = field(default_factory=list)  # task names this step waits for
    args: Any = None  # as stored: a sealed envelope stays sealed (see encryption.is_sealed)
    wait: dict[str, Any] | None = None  # a wait or sleep task's normalized options
    wake_at: datetime | None = None  # while waiting: when its timer ends the wait
    run_when: str = "all_completed"  # all_completed | any_completed
    run_if: dict[str, Any] | None = None  # {dependency: value its result must contain}
    map: dict[str, Any] | None = None  # a map step: {"over", "path", "size"} (size once expanded)
    map_step_id: int | None = None  # an element of a map: the map step's id
    map_index: int | None = None  # an element of a map: its position in the array, from 0


@dataclass(frozen=True)
class WorkflowResult:
    """A workflow's state and every step's outcome, keyed by task name."""

    id: int
    name: str
    state: str
    steps: dict[str, StepOutcome] = field(default_factory=dict)
    finalized_at: datetime | None = None
    parent_step_id: int | None = None  # a child workflow: the step waiting for it
    parent_workflow_id: int | None = None  # and that step's workflow
    children: list[dict[str, Any]] = field(default_factory=list)  # {id, name, state, parent_step_id}

    @property
    def finished(self) -> bool:
        return self.state != "running"

    def result(self, task_name: str, as_type: type[T] | None = None) -> Any:
        """The result of ``task_name``, validated as ``as_type`` when given."""
        raw = self.steps[task_name].result
        return raw if as_type is None else from_json(raw, as_type)


def _result_origin(doc: dict[str, Any], task_name: str) -> Any:
    """How the result of ``task_name`` in a ``get_workflow`` document was made, as ``claim_steps``
    says it (None for a child workflow's result: its leaves are in the child's document)."""
    step = doc["steps"][task_name]
    wait = step.get("wait")
    if wait is not None:
        return (
            {"made": "wait", "event": wait["event"], "key": wait.get("key")} if "event" in wait else {"made": "sleep"}
        )
    if step.get("map") is not None and step["map"].get("size") is not None:
        elements = sorted(
            (other["map_index"], name) for name, other in doc["steps"].items() if other.get("map_step_id") == step["id"]
        )
        origins = [_result_origin(doc, name) for _, name in elements]
        return None if None in origins else {"made": "map", "elements": origins}  # None: a child's, as stored
    if any(c.get("parent_step_id") == step["id"] and c.get("state") == "completed" for c in doc.get("children", [])):
        return None
    return step["attempt"]


def to_workflow_result(doc: dict[str, Any], hooks: Sequence[Hook]) -> WorkflowResult:
    """A ``get_workflow`` document as a WorkflowResult, each completed result read through ``hooks``."""
    steps: dict[str, StepOutcome] = {}
    for task_name, step in doc["steps"].items():
        result = step["result"]
        if result is not None and step["state"] == "completed":
            origin = _result_origin(doc, task_name)
            for hook in hooks:
                result = hook.read_made_result(doc["id"], task_name, result, origin)
        steps[task_name] = StepOutcome(
            id=step["id"],
            kind=step["kind"],
            state=step["state"],
            attempt=step["attempt"],
            result=result,
            errors=step["errors"],
            cancel_reason=step["cancel_reason"],
            depends_on=step.get("depends_on") or [],
            args=step.get("args"),
            wait=step.get("wait"),
            wake_at=datetime.fromisoformat(step["wake_at"]) if step.get("wake_at") else None,
            run_when=step.get("run_when") or "all_completed",
            run_if=step.get("run_if"),
            map=step.get("map"),
            map_step_id=step.get("map_step_id"),
            map_index=step.get("map_index"),
        )
    finalized = doc.get("finalized_at")
    return WorkflowResult(
        id=doc["id"],
        name=doc["name"],
        state=doc["state"],
        steps=steps,
        finalized_at=datetime.fromisoformat(finalized) if finalized else None,
        parent_step_id=doc.get("parent_step_id"),
        parent_workflow_id=doc.get("parent_workflow_id"),
        children=doc.get("children") or [],
    )


def conninfo_of(pool: ConnectionPool[Any] | AsyncConnectionPool[Any]) -> str:
    """The conninfo string a pool was made with (``wait`` connects with it, LISTEN needs its own)."""
    if not isinstance(pool.conninfo, str):
        raise TypeError("the pool must be made with a conninfo string: wait() opens its own connection with it")
    return pool.conninfo


def send_event_params(
    hooks: Sequence[Hook], event: str, payload: Any, *, workflow_id: int | None, key: str | None, ttl: timedelta | None
) -> tuple[Any, ...]:
    """The parameters of ``send_event``: the payload as JSON, then through each hook's
    ``before_send_event`` (encryption seals it for the event's address)."""
    sent = to_json(payload)
    for hook in hooks:
        sent = hook.before_send_event(event, workflow_id, key, sent)
    return _sql.send_event_params(event, sent, workflow_id, key, ttl)


def seconds(value: float | timedelta | None) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


def unserved_note(unserved: list[dict[str, Any]]) -> str:
    """What a wait timeout adds when queues have ready steps and no live worker process."""
    if not unserved:
        return ""
    queues = ", ".join(f"{row['queue']} ({row['ready']} ready)" for row in unserved)
    return f"; no live worker process serves queue {queues}: start one (`tributary worker --app ...`)"


def _open_pool(dsn: str) -> ConnectionPool[Any]:
    return ConnectionPool(dsn, min_size=1, max_size=4, open=True, name="tributary")
