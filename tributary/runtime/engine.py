"""The runtime's narrow seam to the database: each method is one call of an engine function.

The parts of the runtime depend on :class:`EngineCalls`, not on psycopg, so their rules can be
unit-tested against a fake; :class:`Engine` is the real one, on an async connection pool.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from tributary import _sql
from tributary.errors import ConfigError, EngineError
from tributary.hooks import WorkPayload
from tributary.runtime.dedicated import DedicatedConnection

Outcomes = list[tuple[int, str]]
"""``(step_id, outcome)`` per completion, as ``complete_steps`` reports them."""


class EngineCalls(Protocol):
    """What the runtime asks of the engine."""

    async def claim(self, queue: str, limit: int) -> list[WorkPayload]: ...

    def claim_retry_in(self, queue: str) -> float | None:
        """After a :meth:`claim` of ``queue`` that took fewer steps than asked: seconds until a rate
        limit's next token is due, when a rate limit held a step back; else None."""
        ...

    async def complete(self, works: Sequence[WorkPayload]) -> Outcomes: ...

    async def complete_and_claim(
        self, works: Sequence[WorkPayload], claims: Sequence[tuple[str, int]]
    ) -> tuple[Outcomes, list[list[WorkPayload]]]: ...

    async def fail(self, work: WorkPayload, detail: dict[str, Any], retryable: bool) -> str: ...

    async def hand_back(self, work: WorkPayload, reason: str, detail: dict[str, Any]) -> str: ...

    async def heartbeat(self, works: Sequence[WorkPayload]) -> set[int]: ...

    async def rescue(self) -> int: ...

    async def wake_due(self) -> int: ...

    async def spawn(self, work: WorkPayload) -> int: ...

    async def release(self, works: Sequence[WorkPayload]) -> int: ...

    async def report_process(self, process: ProcessReport) -> timedelta: ...

    async def forget_process(self) -> None: ...

    async def prune_processes(self) -> int: ...

    async def fire_schedules(self) -> int: ...


@dataclass(frozen=True)
class ProcessReport:
    """What a worker process says of itself in ``tributary.worker_processes``."""

    host: str
    pid: int
    queues: list[str]
    kinds: list[str]
    package_version: str


