"""The one module that writes SQL for the package (the migrator aside: it runs the plan's scripts).

Every statement calls one function of the engine or reads one of its views or tables. Rows come back
by column name, so a column the engine adds later never shifts another. Engine errors
(SQLSTATE class TB) come out as the exceptions of :mod:`tributary.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from tributary.errors import from_sql_error
from tributary.hooks import WorkPayload

RowT = TypeVar("RowT")

AVAILABLE_CHANNEL = "tributary_step_available"
FINALIZED_CHANNEL = "tributary_workflow_finalized"

CREATE_WORKFLOW = "SELECT tributary.create_workflow(%s, %s, %s, %s, %s)"
CLAIM = (
    "SELECT step_id, workflow_id, task_name, kind, queue, attempt, max_attempts, args, dependency_results,"
    " timeout, deadline_at, has_dependents FROM tributary.claim_step(%s, %s, %s)"
)
COMPLETE = "SELECT step_id, outcome FROM tributary.complete_steps(%s::bigint[], %s::integer[], %s::jsonb[])"
FAIL = "SELECT tributary.fail_step(%s, %s, %s, %s)"
RELEASE = "SELECT tributary.release_steps(%s::bigint[], %s::integer[])"
HEARTBEAT = "SELECT tributary.heartbeat_steps(%s::bigint[], %s::integer[])"
RESCUE = "SELECT tributary.rescue_expired_steps()"
LEASE_DURATION = "SELECT lease_duration FROM tributary.settings"
REPORT_WORKER_PROCESS = "SELECT tributary.report_worker_process(%s, %s, %s, %s, %s, %s)"
FORGET_WORKER_PROCESS = "SELECT tributary.forget_worker_process(%s)"
PRUNE_WORKER_PROCESSES = "SELECT tributary.prune_worker_processes()"
WORKER_PROCESSES = (
    "SELECT worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at, live"
    " FROM tributary.worker_process_status ORDER BY live DESC, worker_id"
)
UNSERVED_QUEUES = "SELECT queue, ready, oldest_ready_age FROM tributary.unserved_queues ORDER BY queue"
GET_WORKFLOW = "SELECT tributary.get_workflow(%s)"
CANCEL_WORKFLOW = "SELECT tributary.cancel_workflow(%s, %s)"
RETRY_WORKFLOW = "SELECT tributary.retry_workflow(%s)"
RETRY_STEP = "SELECT tributary.retry_step(%s)"
PRUNE_FINISHED = "SELECT tributary.prune_finished(%s, %s)"
LIST_WORKFLOWS = (
    "SELECT id, name, state, steps_total, steps_unfinished, created_at, finalized_at"
    " FROM tributary.list_workflows(%s, %s, %s, %s, %s, %s)"
)
WORKFLOW_COUNTS = "SELECT state, count(*) AS count FROM tributary.workflows GROUP BY state"
QUEUE_DEPTHS = "SELECT queue, ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths ORDER BY queue"
CREATE_SCHEDULE = (
    "SELECT tributary.create_schedule(p_name => %s, p_workflow_name => %s, p_tasks => %s, p_cron => %s,"
    " p_every => %s, p_time_zone => %s, p_metadata => %s, p_overlap => %s, p_catch_up => %s,"
    " p_catch_up_limit => %s, p_catch_up_grace => %s, p_starts_at => %s, p_replace => true)"
)
SCHEDULE_STATUS = (
    "SELECT name, cron, time_zone, every, workflow_name, overlap, catch_up, paused, next_fire_at, next_fire_in,"
    " last_fire_at, last_workflow_id, last_workflow_state, last_error FROM tributary.schedule_status"
)
LIST_SCHEDULES = SCHEDULE_STATUS + " ORDER BY next_fire_at NULLS LAST, name"
GET_SCHEDULE = SCHEDULE_STATUS + " WHERE name = %s"
PAUSE_SCHEDULE = "SELECT tributary.pause_schedule(%s)"
RESUME_SCHEDULE = "SELECT tributary.resume_schedule(%s)"
DELETE_SCHEDULE = "SELECT tributary.delete_schedule(%s)"
FIRE_DUE_SCHEDULES = "SELECT schedule_name, fire_at, workflow_id, outcome FROM tributary.fire_due_schedules()"
FIRE_DUE_SCHEDULES_COUNT = (
    "SELECT count(*) FILTER (WHERE outcome IN ('fired', 'fired_after_cancel')) FROM tributary.fire_due_schedules()"
)
RECENT_FAILURES = (
    "SELECT failed_at, workflow_id, task_name, kind, state, attempt, max_attempts, message"
    " FROM tributary.recent_failures ORDER BY failed_at DESC LIMIT %s"
)


# --- parameters ---------------------------------------------------------------------------------


def create_workflow_params(
    name: str,
    tasks: list[dict[str, Any]],
    scheduled_at: datetime | None,
    metadata: dict[str, Any] | None,
    idempotency_key: str | None,
) -> tuple[Any, ...]:
    return (name, Jsonb(tasks), scheduled_at, Jsonb(metadata or {}), idempotency_key)


def complete_params(works: Sequence[WorkPayload]) -> tuple[Any, ...]:
    return (
        [w.step_id for w in works],
        [w.attempt for w in works],
        [None if w.result is None else Jsonb(w.result) for w in works],
    )


def attempts_params(works: Sequence[WorkPayload]) -> tuple[Any, ...]:
    return ([w.step_id for w in works], [w.attempt for w in works])


def claim_params(queue: str, worker_id: str, limit: int) -> tuple[Any, ...]:
    return (queue, worker_id, limit)


def _listen_statement(channel: str) -> sql.Composed:
    return sql.SQL("LISTEN {}").format(sql.Identifier(channel))


# --- running statements -------------------------------------------------------------------------


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Re-raises an engine error (SQLSTATE class TB) as its exception from tributary.errors."""
    try:
        yield
    except psycopg.Error as error:
        translated = from_sql_error(error)
        if translated is error:
            raise
        raise translated from error


