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

``testing=True`` adds the testing kit, the second sqitch project ``tributary_test`` (in
``db/testing``, packaged as ``tributary/_sql/testing``), deployed after the engine on test
databases only. Its changes are recorded as ``tributary_test:<change>``; that is also how the
functions here name them. Reverting any change of the engine reverts the whole kit first.
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
TESTING_PROJECT = "tributary_test"
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
    project: str = PROJECT

    def key(self, change: Change) -> str:
        """The name the registry and this module's results give ``change``."""
        return change.name if self.project == PROJECT else f"{self.project}:{change.name}"


def _source() -> _Source:
    packaged = resources.files("tributary") / "_sql"
    if (packaged / "sqitch.plan").is_file():  # installed wheel
        return _Source(packaged / "sqitch.plan", packaged / "deploy", packaged / "revert")
    root = Path(__file__).resolve().parent.parent  # source checkout, editable install
    if (root / "sqitch.plan").is_file():
        return _Source(root / "sqitch.plan", root / "db" / "deploy", root / "db" / "revert")
    raise MigrationError("sqitch.plan not found: neither packaged in tributary/_sql nor at the repository root")


def _testing_source() -> _Source:
    """The testing kit's plan and scripts: packaged in tributary/_sql/testing, or db/testing."""
    packaged = resources.files("tributary") / "_sql" / "testing"
    if (packaged / "sqitch.plan").is_file():  # installed wheel
        return _Source(packaged / "sqitch.plan", packaged / "deploy", packaged / "revert", TESTING_PROJECT)
    top = Path(__file__).resolve().parent.parent / "db" / "testing"  # source checkout, editable install
    if (top / "sqitch.plan").is_file():
        return _Source(top / "sqitch.plan", top / "deploy", top / "revert", TESTING_PROJECT)
    raise MigrationError(
        "the testing kit's sqitch plan is neither packaged in tributary/_sql/testing nor in db/testing"
    )


def _projects(testing: bool) -> list[tuple[_Source, list[Change]]]:
    """The engine's source and changes, then with ``testing`` the testing kit's."""
    sources = [_source(), _testing_source()] if testing else [_source()]
    return [(source, _parse_plan(source.plan.read_text(encoding="utf-8"))) for source in sources]


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


def plan(*, testing: bool = False) -> list[Change]:
    """The changes of the packaged sqitch plan (with ``testing``: the testing kit's), in deploy order."""
    return _parse_plan((_testing_source() if testing else _source()).plan.read_text(encoding="utf-8"))


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


def _sqitch_applied(conn: psycopg.Connection[Any], source: _Source, changes: list[Change]) -> dict[str, datetime]:
    """The plan changes that a sqitch registry in this database lists as deployed, by key."""
    if not _exists(conn, "sqitch.changes"):
        return {}
    rows = conn.execute(
        "SELECT change, committed_at FROM sqitch.changes WHERE project = %s ORDER BY committed_at",
        (source.project,),
    ).fetchall()
    deployed: defaultdict[str, deque[datetime]] = defaultdict(deque)
    for name, committed_at in rows:
        deployed[name].append(committed_at)
    applied: dict[str, datetime] = {}
    for change in changes:  # a reworked change is listed once per deployed version
        versions = deployed.get(change.name.partition("@")[0])
        if versions:
            applied[source.key(change)] = versions.popleft()
    return applied


def _applied(conn: psycopg.Connection[Any], projects: list[tuple[_Source, list[Change]]]) -> dict[str, datetime]:
    if _exists(conn, "tributary_migrator.changes"):
        return {name: applied_at for name, (applied_at, _) in _recorded(conn).items()}
    return {key: at for source, changes in projects for key, at in _sqitch_applied(conn, source, changes).items()}


def _open_registry(conn: psycopg.Connection[Any], projects: list[tuple[_Source, list[Change]]]) -> dict[str, datetime]:
    """Create the registry if missing (adopting what sqitch deployed of the engine and of the
    testing kit, whichever ``projects`` lists); return what is applied, by key."""
    if _exists(conn, "tributary_migrator.changes"):
        recorded = _recorded(conn)
        _warn_drift(projects, recorded)
        return {name: applied_at for name, (applied_at, _) in recorded.items()}
    everything = _projects(testing=True) if _has_testing_kit() else projects
    adopted: dict[str, datetime] = {}
    with conn.transaction():
        conn.execute(_REGISTRY_DDL)
        for source, changes in everything:
            found = _sqitch_applied(conn, source, changes)
            for change in changes:
                if source.key(change) in found:
                    conn.execute(
                        "INSERT INTO tributary_migrator.changes (change, script_sha1, applied_at) VALUES (%s, %s, %s)",
                        (source.key(change), _sha1(_script(source.deploy, change)), found[source.key(change)]),
                    )
            adopted.update(found)
    if adopted:
        logger.info("adopted changes deployed by sqitch", extra={"changes": sorted(adopted)})
    return adopted


def _has_testing_kit() -> bool:
    try:
        _testing_source()
    except MigrationError:
        return False
    return True


