"""Global concurrency and rate limits: per queue, or per concurrency key (the task option
``concurrency_key``), enforced by the engine's ``claim_step`` for every worker process at once.
Setting, removing and listing are one engine call each; the engine validates (TB220 to TB224)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import psycopg

from tributary import _sql

Scope = Literal["queue", "key"]
"""What a limit applies to: every step of a queue, or every step carrying a concurrency key."""


@dataclass(frozen=True)
class FlowLimit:
    """A limit as the view ``tributary.flow_limit_status`` shows it."""

    scope: Scope
    name: str
    max_running: int | None
    """At most this many steps of the queue or key run at once; None: no concurrency limit."""
    running: int
    """How many of its steps run now."""
    rate_max_starts: int | None
    """At most this many starts per ``rate_period`` (a token bucket); None: no rate limit."""
    rate_period: timedelta | None
    tokens: float | None
    """Starts the bucket allows right now; None without a rate limit."""


def set_concurrency_limit(conn: psycopg.Connection[Any], scope: Scope, name: str, max_running: int) -> None:
    _sql.call(conn, _sql.SET_CONCURRENCY_LIMIT, (scope, name, max_running))


def remove_concurrency_limit(conn: psycopg.Connection[Any], scope: Scope, name: str) -> bool:
    return bool(_sql.call(conn, _sql.REMOVE_CONCURRENCY_LIMIT, (scope, name))[0][0])


def set_rate_limit(conn: psycopg.Connection[Any], scope: Scope, name: str, max_starts: int, per: timedelta) -> None:
    _sql.call(conn, _sql.SET_RATE_LIMIT, (scope, name, max_starts, per))


def remove_rate_limit(conn: psycopg.Connection[Any], scope: Scope, name: str) -> bool:
    return bool(_sql.call(conn, _sql.REMOVE_RATE_LIMIT, (scope, name))[0][0])


def rows_to_limits(rows: list[dict[str, Any]]) -> list[FlowLimit]:
    """Rows of :data:`_sql.FLOW_LIMITS`, by column name."""
    return [FlowLimit(**row) for row in rows]


def list_limits(conn: psycopg.Connection[Any]) -> list[FlowLimit]:
    return rows_to_limits(_sql.read(conn, _sql.FLOW_LIMITS))