def call(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Runs ``statement`` on ``conn`` (in the caller's transaction) and returns its rows."""
    with _engine_errors():
        return conn.execute(statement, params).fetchall()


def read(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Runs ``statement`` on ``conn`` and returns its rows as dicts keyed by column name."""
    with _engine_errors(), conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(statement, params).fetchall()


def read_as(
    conn: psycopg.Connection[Any], row_type: type[RowT], statement: str, params: Sequence[Any] = ()
) -> list[RowT]:
    """Runs ``statement`` on ``conn`` and builds a ``row_type`` from each row by column name."""
    with _engine_errors(), conn.cursor(row_factory=class_row(row_type)) as cursor:
        return cursor.execute(statement, params).fetchall()


async def acall(
    conn: psycopg.AsyncConnection[Any], statement: str, params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Async :func:`call`."""
    with _engine_errors():
        cursor = await conn.execute(statement, params)
        return await cursor.fetchall()


def listen(conn: psycopg.Connection[Any], channel: str) -> None:
    """LISTENs on ``channel`` (an autocommit ``conn``: notifications arrive between statements)."""
    conn.execute(_listen_statement(channel))


async def alisten(conn: psycopg.AsyncConnection[Any], channel: str) -> None:
    """Async :func:`listen`."""
    await conn.execute(_listen_statement(channel))


async def aclaim(conn: psycopg.AsyncConnection[Any], params: Sequence[Any]) -> list[WorkPayload]:
    """Runs :data:`CLAIM`; each row becomes a :class:`WorkPayload` by column name."""
    with _engine_errors():
        async with conn.cursor(row_factory=class_row(WorkPayload)) as cursor:
            await cursor.execute(CLAIM, params)
            return await cursor.fetchall()


async def acomplete_and_claim(
    conn: psycopg.AsyncConnection[Any], complete: Sequence[Any], claims: Sequence[Sequence[Any]]
) -> tuple[list[tuple[Any, ...]], list[list[WorkPayload]]]:
    """:data:`COMPLETE` then one :data:`CLAIM` per entry of ``claims``, on an autocommit ``conn``
    in one transaction and one round trip (pipeline mode, explicit BEGIN and COMMIT). Returns the
    completion outcomes and the steps each claim took. If one statement fails, none took effect."""
    with _engine_errors():
        try:
            async with conn.pipeline():
                await conn.execute("BEGIN")
                completed = await conn.execute(COMPLETE, complete)
                claimed = []
                for params in claims:
                    cursor = conn.cursor(row_factory=class_row(WorkPayload))
                    claimed.append(await cursor.execute(CLAIM, params))
                await conn.execute("COMMIT")
            return await completed.fetchall(), [await cursor.fetchall() for cursor in claimed]
        except psycopg.Error:
            if not conn.closed:
                await conn.rollback()
            raise
