"""The one module that writes SQL for the package (the migrator aside: it runs the plan's scripts).

Every statement calls one function of the engine or reads one of its views or tables. Rows come back
by column name, so a column the engine adds later never shifts another. Engine errors
(SQLSTATE class TB) come out as the exceptions of :mod:`tributary.errors`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import RowMaker, class_row, dict_row
from psycopg.types.json import Jsonb

from tributary.errors import from_sql_error
from tributary.hooks import WorkPayload

RowT = TypeVar("RowT")

AVAILABLE_CHANNEL = "tributary_step_available"
SLOT_FREED_CHANNEL = "tributary_slot_freed"  # a step claimed under a concurrency or rate limit stopped running
FINALIZED_CHANNEL = "tributary_workflow_finalized"

CREATE_WORKFLOW = "SELECT tributary.create_workflow(%s, %s, %s, %s, %s)"
CREATE_WORKFLOWS = "SELECT tributary.create_workflows(%s)"
RESERVE_WORKFLOW_IDS = "SELECT tributary.reserve_workflow_ids(%s)"
# args and dependency results come as text and are decoded row by row (claimed_step_row), so a
# payload Python cannot decode fails its own step instead of the whole claim.
CLAIMED_STEP_COLUMNS = (
    "step_id, workflow_id, task_name, kind, queue, attempt, max_attempts, args::text AS args,"
    " dependency_results::text AS dependency_results, dependency_attempts, timeout, deadline_at, has_dependents,"
    " map_element"
)
CLAIM = f"SELECT {CLAIMED_STEP_COLUMNS} FROM tributary.claim_steps(%s, %s, %s)"
COMPLETE = "SELECT step_id, outcome FROM tributary.complete_steps(%s::bigint[], %s::integer[], %s::jsonb[])"
# The outcome rows (outcome set) come first, then the claimed steps (outcome NULL), as CLAIM reads them.
COMPLETE_AND_CLAIM = (
    f"SELECT outcome, {CLAIMED_STEP_COLUMNS}"
    " FROM tributary.complete_steps_and_claim(%s::bigint[], %s::integer[], %s::jsonb[], %s, %s::text[], %s::integer[])"
)
# The same rows, for a batch of which some steps start workflows when they complete.
COMPLETE_AND_START = (
    f"SELECT outcome, {CLAIMED_STEP_COLUMNS}"
    " FROM tributary.complete_steps_and_start(%s::bigint[], %s::integer[], %s::jsonb[], %s::jsonb[],"
    " %s, %s::text[], %s::integer[])"
)
FAIL = "SELECT tributary.fail_step(%s, %s, %s, %s)"
HAND_BACK = "SELECT tributary.hand_back_step(%s, %s, %s, %s)"
RELEASE = "SELECT tributary.release_steps(%s::bigint[], %s::integer[])"
HEARTBEAT = "SELECT tributary.heartbeat_steps(%s::bigint[], %s::integer[])"
RESCUE = "SELECT tributary.rescue_expired_steps()"
WAKE_DUE_STEPS = "SELECT tributary.wake_due_steps()"
SEND_EVENT = "SELECT tributary.send_event(%s, %s, p_workflow_id => %s, p_key => %s, p_ttl => %s)"
SPAWN_CHILD = "SELECT tributary.spawn_child_workflow(%s, %s, %s, %s, %s)"
REPORT_WORKER_PROCESS = "SELECT tributary.report_worker_process(%s, %s, %s, %s, %s, %s)"
# The functions the worker runtime calls that the earliest schemas lack (checked once at start).
WORKER_FUNCTIONS = (
    "tributary.claim_steps(text, text, integer)",
    "tributary.complete_steps_and_claim(bigint[], integer[], jsonb[], text, text[], integer[])",
    "tributary.complete_steps_and_start(bigint[], integer[], jsonb[], jsonb[], text, text[], integer[])",
    "tributary.claim_retry_in(text)",
    "tributary.hand_back_step(bigint, integer, text, jsonb)",
    "tributary.wake_due_steps(integer)",
    "tributary.spawn_child_workflow(bigint, integer, text, jsonb, jsonb)",
)
MISSING_FUNCTIONS = "SELECT f FROM unnest(%s::text[]) AS f WHERE pg_catalog.to_regprocedure(f) IS NULL"
FORGET_WORKER_PROCESS = "SELECT tributary.forget_worker_process(%s)"
PRUNE_WORKER_PROCESSES = "SELECT tributary.prune_worker_processes()"
WORKER_PROCESSES = (
    "SELECT worker_id, host, pid, queues, kinds, package_version, started_at, last_seen_at, live"
    " FROM tributary.worker_process_status ORDER BY live DESC, worker_id"
)
READY_QUEUES = "SELECT queue FROM tributary.queue_depths WHERE ready > 0 ORDER BY queue"
# Test tooling only (tributary.testing.inline): when the next delayed or backed-off step, or the next timer of a
# waiting step (sleep, wait timeout), of a workflow or of its child workflows (at any depth) is due.
NEXT_SCHEDULED = (
    "WITH RECURSIVE tree(id) AS (SELECT %s::bigint UNION ALL"
    " SELECT w.id FROM tributary.workflows AS w JOIN tree ON w.parent_workflow_id = tree.id)"
    " SELECT least(min(s.scheduled_at) FILTER (WHERE s.state = 'available'), min(s.wake_at))"
    " FROM tributary.steps AS s"
    " WHERE s.workflow_id IN (SELECT tree.id FROM tree) AND s.state IN ('available', 'waiting')"
)
DATABASE_NOW = "SELECT now()"
SET_CLOCK = "SELECT tributary_test.set_now(%s)"
TEST_CLAIM = "SELECT tributary_test.claim(%s, %s, %s)"
TEST_EXPIRE_LEASE = "SELECT tributary_test.expire_lease(%s, %s)"
UNSERVED_QUEUES = "SELECT queue, ready, oldest_ready_age FROM tributary.unserved_queues ORDER BY queue"
GET_WORKFLOW = "SELECT tributary.get_workflow(%s)::text"
# For wait(): get_workflow's document once the workflow has finished, no row while it runs. While
# it runs, the statement reads one row by primary key (the view's step counts are not read when
# not selected) and get_workflow, which builds the document of every step, is not called; for an
# unknown workflow it is, and raises TB009.
FINISHED_WORKFLOW = (
    "SELECT tributary.get_workflow(%s)::text WHERE NOT EXISTS"
    " (SELECT FROM tributary.workflow_progress AS p WHERE p.id = %s AND p.finalized_at IS NULL)"
)
# The same document with each step's args and result as JSON text, decoded one by one when the
# whole document does not decode (see read_workflow).
GET_WORKFLOW_PAYLOADS_AS_TEXT = (
    "SELECT pg_catalog.jsonb_set(d, '{steps}', coalesce((SELECT pg_catalog.jsonb_object_agg(key, value"
    " || pg_catalog.jsonb_build_object('args', (value -> 'args')::text, 'result', (value -> 'result')::text))"
    " FROM pg_catalog.jsonb_each(d -> 'steps')), '{}'))::text FROM tributary.get_workflow(%s) AS d"
)
CANCEL_WORKFLOW = "SELECT tributary.cancel_workflow(%s, %s)"
RETRY_WORKFLOW = "SELECT tributary.retry_workflow(%s)"
RETRY_STEP = "SELECT tributary.retry_step(%s)"
PRUNE_FINISHED = "SELECT tributary.prune_finished(%s, %s)"
LIST_WORKFLOWS = (
    "SELECT id, name, state, metadata, steps_total, steps_unfinished, created_at, scheduled_at,"
    " cancelled_at, finalized_at FROM tributary.list_workflows(%s, %s, %s, %s, %s, %s)"
)
EXPIRED_LEASES_BY_QUEUE = "SELECT queue, count(*) FROM tributary.expired_leases GROUP BY queue ORDER BY queue"
WORKFLOW_COUNTS = "SELECT state, count FROM tributary.workflow_counts"
QUEUE_DEPTHS = (
    "SELECT queue, ready, scheduled, running, oldest_ready_age, paused FROM tributary.queue_depths ORDER BY queue"
)
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
PAUSE_QUEUE = "SELECT tributary.pause_queue(%s)"
SET_CONCURRENCY_LIMIT = "SELECT tributary.set_concurrency_limit(%s, %s, %s)"
REMOVE_CONCURRENCY_LIMIT = "SELECT tributary.remove_concurrency_limit(%s, %s)"
SET_RATE_LIMIT = "SELECT tributary.set_rate_limit(%s, %s, %s, %s)"
REMOVE_RATE_LIMIT = "SELECT tributary.remove_rate_limit(%s, %s)"
FLOW_LIMITS = (
    "SELECT scope, name, max_running, running, rate_max_starts, rate_period, tokens"
    " FROM tributary.flow_limit_status ORDER BY scope DESC, name"
)
# After a claim that took fewer steps than asked, on the same connection: when a rate limit's
# next token is due (seconds), or NULL.
CLAIM_RETRY_IN = "SELECT extract(epoch FROM tributary.claim_retry_in(%s))::float8"
# CLAIM, then CLAIM_RETRY_IN, as one statement: the claimed steps (retry_in NULL), then one row
# with step_id NULL holding the retry time. The branches of a UNION ALL run in order, so the
# retry time is read after the claim left it.
CLAIM_WITH_RETRY_IN = (
    f"SELECT NULL::float8 AS retry_in, {CLAIMED_STEP_COLUMNS} FROM tributary.claim_steps(%s, %s, %s)"
    " UNION ALL SELECT extract(epoch FROM tributary.claim_retry_in(%s))::float8"
    + ", NULL"
    * len(CLAIMED_STEP_COLUMNS.split(","))
)
RESUME_QUEUE = "SELECT tributary.resume_queue(%s)"
PAUSE_SCHEDULE = "SELECT tributary.pause_schedule(%s)"
RESUME_SCHEDULE = "SELECT tributary.resume_schedule(%s)"
DELETE_SCHEDULE = "SELECT tributary.delete_schedule(%s)"
FIRE_DUE_SCHEDULES = "SELECT schedule_name, fire_at, workflow_id, outcome FROM tributary.fire_due_schedules()"
FIRE_DUE_SCHEDULES_COUNT = (
    "SELECT count(*) FILTER (WHERE outcome IN ('fired', 'fired_after_cancel')) FROM tributary.fire_due_schedules()"
)
RECENT_FAILURES = (
    "SELECT step_id, workflow_id, task_name, kind, state, attempt, max_attempts, failed_at, message"
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


def create_workflows_params(items: list[dict[str, Any]]) -> tuple[Any, ...]:
    return (Jsonb(items),)


def complete_params(works: Sequence[WorkPayload]) -> tuple[Any, ...]:
    return (
        [w.step_id for w in works],
        [w.attempt for w in works],
        [None if w.result is None else Jsonb(w.result) for w in works],
    )


def start_params(works: Sequence[WorkPayload]) -> list[Any] | None:
    """``complete_steps_and_start``'s workflows to start, one array (or NULL) per step of ``works``;
    None when no step of ``works`` starts any."""
    if not any(w.workflows_to_start for w in works):
        return None
    return [Jsonb(w.workflows_to_start) if w.workflows_to_start else None for w in works]


def send_event_params(
    event: str, payload: Any, workflow_id: int | None, key: str | None, ttl: timedelta | None
) -> tuple[Any, ...]:
    return (event, None if payload is None else Jsonb(payload), workflow_id, key, ttl)


def spawn_params(work: WorkPayload) -> tuple[Any, ...]:
    child = work.child
    if child is None:
        raise ValueError(f"{work.describe()} spawned no child workflow")
    metadata = None if child.metadata is None else Jsonb(child.metadata)
    return (work.step_id, work.attempt, child.name, Jsonb(child.tasks), metadata)


def fail_params(work: WorkPayload, detail: dict[str, Any], retryable: bool) -> tuple[Any, ...]:
    return (work.step_id, work.attempt, Jsonb(detail), retryable)


def hand_back_params(work: WorkPayload, reason: str, detail: dict[str, Any]) -> tuple[Any, ...]:
    return (work.step_id, work.attempt, reason, Jsonb(detail))


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


@contextmanager
def one_statement(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """For one engine call on a pooled connection outside any transaction: runs it in autocommit,
    one round trip, where psycopg would send BEGIN, the call and COMMIT as three. An engine call
    is one statement, so it is atomic either way. The connection goes back to the pool as it came."""
    if conn.autocommit or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        yield
        return
    conn.autocommit = True
    try:
        yield
    finally:
        if not conn.closed:
            conn.autocommit = False


@asynccontextmanager
async def aone_statement(conn: psycopg.AsyncConnection[Any]) -> AsyncIterator[None]:
    """Async :func:`one_statement`."""
    if conn.autocommit or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        yield
        return
    await conn.set_autocommit(True)
    try:
        yield
    finally:
        if not conn.closed:
            await conn.set_autocommit(False)


def call(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Runs ``statement`` on ``conn`` (in the caller's transaction) and returns its rows."""
    with _engine_errors():
        return conn.execute(statement, params).fetchall()


