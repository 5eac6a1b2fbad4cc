"""A connection kept for one caller that makes its calls one at a time (the completer, the
fetcher of a queue), so that the same backend serves every call.

A pool hands its idle connections out in turn (psycopg_pool is first in, first out), so a
completer's calls alternate between backends whose caches went cold in between: measured on a
chain, 1.59-1.66 ms a hop on one kept connection against 1.91-1.94 ms through the pool (see
docs/performance.md). The connection is opened at its first use; one that broke, or that an
interrupted call left inside a statement or transaction, is closed and opened again at the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import psycopg
from psycopg import pq


class DedicatedConnection:
    """One autocommit connection to ``conninfo``; ``on_open`` runs on each new one."""

    def __init__(self, conninfo: str, on_open: Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]]) -> None:
        self._conninfo = conninfo
        self._on_open = on_open
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """The kept connection (opened if there is none); for one call at a time."""
        conn = self._conn
        if conn is None or conn.closed:
            self._conn = None
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            try:
                await self._on_open(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        try:
            yield conn
        finally:
            if conn.broken or conn.info.transaction_status != pq.TransactionStatus.IDLE:
                self._conn = None
                with suppress(psycopg.Error, OSError):
                    await conn.close()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg.Error, OSError):
                await conn.close()