class Engine:
    """:class:`EngineCalls` on a pool of autocommit connections, as worker ``worker_id``.

    It remembers the backend pid of each of its connections, so the listener can tell this
    process's own ``tributary_step_available`` notifications from other processes'.
    """

    def __init__(self, conninfo: str, worker_id: str, pool_size: int) -> None:
        self.worker_id = worker_id
        self._conninfo = conninfo
        self._own_backends: dict[int, weakref.ref[psycopg.AsyncConnection[Any]]] = {}
        # Per queue whose last claim took fewer steps than asked: the retry time it left (or None).
        self._claim_retry_in: dict[str, float | None] = {}
        self._schema_checked = False  # whether the functions this runtime calls were found
        # The completer and each queue's fetcher call one at a time, each on a connection of its
        # own (the same backend every time, see dedicated.py); the pool serves everything else.
        # Not one of "own" backends: complete_steps_and_claim notifies a queue only where its claim
        # may have left a step (a pause, a limit), and this process's fetchers must hear it too.
        self._completer_connection = DedicatedConnection(conninfo, _nothing_to_remember)
        self._fetcher_connections: dict[str, DedicatedConnection] = {}
        self._pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            configure=self._remember_backend,
            open=False,
            name="tributary-runtime",
        )

    async def open(self) -> None:
        await self._pool.open()

    async def close(self) -> None:
        for dedicated in (self._completer_connection, *self._fetcher_connections.values()):
            await dedicated.close()
        await self._pool.close()

    def is_own(self, backend_pid: int) -> bool:
        """Whether ``backend_pid`` is one of this engine's open connections whose notifications this
        process acts on itself (the pool's and the fetchers'; not the completer's)."""
        ref = self._own_backends.get(backend_pid)
        conn = ref() if ref is not None else None
        return conn is not None and not conn.closed

    async def _remember_backend(self, conn: psycopg.AsyncConnection[Any]) -> None:
        for pid, ref in list(self._own_backends.items()):
            if (known := ref()) is None or known.closed:
                del self._own_backends[pid]
        self._own_backends[conn.info.backend_pid] = weakref.ref(conn)

    async def _call(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as conn:
            return await _sql.acall(conn, statement, params)

    async def claim(self, queue: str, limit: int) -> list[WorkPayload]:
        dedicated = self._fetcher_connections.get(queue)
        if dedicated is None:
            dedicated = self._fetcher_connections[queue] = DedicatedConnection(self._conninfo, self._remember_backend)
        async with dedicated.connection() as conn:
            # A claim that comes back short left its retry time in this session, to be asked there.
            # The last claim of the queue predicts this one: after a short one, both go in one
            # round trip; after a full one (a busy queue), the claim goes alone.
            params = _sql.claim_params(queue, self.worker_id, limit)
            if queue in self._claim_retry_in:
                works, retry_in = await _sql.aclaim_with_retry_in(conn, queue, params)
            else:
                works = await _sql.aclaim(conn, params)
                retry_in = await self._retry_in_after(conn, queue) if len(works) < limit else None
            if len(works) < limit:
                self._claim_retry_in[queue] = retry_in
            else:
                self._claim_retry_in.pop(queue, None)
            return works

    async def _retry_in_after(self, conn: psycopg.AsyncConnection[Any], queue: str) -> float | None:
        """claim_retry_in after a claim that committed: if asking fails, the claimed steps still
        run (the fetcher then waits for a wake-up or its poll, not for a token)."""
        try:
            return await _sql.aclaim_retry_in(conn, queue)
        except (psycopg.Error, OSError, EngineError):
            return None

    def claim_retry_in(self, queue: str) -> float | None:
        return self._claim_retry_in.get(queue)

    async def complete(self, works: Sequence[WorkPayload]) -> Outcomes:
        async with self._completer_connection.connection() as conn:
            rows = await _sql.acall(conn, _sql.COMPLETE, _sql.complete_params(works))
        return [(int(step_id), str(outcome)) for step_id, outcome in rows]

    async def complete_and_claim(
        self, works: Sequence[WorkPayload], claims: Sequence[tuple[str, int]]
    ) -> tuple[Outcomes, list[list[WorkPayload]]]:
        """Completes ``works`` and claims ``claims`` in one statement; the workflows the steps
        start (``workflows_to_start``) are created with their completions."""
        async with self._completer_connection.connection() as conn:
            outcomes, claimed = await _sql.acomplete_and_claim(
                conn, _sql.complete_params(works), self.worker_id, claims, _sql.start_params(works)
            )
        return [(int(step_id), str(outcome)) for step_id, outcome in outcomes], claimed

    async def fail(self, work: WorkPayload, detail: dict[str, Any], retryable: bool) -> str:
        rows = await self._call(_sql.FAIL, _sql.fail_params(work, detail, retryable))
        return str(rows[0][0])

    async def hand_back(self, work: WorkPayload, reason: str, detail: dict[str, Any]) -> str:
        rows = await self._call(_sql.HAND_BACK, _sql.hand_back_params(work, reason, detail))
        return str(rows[0][0])

    async def heartbeat(self, works: Sequence[WorkPayload]) -> set[int]:
        return {int(row[0]) for row in await self._call(_sql.HEARTBEAT, _sql.attempts_params(works))}

    async def rescue(self) -> int:
        return int((await self._call(_sql.RESCUE))[0][0])

    async def wake_due(self) -> int:
        return int((await self._call(_sql.WAKE_DUE_STEPS))[0][0])

    async def spawn(self, work: WorkPayload) -> int:
        return int((await self._call(_sql.SPAWN_CHILD, _sql.spawn_params(work)))[0][0])

    async def release(self, works: Sequence[WorkPayload]) -> int:
        return int((await self._call(_sql.RELEASE, _sql.attempts_params(works)))[0][0])

    async def report_process(self, process: ProcessReport) -> timedelta:
        params = (self.worker_id, process.host, process.pid, process.queues, process.kinds, process.package_version)
        try:
            lease = (await self._call(_sql.REPORT_WORKER_PROCESS, params))[0][0]
        except psycopg.errors.UndefinedFunction as missing:
            raise SchemaTooOld(missing.diag.message_primary or type(missing).__name__) from missing
        if not isinstance(lease, timedelta):
            raise SchemaTooOld(f"report_worker_process returned {lease!r}, not the lease")
        if not self._schema_checked:  # once: the rest of what this runtime calls is there too
            missing_functions = [
                row[0] for row in await self._call(_sql.MISSING_FUNCTIONS, (list(_sql.WORKER_FUNCTIONS),))
            ]
            if missing_functions:
                raise SchemaTooOld(f"missing {', '.join(missing_functions)}")
            self._schema_checked = True
        return lease

    async def forget_process(self) -> None:
        await self._call(_sql.FORGET_WORKER_PROCESS, (self.worker_id,))

    async def prune_processes(self) -> int:
        return int((await self._call(_sql.PRUNE_WORKER_PROCESSES))[0][0])

    async def fire_schedules(self) -> int:
        """Fires the due fire times of every schedule; how many created a workflow."""
        return int((await self._call(_sql.FIRE_DUE_SCHEDULES_COUNT))[0][0])


async def _nothing_to_remember(conn: psycopg.AsyncConnection[Any]) -> None:
    return None


class SchemaTooOld(ConfigError):
    """The deployed schema lacks what this package calls: it was deployed by an older version."""

    def __init__(self, cause: object) -> None:
        super().__init__(
            f"the deployed tributary schema is older than this package ({cause}): "
            "run `tributary migrate up` (or set Config(auto_migrate=True)) before starting workers"
        )
