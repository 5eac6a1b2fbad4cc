"""The commands about workflows: show, list, cancel, retry, prune."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tributary import _sql
from tributary.cli import graph
from tributary.cli.output import (
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    CommandError,
    connect,
    say,
    say_json,
    say_table,
)
from tributary.errors import WorkflowNotFound

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``30s``, ``15m``, ``2h``, ``7d`` or ``1w`` as a timedelta."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise CommandError(f"{text!r} is not a duration: use a number and a unit, e.g. 30s, 15m, 2h, 7d", EXIT_USAGE)
    return timedelta(**{_UNITS[match[2]]: float(match[1])})


def parse_since(text: str) -> datetime:
    """A duration ago (``2h``) or an ISO 8601 timestamp."""
    if _DURATION.match(text.strip()):
        return datetime.now(UTC) - parse_age(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"--since takes a duration (2h, 7d) or an ISO timestamp, got {text!r}", EXIT_USAGE
        ) from error
    return moment if moment.tzinfo else moment.astimezone()


def _workflow(conn: psycopg.Connection[Any], workflow_id: int) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = _sql.read_workflow(conn, workflow_id)
    except WorkflowNotFound as error:
        raise CommandError(f"workflow {workflow_id} does not exist", EXIT_NOT_FOUND) from error
    return doc


def show_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        doc = _workflow(conn, args.workflow_id)
    if args.format == "json":
        say_json(doc)
        return 0
    lines = {"text": graph.as_text, "mermaid": graph.as_mermaid, "dot": graph.as_dot}[args.format](doc)
    for line in lines:
        say(line)
    return 0


def list_command(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since else None
    params = (args.state, args.name, since, args.search, args.before, args.limit)
    with connect(args) as conn:
        rows = _sql.read(conn, _sql.LIST_WORKFLOWS, params)
    if args.json:
        say_json(rows)
        return 0
    say_table(
        ("id", "name", "state", "steps", "unfinished", "created", "finished"),
        [
            (
                r["id"],
                r["name"],
                r["state"],
                r["steps_total"],
                r["steps_unfinished"],
                r["created_at"],
                r["finalized_at"],
            )
            for r in rows
        ],
        "(no workflow matches)",
    )
    if len(rows) == args.limit:
        say(f"  (first {args.limit}; the next page: --before {rows[-1]['id']})")
    return 0


def cancel_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        doc = _workflow(conn, args.workflow_id)
        cancelled = bool(_sql.call(conn, _sql.CANCEL_WORKFLOW, (args.workflow_id, args.reason))[0][0])
    if cancelled:
        say(f"workflow {args.workflow_id} cancelled")
    else:
        say(f"workflow {args.workflow_id} had already finished ({doc['state']}): nothing to cancel")
    return 0


def retry_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        doc = _workflow(conn, args.workflow_id)
        if args.step is None:
            reopened = int(_sql.call(conn, _sql.RETRY_WORKFLOW, (args.workflow_id,))[0][0])
        else:
            step = doc["steps"].get(args.step)
            if step is None:
                known = ", ".join(sorted(doc["steps"]))
                raise CommandError(
                    f"workflow {args.workflow_id} has no task {args.step!r} (its tasks: {known})", EXIT_NOT_FOUND
                )
            reopened = int(_sql.call(conn, _sql.RETRY_STEP, (step["id"],))[0][0])
    what = f"task {args.step} of workflow {args.workflow_id}" if args.step else f"workflow {args.workflow_id}"
    say(f"{what}: {reopened} steps will run again" if reopened else f"{what}: no discarded or cancelled step to retry")
    return 0


def prune_command(args: argparse.Namespace) -> int:
    older_than = parse_age(args.older_than)
    with connect(args) as conn:
        pruned = int(_sql.call(conn, _sql.PRUNE_FINISHED, (older_than, args.limit))[0][0])
    say(f"pruned {pruned} workflows finished more than {args.older_than} ago")
    return 0