def read(conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Runs ``statement`` on ``conn`` and returns its rows as dicts keyed by column name."""
    with _engine_errors(), conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(statement, params).fetchall()


async def aread(conn: psycopg.AsyncConnection[Any], statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Async :func:`read`."""
    with _engine_errors():
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(statement, params)
            return await cursor.fetchall()


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


def claimed_step_row(cursor: psycopg.Cursor[Any] | psycopg.AsyncCursor[Any], skip: int = 0) -> RowMaker[WorkPayload]:
    """A row factory: each :data:`CLAIM` row as a :class:`WorkPayload`, by column name (after the
    first ``skip`` columns, which the caller reads). A payload that does not decode (nested deeper
    than Python's recursion limit, an integer with more digits than Python converts) sets
    ``decode_error`` instead of failing the other rows."""
    names = [column.name for column in cursor.description or ()][skip:]

    def make(values: Sequence[Any]) -> WorkPayload:
        row = dict(zip(names, values, strict=True))
        try:
            args = _json_or_none(row.pop("args"))
            dependency_results = _json_or_none(row.pop("dependency_results")) or {}
        except (RecursionError, ValueError) as error:
            problem = f'a payload of task "{row["task_name"]}" cannot be decoded: {type(error).__name__}: {error}'
            row.pop("dependency_results", None)
            return WorkPayload(**row, args=None, dependency_results={}, decode_error=problem)
        return WorkPayload(**row, args=args, dependency_results=dependency_results)

    return make


UNDECODABLE_KEY = "$undecodable"


def read_workflow(conn: psycopg.Connection[Any], workflow_id: int) -> dict[str, Any]:
    """``get_workflow``'s document. A step whose args or result Python cannot decode (nested
    deeper than the recursion limit, an integer of more than 4,300 digits) gets
    ``{"$undecodable": "<why>"}`` in their place; the rest of the document is intact."""
    return _workflow_document(conn, call(conn, GET_WORKFLOW, (workflow_id,))[0][0], workflow_id)


async def aread_workflow(conn: psycopg.AsyncConnection[Any], workflow_id: int) -> dict[str, Any]:
    """Async :func:`read_workflow`."""
    return await _aworkflow_document(conn, (await acall(conn, GET_WORKFLOW, (workflow_id,)))[0][0], workflow_id)


def read_finished_workflow(conn: psycopg.Connection[Any], workflow_id: int) -> dict[str, Any] | None:
    """:func:`read_workflow` once the workflow has finished; None while it runs (one statement)."""
    rows = call(conn, FINISHED_WORKFLOW, (workflow_id, workflow_id))
    return _workflow_document(conn, rows[0][0], workflow_id) if rows else None


async def aread_finished_workflow(conn: psycopg.AsyncConnection[Any], workflow_id: int) -> dict[str, Any] | None:
    """Async :func:`read_finished_workflow`."""
    rows = await acall(conn, FINISHED_WORKFLOW, (workflow_id, workflow_id))
    return await _aworkflow_document(conn, rows[0][0], workflow_id) if rows else None


def _workflow_document(conn: psycopg.Connection[Any], text: str, workflow_id: int) -> dict[str, Any]:
    """``text`` decoded, or, when it does not decode, the document read again with each step's
    args and result as text and decoded one by one (see :func:`read_workflow`)."""
    try:
        return _decoded_document(text)
    except (RecursionError, ValueError):
        return _decoded_payloads(call(conn, GET_WORKFLOW_PAYLOADS_AS_TEXT, (workflow_id,))[0][0])


async def _aworkflow_document(conn: psycopg.AsyncConnection[Any], text: str, workflow_id: int) -> dict[str, Any]:
    """Async :func:`_workflow_document`."""
    try:
        return _decoded_document(text)
    except (RecursionError, ValueError):
        return _decoded_payloads((await acall(conn, GET_WORKFLOW_PAYLOADS_AS_TEXT, (workflow_id,)))[0][0])


def _decoded_document(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    return doc


def _decoded_payloads(text: str) -> dict[str, Any]:
    doc = _decoded_document(text)
    for step in doc["steps"].values():
        for key in ("args", "result"):
            try:
                step[key] = _json_or_none(step[key])
            except (RecursionError, ValueError) as error:
                step[key] = {UNDECODABLE_KEY: f"{type(error).__name__}: {error}"}
    return doc


def _json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


async def aclaim(conn: psycopg.AsyncConnection[Any], params: Sequence[Any]) -> list[WorkPayload]:
    """Runs :data:`CLAIM` on an autocommit ``conn`` (one statement): each claimed row becomes a
    :class:`WorkPayload` by column name."""
    with _engine_errors():
        cursor = conn.cursor(row_factory=claimed_step_row)
        await cursor.execute(CLAIM, params)
        return await cursor.fetchall()


async def aclaim_with_retry_in(
    conn: psycopg.AsyncConnection[Any], queue: str, params: Sequence[Any]
) -> tuple[list[WorkPayload], float | None]:
    """:func:`aclaim` and then :func:`aclaim_retry_in` on the same autocommit ``conn``, in one
    statement (:data:`CLAIM_WITH_RETRY_IN`): for a queue whose claims usually come back short,
    where the retry time would otherwise cost a round trip of its own."""
    with _engine_errors():
        cursor = conn.cursor(row_factory=_tagged_or_claimed_step_row)
        await cursor.execute(CLAIM_WITH_RETRY_IN, (*params, queue))
        rows = await cursor.fetchall()
    works = [row for row in rows if isinstance(row, WorkPayload)]
    retry = [row for row in rows if isinstance(row, tuple)]
    return works, _retry_seconds(retry[0] if retry else None)


async def aclaim_retry_in(conn: psycopg.AsyncConnection[Any], queue: str) -> float | None:
    """:data:`CLAIM_RETRY_IN` of ``queue`` on the connection that just claimed on it (the claim left
    its retry time in that session): seconds until a rate limit's next token lets a claim take a
    step it held back, or None when none was held back."""
    with _engine_errors():
        row = await (await conn.execute(CLAIM_RETRY_IN, (queue,))).fetchone()
    return _retry_seconds(row)


def _retry_seconds(row: Sequence[Any] | None) -> float | None:
    """The value of a :data:`CLAIM_RETRY_IN` row: seconds, or None when no retry time was left."""
    return None if row is None or row[0] is None else float(row[0])


async def acomplete_and_claim(
    conn: psycopg.AsyncConnection[Any],
    complete: Sequence[Any],
    worker_id: str,
    claims: Sequence[tuple[str, int]],
    start: Sequence[Any] | None = None,
) -> tuple[list[tuple[Any, ...]], list[list[WorkPayload]]]:
    """:data:`COMPLETE_AND_CLAIM`: the completion ``complete`` (:func:`complete_params`), then a
    claim of up to ``limit`` steps on each ``(queue, limit)`` of ``claims``, in one statement (so
    one transaction and one round trip). With ``start`` (:func:`start_params`),
    :data:`COMPLETE_AND_START`: each completed step's workflows are created in the same
    transaction, before the claims. Returns the completion outcomes and the steps each claim
    took. If either half fails, neither took effect. The queues of ``claims`` are distinct."""
    queues = [queue for queue, _ in claims]
    if len(set(queues)) != len(queues):
        raise ValueError(f"claims name a queue twice: {queues}")
    limits = [limit for _, limit in claims]
    with _engine_errors():
        cursor = conn.cursor(row_factory=_tagged_or_claimed_step_row)
        if start is None:
            await cursor.execute(COMPLETE_AND_CLAIM, (*complete, worker_id, queues, limits))
        else:
            await cursor.execute(COMPLETE_AND_START, (*complete, start, worker_id, queues, limits))
        rows = await cursor.fetchall()
    outcomes = [(row[1], row[0]) for row in rows if isinstance(row, tuple)]  # (step_id, outcome)
    claimed: dict[str, list[WorkPayload]] = {queue: [] for queue, _ in claims}
    for row in rows:
        if isinstance(row, WorkPayload):
            claimed[row.queue].append(row)
    return outcomes, [claimed[queue] for queue, _ in claims]


def _tagged_or_claimed_step_row(
    cursor: psycopg.AsyncCursor[Any],
) -> RowMaker[tuple[Any, ...] | WorkPayload]:
    """A row factory for statements whose first column tags a row that is not a claimed step
    (:data:`COMPLETE_AND_CLAIM`'s outcome, :data:`CLAIM_WITH_RETRY_IN`'s retry time): such a row
    (its first column set, or no step_id) comes back as its first two columns, a claimed step as
    :func:`claimed_step_row` makes it."""
    make_step = claimed_step_row(cursor, skip=1)

    def make(values: Sequence[Any]) -> tuple[Any, ...] | WorkPayload:
        if values[0] is not None or values[1] is None:
            return (values[0], values[1])
        return make_step(values[1:])

    return make