def _warn_drift(projects: list[tuple[_Source, list[Change]]], recorded: dict[str, tuple[datetime, str]]) -> None:
    """Log applied changes these plans do not know, and applied scripts edited since."""
    known = {source.key(change) for source, changes in projects for change in changes}
    projects_seen = {source.project for source, _ in projects}
    unknown = sorted(
        name
        for name in set(recorded) - known
        if TESTING_PROJECT in projects_seen or not name.startswith(f"{TESTING_PROJECT}:")
    )
    if unknown:
        logger.warning("database has changes this plan does not know", extra={"changes": unknown})
    edited = [
        source.key(change)
        for source, changes in projects
        for change in changes
        if source.key(change) in recorded and recorded[source.key(change)][1] != _sha1(_script(source.deploy, change))
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


def up(target: Target, *, testing: bool = False) -> list[str]:
    """Apply the changes not applied yet, in plan order; return their names.

    With ``testing``, the testing kit's changes follow the engine's (test databases only).
    """
    projects = _projects(testing)
    done: list[str] = []
    with _session(target) as conn, _locked(conn):
        applied = _open_registry(conn, projects)
        for source, changes in projects:
            for change in changes:
                if source.key(change) in applied:
                    continue
                script = _script(source.deploy, change)
                _run(conn, "deploy", change, script)
                conn.execute(
                    "INSERT INTO tributary_migrator.changes (change, script_sha1) VALUES (%s, %s)",
                    (source.key(change), _sha1(script)),
                )
                logger.info("deployed change %s", source.key(change), extra={"change": source.key(change)})
                done.append(source.key(change))
    return done


def status(target: Target, *, testing: bool = False) -> list[ChangeStatus]:
    """Every change of the plan (with ``testing``, then the testing kit's), with whether and when
    it was applied."""
    projects = _projects(testing)
    with _session(target) as conn:
        applied = _applied(conn, projects)
    return [
        ChangeStatus(source.key(change), source.key(change) in applied, applied.get(source.key(change)))
        for source, changes in projects
        for change in changes
    ]


def down(target: Target, to: str | None = None, *, testing: bool = False) -> list[str]:
    """Revert applied changes in reverse plan order, down to but excluding ``to`` (None: all).

    Without ``testing`` the engine's changes are reverted, and the whole testing kit before them
    when it is deployed (it depends on the engine). With ``testing`` only the kit's changes are:
    ``to`` then names one of them. Returns the names reverted, in the order they were reverted.
    """
    projects, order = _revert_order(to, testing)
    done: list[str] = []
    with _session(target) as conn, _locked(conn):
        applied = _open_registry(conn, projects)
        for source, change in order:
            if source.key(change) not in applied:
                continue
            _run(conn, "revert", change, _script(source.revert, change))
            conn.execute("DELETE FROM tributary_migrator.changes WHERE change = %s", (source.key(change),))
            logger.info("reverted change %s", source.key(change), extra={"change": source.key(change)})
            done.append(source.key(change))
    return done


def _revert_order(
    to: str | None, testing: bool
) -> tuple[list[tuple[_Source, list[Change]]], list[tuple[_Source, Change]]]:
    """The projects involved, and the changes ``down(to, testing)`` reverts if applied, in order."""
    projects = _projects(testing=True) if _has_testing_kit() else _projects(testing=False)
    engine, kit = projects[0], (projects[1] if len(projects) > 1 else None)
    if testing and kit is None:
        raise MigrationError("the testing kit's sqitch plan is not available")
    source, changes = kit if testing and kit is not None else engine
    names = [change.name for change in changes]
    if to is not None:
        to = to.removeprefix(f"{source.project}:")
        if to not in names:
            raise MigrationError(f"change {to!r} is not in the plan of project {source.project!r}")
    keep = set(names[: names.index(to) + 1]) if to is not None else set()
    plans = [(source, [change for change in changes if change.name not in keep])]
    if not testing and kit is not None and plans[0][1]:
        plans = [kit, *plans]  # the kit goes first: it depends on the engine
    return projects, [(plan_source, change) for plan_source, plan_changes in plans for change in reversed(plan_changes)]


@dataclass(frozen=True)
class RevertPreview:
    """What ``down(target, to)`` would revert: change names newest first, and the rows of each
    table among them (every ``tables/<name>`` change drops table ``tributary.<name>``)."""

    changes: list[str]
    table_rows: dict[str, int]


def preview_down(target: Target, to: str | None = None, *, testing: bool = False) -> RevertPreview:
    """What :func:`down` with the same arguments would revert, and the rows it would drop; changes nothing."""
    projects, order = _revert_order(to, testing)
    with _session(target) as conn:
        applied = _applied(conn, projects)
        reverting = [(source, change) for source, change in order if source.key(change) in applied]
        rows: dict[str, int] = {}
        for source, change in reverting:
            table = change.name.removeprefix("tables/")
            qualified = f"{source.project}.{table}"
            if change.name.startswith("tables/") and "@" not in table and _exists(conn, qualified):
                query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                    sql.Identifier(source.project), sql.Identifier(table)
                )
                counted = conn.execute(query).fetchone()
                rows[qualified] = int(counted[0]) if counted else 0
    return RevertPreview([source.key(change) for source, change in reverting], rows)
