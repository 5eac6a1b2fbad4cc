"""The one module that runs SQL. Every statement calls exactly one function of the engine.

Engine errors (SQLSTATE class TB) come out as the exceptions of :mod:`tributary.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import psycopg
from psycopg.types.json import Jsonb

from tributary.errors import from_sql_error


class ClaimedRow(NamedTuple):
    step_id: int
    workflow_id: int
    task_name: str
    kind: str
    args: Any
    attempt: int
    max_attempts: int
    queue: str
    priority: int
    timeout: timedelta | None
    deadline_at: datetime | None
    lease_expires_at: datetime
    dependency_results: dict[str, Any]
    has_dependents: bool


CREATE_WORKFLOW = "SELECT tributary.create_workflow(%s, %s, %s, %s, %s)"
CLAIM = "SELECT * FROM tributary.claim_step(%s, %s, %s)"
COMPLETE = "SELECT step_id, outcome FROM tributary.complete_steps(%s::bigint[], %s::integer[], %s::jsonb[])"
FAIL = "SELECT tributary.fail_step(%s, %s, %s, %s)"
RELEASE = "SELECT tributary.release_steps(%s::bigint[], %s::integer[])"
HEARTBEAT = "SELECT tributary.heartbeat_steps(%s::bigint[], %s::integer[])"
RESCUE = "SELECT tributary.rescue_expired_steps()"
GET_WORKFLOW = "SELECT tributary.get_workflow(%s)"
CANCEL_WORKFLOW = "SELECT tributary.cancel_workflow(%s, %s)"
RETRY_WORKFLOW = "SELECT tributary.retry_workflow(%s)"


def create_workflow_params(
    name: str,
    tasks: list[dict[str, Any]],
    scheduled_at: datetime | None,
    metadata: dict[str, Any] | None,
    idempotency_key: str | None,
) -> tuple[Any, ...]:
    return (name, Jsonb(tasks), scheduled_at, Jsonb(metadata or {}), idempotency_key)


def complete_params(items: Sequence[tuple[int, int, Any]]) -> tuple[Any, ...]:
    return (
        [i[0] for i in items],
        [i[1] for i in items],
        [None if i[2] is None else Jsonb(i[2]) for i in items],
    )


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


def call(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Runs ``sql`` on ``conn`` (in the caller's transaction) and returns its rows."""
    with _engine_errors():
        return conn.execute(sql, params).fetchall()


async def acall(conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Async :func:`call`."""
    with _engine_errors():
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall()


async def acall_in_one_transaction(
    conn: psycopg.AsyncConnection[Any], statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    """Runs ``statements`` on an autocommit ``conn`` in one transaction and one round trip
    (pipeline mode, explicit BEGIN and COMMIT); returns the rows of each. If one fails, none of
    them took effect."""
    with _engine_errors():
        try:
            async with conn.pipeline():
                await conn.execute("BEGIN")
                cursors = [await conn.execute(sql, params) for sql, params in statements]
                await conn.execute("COMMIT")
            return [await cursor.fetchall() for cursor in cursors]
        except psycopg.Error:
            if not conn.closed:
                await conn.rollback()
            raise
