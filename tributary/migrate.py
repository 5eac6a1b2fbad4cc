"""Deploy Tributary's sqitch plan without sqitch.

The plan and its scripts ship inside the wheel (``tributary/_sql``); in a source checkout they
are read from the repository (``sqitch.plan``, ``db/deploy``, ``db/revert``). Each deploy script
is run as-is, exactly as sqitch would run it (each wraps itself in ``BEGIN; ... COMMIT;``), so
scripts must not use psql meta-commands (``\\set``, ``:var``).

Applied changes are recorded in ``tributary_migrator.changes``. A database deployed by sqitch
(registry schema ``sqitch``) is adopted on the migrator's first run: the changes sqitch lists
for project ``tributary`` count as applied. From then on the migrator's own records decide.

A whole ``up()``/``down()`` run holds a session advisory lock, so concurrent runs serialise and
the later one finds nothing left to do. A reworked change (``sqitch rework``) appears more
than once in the plan; its earlier versions are named ``name@tag`` (their scripts are
``name@tag.sql``, as sqitch names them) and the latest keeps the plain name.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq, sql

from tributary.errors import MigrationError

__all__ = ["LOCK_KEY", "Change", "ChangeStatus", "RevertPreview", "down", "plan", "preview_down", "status", "up"]

logger = logging.getLogger(__name__)

PROJECT = "tributary"
# Key of the session advisory lock held for a whole up()/down() run: b"tributar" as a bigint.
LOCK_KEY = int.from_bytes(b"tributar", "big")

Target = str | psycopg.Connection[Any]


@dataclass(frozen=True)
class Change:
    """One change of the plan, in plan order; ``name`` also names its scripts."""

    name: str
    note: str


@dataclass(frozen=True)
class ChangeStatus:
    name: str
    applied: bool
    applied_at: datetime | None


# --- the plan -----------------------------------------------------------------------------------

_CHANGE_RE = re.compile(
    r"""
    ^(?P<op>[+-])?\s*
    (?P<name>[^\s@#%:\[\]][^\s\[\]#]*)\s*
    (?:\[(?P<deps>[^\]]*)\]\s*)?
    \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+
    [^<]*<[^>]*>
    (?:\s*\#\s?(?P<note>.*))?$
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Source:
    plan: Traversable
    deploy: Traversable
    revert: Traversable


def _source() -> _Source:
    packaged = resources.files("tributary") / "_sql"
    if (packaged / "sqitch.plan").is_file():  # installed wheel
        return _Source(packaged / "sqitch.plan", packaged / "deploy", packaged / "revert")
    root = Path(__file__).resolve().parent.parent  # source checkout, editable install
    if (root / "sqitch.plan").is_file():
        return _Source(root / "sqitch.plan", root / "db" / "deploy", root / "db" / "revert")
    raise MigrationError("sqitch.plan not found: neither packaged in tributary/_sql nor at the repository root")


def _parse_plan(text: str) -> list[Change]:
    entries: list[tuple[str, str]] = []
    tags: list[tuple[int, str]] = []  # (number of changes before the tag, tag name)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "%")):
            continue
        if line.startswith("@"):
            tags.append((len(entries), line[1:].split()[0]))
            continue
        match = _CHANGE_RE.match(line)
        if match is None:
            raise MigrationError(f"sqitch.plan line {lineno}: cannot parse {raw!r}")
        if match["op"] == "-":
            raise MigrationError(f"sqitch.plan line {lineno}: '-' (revert) entries unsupported")
        entries.append((match["name"], (match["note"] or "").strip()))

    changes: list[Change] = []
    for index, (name, note) in enumerate(entries):
        ident = name
        if any(later == name for later, _ in entries[index + 1 :]):
            tag = next((tag for position, tag in tags if position > index), None)
            if tag is None:
                raise MigrationError(f"change {name!r} is reworked with no tag in between")
            ident = f"{name}@{tag}"
        changes.append(Change(ident, note))
    return changes


def plan() -> list[Change]:
    """The changes of the packaged sqitch plan, in deploy order."""
    return _parse_plan(_source().plan.read_text(encoding="utf-8"))


def _script(directory: Traversable, change: Change) -> bytes:
    path = directory.joinpath(*f"{change.name}.sql".split("/"))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MigrationError(f"script for change {change.name!r} not found: {path}") from exc


# --- connections and the registry -----------------------------------------------------------

_REGISTRY_DDL = b"""
CREATE SCHEMA IF NOT EXISTS tributary_migrator;
COMMENT ON SCHEMA tributary_migrator IS
  'Changes of the tributary schema applied by the Python migrator (tributary.migrate).';
CREATE TABLE IF NOT EXISTS tributary_migrator.changes (
    change      text PRIMARY KEY,
    script_sha1 text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
"""


@contextmanager
def _session(target: Target) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit session on ``target`` (a conninfo string or a caller's idle connection).

    Database errors raised inside the block come out as MigrationError.
    """
    try:
        if isinstance(target, psycopg.Connection):
            if target.info.transaction_status != pq.TransactionStatus.IDLE:
                raise MigrationError("the connection given to the migrator must be idle")
            autocommit = target.autocommit
            target.autocommit = True
            try:
                yield target
            finally:
                if not target.closed:
                    target.autocommit = autocommit
        else:
            with psycopg.connect(target, autocommit=True) as conn:
                yield conn
    except psycopg.Error as exc:
        raise MigrationError(f"migration failed: {exc}") from exc


def _end_transaction(conn: psycopg.Connection[Any]) -> None:
    if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
        conn.execute(b"ROLLBACK")


@contextmanager
def _locked(conn: psycopg.Connection[Any]) -> Iterator[None]:
    conn.execute("SELECT pg_catalog.pg_advisory_lock(%s::bigint)", (LOCK_KEY,))
    try:
        yield
    finally:
        try:
            if not conn.closed:
                _end_transaction(conn)
                conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s::bigint)", (LOCK_KEY,))
        except psycopg.Error:  # a broken session; its lock ends with it, don't mask the cause
            logger.warning("cannot release the migration lock", exc_info=True)


def _exists(conn: psycopg.Connection[Any], relation: str) -> bool:
    row = conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (relation,)).fetchone()
    return bool(row and row[0])


def _recorded(conn: psycopg.Connection[Any]) -> dict[str, tuple[datetime, str]]:
    rows = conn.execute("SELECT change, applied_at, script_sha1 FROM tributary_migrator.changes").fetchall()
    return {name: (applied_at, sha1) for name, applied_at, sha1 in rows}


def _sqitch_applied(conn: psycopg.Connection[Any], changes: list[Change]) -> dict[str, datetime]:
    """The plan changes that a sqitch registry in this database lists as deployed."""
    if not _exists(conn, "sqitch.changes"):
        return {}
    rows = conn.execute(
        "SELECT change, committed_at FROM sqitch.changes WHERE project = %s ORDER BY committed_at",
        (PROJECT,),
    ).fetchall()
    deployed: defaultdict[str, deque[datetime]] = defaultdict(deque)
    for name, committed_at in rows:
        deployed[name].append(committed_at)
    applied: dict[str, datetime] = {}
    for change in changes:  # a reworked change is listed once per deployed version
        versions = deployed.get(change.name.partition("@")[0])
        if versions:
            applied[change.name] = versions.popleft()
    return applied


def _applied(conn: psycopg.Connection[Any], changes: list[Change]) -> dict[str, datetime]:
    if _exists(conn, "tributary_migrator.changes"):
        return {name: applied_at for name, (applied_at, _) in _recorded(conn).items()}
    return _sqitch_applied(conn, changes)


def _open_registry(conn: psycopg.Connection[Any], changes: list[Change], source: _Source) -> dict[str, datetime]:
    """Create the registry if missing (adopting a sqitch deployment); return what is applied."""
    if _exists(conn, "tributary_migrator.changes"):
        recorded = _recorded(conn)
        _warn_drift(changes, recorded, source)
        return {name: applied_at for name, (applied_at, _) in recorded.items()}
    adopted = _sqitch_applied(conn, changes)
    with conn.transaction():
        conn.execute(_REGISTRY_DDL)
        for change in changes:
            if change.name in adopted:
                conn.execute(
                    "INSERT INTO tributary_migrator.changes (change, script_sha1, applied_at) VALUES (%s, %s, %s)",
                    (change.name, _sha1(_script(source.deploy, change)), adopted[change.name]),
                )
    if adopted:
        logger.info("adopted changes deployed by sqitch", extra={"changes": sorted(adopted)})
    return adopted


def _warn_drift(changes: list[Change], recorded: dict[str, tuple[datetime, str]], source: _Source) -> None:
    """Log applied changes this plan does not know, and applied scripts edited since."""
    unknown = sorted(set(recorded) - {change.name for change in changes})
    if unknown:
        logger.warning("database has changes this plan does not know", extra={"changes": unknown})
    edited = [
        change.name
        for change in changes
        if change.name in recorded and recorded[change.name][1] != _sha1(_script(source.deploy, change))
    ]
    if edited:
        logger.warning(
            "deploy scripts changed after they were applied (rework them instead)",
            extra={"changes": edited},
        )


def _sha1(script: bytes) -> str:
    return hashlib.sha1(script, usedforsecurity=False).hexdigest()


def _run(conn: psycopg.Connection[Any], what: str, change: Change, script: bytes) -> None:
    # No parameters: psycopg sends the whole file as one simple query, statements and all.
    try:
        conn.execute(script)
    except psycopg.Error as exc:
        _end_transaction(conn)
        raise MigrationError(f"{what} of change {change.name!r} failed: {exc}") from exc
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        _end_transaction(conn)
        raise MigrationError(f"{what} script of change {change.name!r} left a transaction open (missing COMMIT?)")


# --- API ------------------------------------------------------------------------------------


def up(target: Target) -> list[str]:
    """Apply the changes not applied yet, in plan order; return their names."""
    source = _source()
    changes = _parse_plan(source.plan.read_text(encoding="utf-8"))
    done: list[str] = []
    with _session(target) as conn, _locked(conn):
        applied = _open_registry(conn, changes, source)
        for change in changes:
            if change.name in applied:
                continue
            script = _script(source.deploy, change)
            _run(conn, "deploy", change, script)
            conn.execute(
                "INSERT INTO tributary_migrator.changes (change, script_sha1) VALUES (%s, %s)",
                (change.name, _sha1(script)),
            )
            logger.info("deployed change %s", change.name, extra={"change": change.name})
            done.append(change.name)
    return done


def status(target: Target) -> list[ChangeStatus]:
    """Every change of the plan, with whether and when it was applied."""
    changes = plan()
    with _session(target) as conn:
        applied = _applied(conn, changes)
    return [ChangeStatus(change.name, change.name in applied, applied.get(change.name)) for change in changes]


def down(target: Target, to: str | None = None) -> list[str]:
    """Revert applied changes in reverse plan order, down to but excluding ``to`` (None: all).

    Returns the names reverted, in the order they were reverted.
    """
    source = _source()
    changes = _parse_plan(source.plan.read_text(encoding="utf-8"))
    names = [change.name for change in changes]
    if to is not None and to not in names:
        raise MigrationError(f"change {to!r} is not in the plan")
    keep = set(names[: names.index(to) + 1]) if to is not None else set()
    done: list[str] = []
    with _session(target) as conn, _locked(conn):
        applied = _open_registry(conn, changes, source)
        for change in reversed(changes):
            if change.name in keep or change.name not in applied:
                continue
            _run(conn, "revert", change, _script(source.revert, change))
            conn.execute("DELETE FROM tributary_migrator.changes WHERE change = %s", (change.name,))
            logger.info("reverted change %s", change.name, extra={"change": change.name})
            done.append(change.name)
    return done


@dataclass(frozen=True)
class RevertPreview:
    """What ``down(target, to)`` would revert: change names newest first, and the rows of each
    table among them (every ``tables/<name>`` change drops table ``tributary.<name>``)."""

    changes: list[str]
    table_rows: dict[str, int]


def preview_down(target: Target, to: str | None = None) -> RevertPreview:
    """What :func:`down` with the same arguments would revert, and the rows it would drop; changes nothing."""
    applied = {s.name for s in status(target) if s.applied}
    names = [change.name for change in plan()]
    if to is not None and to not in names:
        raise MigrationError(f"change {to!r} is not in the plan")
    keep = set(names[: names.index(to) + 1]) if to is not None else set()
    changes = [name for name in reversed(names) if name in applied and name not in keep]
    rows: dict[str, int] = {}
    with _session(target) as conn:
        for name in changes:
            table = name.removeprefix("tables/")
            if name.startswith("tables/") and "@" not in name and _exists(conn, f"tributary.{table}"):
                query = sql.SQL("SELECT count(*) FROM tributary.{}").format(sql.Identifier(table))
                counted = conn.execute(query).fetchone()
                rows[f"tributary.{table}"] = int(counted[0]) if counted else 0
    return RevertPreview(changes, rows)
