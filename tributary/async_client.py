"""The asyncio client: create, read, wait for, cancel and retry workflows without blocking a loop.

For ``async def`` handlers that start workflows and for async web applications. It runs no
workers: :meth:`Client.start <tributary.Client.start>` does. A handler cannot create workflows
in the transaction that completes its step (the runtime reports completions in batches, in its
own transactions): create them with an idempotency key, since a handler may run twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Unpack

import psycopg
from psycopg_pool import AsyncConnectionPool

from tributary import _sql
from tributary._reconnect import ReconnectBackoff
from tributary.client import (
    WorkflowResult,
    conninfo_of,
    seconds,
    send_event_params,
    to_workflow_result,
    unserved_note,
)
from tributary.config import Config
from tributary.errors import WaitTimeout
from tributary.flow_limits import FlowLimit, Scope, rows_to_limits
from tributary.workflow import WorkflowOptions, WorkflowSpec, acreate_many

logger = logging.getLogger(__name__)


class AsyncClient:
    """``AsyncClient(dsn_or_pool, Config(...))``; open it with ``async with`` (or ``await open()``).

    With a DSN it opens its own pool (1 to 4 connections) and closes it; with an
    ``AsyncConnectionPool`` it uses that pool and leaves it to its owner.
    """

    def __init__(self, dsn_or_pool: str | AsyncConnectionPool[Any], config: Config | None = None) -> None:
        self.config = config or Config()
        self._owns_pool = isinstance(dsn_or_pool, str)
        self._pool = _unopened_pool(dsn_or_pool) if isinstance(dsn_or_pool, str) else dsn_or_pool
        self.conninfo: str = conninfo_of(self._pool)

    async def open(self) -> None:
        if self._owns_pool:
            await self._pool.open()

    async def close(self) -> None:
        if self._owns_pool:
            await self._pool.close()

    async def __aenter__(self) -> AsyncClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A pooled connection in a transaction, committed when the block ends without error."""
        async with self._pool.connection() as conn:
            yield conn

    # -- creating --------------------------------------------------------------------------------
    def new_workflow(self, name: str, **options: Unpack[WorkflowOptions]) -> WorkflowSpec:
        """A workflow to fill with ``add_task`` and create with :meth:`insert` or :meth:`insert_many`."""
        return WorkflowSpec(self.config, name, **options)

    async def insert(self, workflow: WorkflowSpec, conn: psycopg.AsyncConnection[Any] | None = None) -> int:
        """Creates ``workflow`` (one ``create_workflow`` call) and returns its id; with ``conn``,
        in that connection's current transaction."""
        async with self._maybe(conn) as use:
            return (await acreate_many(use, [workflow]))[0]

    async def insert_many(
        self, workflows: Sequence[WorkflowSpec], conn: psycopg.AsyncConnection[Any] | None = None
    ) -> list[int]:
        """Creates every workflow with one ``create_workflows`` call, all or nothing; their ids in order."""
        if not workflows:
            return []
        async with self._maybe(conn) as use:
            return await acreate_many(use, workflows)

    # -- reading and acting ----------------------------------------------------------------------
    async def get_workflow(self, workflow_id: int, conn: psycopg.AsyncConnection[Any] | None = None) -> WorkflowResult:
        """The workflow's current state and its steps' outcomes (results opened by the hooks)."""
        async with self._maybe(conn) as use:
            doc = await _sql.aread_workflow(use, workflow_id)
        return to_workflow_result(doc, self.config.hooks)

    async def cancel_workflow(self, workflow_id: int, reason: str = "workflow cancelled") -> bool:
        """Cancels every unfinished step; False when the workflow had already finished."""
        async with self.connection() as conn:
            return bool((await _sql.acall(conn, _sql.CANCEL_WORKFLOW, (workflow_id, reason)))[0][0])

    async def retry_workflow(self, workflow_id: int) -> int:
        """Re-runs discarded/cancelled steps (keeping completed results); returns how many."""
        async with self.connection() as conn:
            return int((await _sql.acall(conn, _sql.RETRY_WORKFLOW, (workflow_id,)))[0][0])

    async def send_event(
        self,
        event: str,
        payload: Any = None,
        *,
        workflow_id: int | None = None,
        key: str | None = None,
        ttl: timedelta | None = None,
        conn: psycopg.AsyncConnection[Any] | None = None,
    ) -> int | None:
        """Sends ``event`` to a workflow or by key (see :meth:`Client.send_event`); the id of the
        step it completed, or None when it was kept for a wait to come."""
        params = send_event_params(self.config.hooks, event, payload, workflow_id=workflow_id, key=key, ttl=ttl)
        async with self._maybe(conn) as use:
            step_id = (await _sql.acall(use, _sql.SEND_EVENT, params))[0][0]
        return None if step_id is None else int(step_id)

    async def wake_due_steps(self) -> int:
        """Ends the waits whose timer is due (see :meth:`Client.wake_due_steps`); returns how many."""
        async with self.connection() as conn:
            return int((await _sql.acall(conn, _sql.WAKE_DUE_STEPS))[0][0])

    async def pause_queue(self, name: str) -> bool:
        """Pauses the queue ``name`` (see :meth:`Client.pause_queue`); False when it was already paused."""
        async with self.connection() as conn:
            return bool((await _sql.acall(conn, _sql.PAUSE_QUEUE, (name,)))[0][0])

    async def resume_queue(self, name: str) -> bool:
        """Resumes a paused queue; its workers are woken at once. False when it was not paused."""
        async with self.connection() as conn:
            return bool((await _sql.acall(conn, _sql.RESUME_QUEUE, (name,)))[0][0])

    async def set_concurrency_limit(self, scope: Scope, name: str, max_running: int) -> None:
        """See :meth:`Client.set_concurrency_limit`."""
        async with self.connection() as conn:
            await _sql.acall(conn, _sql.SET_CONCURRENCY_LIMIT, (scope, name, max_running))

    async def remove_concurrency_limit(self, scope: Scope, name: str) -> bool:
        """See :meth:`Client.remove_concurrency_limit`; False when it had none."""
        async with self.connection() as conn:
            return bool((await _sql.acall(conn, _sql.REMOVE_CONCURRENCY_LIMIT, (scope, name)))[0][0])

    async def set_rate_limit(self, scope: Scope, name: str, max_starts: int, per: timedelta) -> None:
        """See :meth:`Client.set_rate_limit`."""
        async with self.connection() as conn:
            await _sql.acall(conn, _sql.SET_RATE_LIMIT, (scope, name, max_starts, per))

    async def remove_rate_limit(self, scope: Scope, name: str) -> bool:
        """See :meth:`Client.remove_rate_limit`; False when it had none."""
        async with self.connection() as conn:
            return bool((await _sql.acall(conn, _sql.REMOVE_RATE_LIMIT, (scope, name)))[0][0])

    async def flow_limits(self) -> list[FlowLimit]:
        """See :meth:`Client.flow_limits`."""
        async with self.connection() as conn:
            return rows_to_limits(await _sql.aread(conn, _sql.FLOW_LIMITS))

    async def wait(self, workflow_id: int, timeout: float | timedelta | None = None) -> WorkflowResult:
        """Waits (LISTEN, no busy polling) until the workflow finalizes; ``WaitTimeout`` after ``timeout``."""
        limit = seconds(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        backoff = ReconnectBackoff()
        while True:
            try:
                return await self._wait_listening(workflow_id, deadline, limit)
            except psycopg.OperationalError as error:  # the server restarted or the network broke
                if deadline is not None and time.monotonic() >= deadline:
                    raise WaitTimeout(f"workflow {workflow_id}: no answer from the database ({error})") from error
                logger.warning("waiting for workflow %s: connection lost (%s); reconnecting", workflow_id, error)
                delay = backoff.next_delay()
                await asyncio.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))

    async def _wait_listening(self, workflow_id: int, deadline: float | None, limit: float | None) -> WorkflowResult:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, connect_timeout=10) as conn:
            await _sql.alisten(conn, _sql.FINALIZED_CHANNEL)
            while True:
                # As Client.wait: one row while it runs, the whole document when it has finished.
                finished = await _sql.aread_finished_workflow(conn, workflow_id)
                if finished is not None:
                    return to_workflow_result(finished, self.config.hooks)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    unserved = unserved_note(await _sql.aread(conn, _sql.UNSERVED_QUEUES))
                    raise WaitTimeout(f"workflow {workflow_id} still running after {limit:g} s{unserved}")
                # A periodic re-check guards against a missed notification; it is not the mechanism.
                async for note in conn.notifies(timeout=5.0 if remaining is None else min(5.0, remaining)):
                    if json.loads(note.payload).get("workflow_id") == workflow_id:
                        break

    @asynccontextmanager
    async def _maybe(self, conn: psycopg.AsyncConnection[Any] | None) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if conn is not None:
            yield conn
        else:
            async with self.connection() as own, _sql.aone_statement(own):
                yield own


def _unopened_pool(dsn: str) -> AsyncConnectionPool[Any]:
    return AsyncConnectionPool(dsn, min_size=1, max_size=4, open=False, name="tributary-async")
