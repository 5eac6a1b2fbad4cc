"""How the ``tributary`` command talks: lines and aligned tables on stdout, one-line errors
with an exit code, JSON for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_INTERRUPTED = 130
MESSAGE_WIDTH = 60


class CommandError(Exception):
    """A problem reported in one line on stderr; the command exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def say(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return duration(value.total_seconds())
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """``rows`` as aligned text lines under ``headers``; numeric columns are right-aligned."""
    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]
    right = [bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def say_table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> None:
    if not rows:
        say(f"  {empty}")
        return
    for text in format_table(headers, rows):
        say(f"  {text}")


def shorten(text: str | None, width: int = MESSAGE_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def describe_database(dsn: str) -> str:
    """Where ``dsn`` points, without its password."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the given database"
    host = params.get("host") or "the local socket"
    port = params.get("port") or "5432"
    where = host if str(host).startswith("/") else f"{host}:{port}"
    return f'database "{params.get("dbname") or params.get("user") or "postgres"}" at {where}'


def connect(args: argparse.Namespace) -> psycopg.Connection[Any]:
    """An autocommit connection to the command's database (--dsn or DATABASE_URL)."""
    return psycopg.connect(require_dsn(args), autocommit=True, connect_timeout=10)


def require_dsn(args: argparse.Namespace) -> str:
    if not args.dsn:
        raise CommandError("no database given: pass --dsn or set DATABASE_URL", EXIT_USAGE)
    return str(args.dsn)


def say_json(value: Any) -> None:
    """``value`` as one JSON document on stdout (timestamps as ISO 8601, intervals in seconds)."""
    say(json.dumps(value, default=_json_default, indent=2, sort_keys=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON: {value!r}")
