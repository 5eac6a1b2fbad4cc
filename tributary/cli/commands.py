"""The commands that run against a database: migrate, worker, status."""

from __future__ import annotations

import argparse
import logging

import psycopg

from tributary import _sql, migrate
from tributary.cli.app import load_app
from tributary.cli.output import (
    EXIT_USAGE,
    CommandError,
    describe_database,
    require_dsn,
    say,
    say_table,
    shorten,
)

logger = logging.getLogger(__name__)

WORKFLOW_STATES = ("running", "completed", "failed", "cancelled")


def migrate_command(args: argparse.Namespace) -> int:
    dsn = require_dsn(args)
    if args.action != "revert" and (args.to is not None or args.all):
        raise CommandError(f"--to and --all apply to `migrate revert` only, not `migrate {args.action}`", EXIT_USAGE)
    if args.action == "status":
        statuses = migrate.status(dsn)
        say_table(
            ("change", "applied", "applied at"),
            [(s.name, s.applied, s.applied_at) for s in statuses],
            "(the plan has no changes)",
        )
        applied = sum(s.applied for s in statuses)
        say(f"\n{applied} of {len(statuses)} changes applied")
        return 0
    if args.action == "up":
        deployed = migrate.up(dsn)
        if not deployed:
            say(f"nothing to deploy: all {len(migrate.plan())} changes are applied")
        else:
            say(f"deployed {len(deployed)} changes:")
            for name in deployed:
                say(f"  + {name}")
        return 0
    if args.to is None and not args.all:
        raise CommandError(
            "revert needs --to CHANGE (reverts the changes after CHANGE) or --all (reverts everything)", EXIT_USAGE
        )
    if args.to is not None and args.all:
        raise CommandError("give either --to or --all, not both", EXIT_USAGE)
    reverted = migrate.down(dsn, to=args.to)
    if not reverted:
        say("nothing to revert")
    else:
        say(f"reverted {len(reverted)} changes:")
        for name in reverted:
            say(f"  - {name}")
    return 0


def worker_command(args: argparse.Namespace) -> int:
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


def status_command(args: argparse.Namespace) -> int:
    dsn = require_dsn(args)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        by_state = {row["state"]: row["count"] for row in _sql.read(conn, _sql.WORKFLOW_COUNTS)}
        queues = _sql.read(conn, _sql.QUEUE_DEPTHS)
        failures = _sql.read(conn, _sql.RECENT_FAILURES, (5,))

    states = [*WORKFLOW_STATES, *sorted(set(by_state) - set(WORKFLOW_STATES))]
    say(f"Workflows by state ({describe_database(dsn)})")
    say_table(("state", "count"), [*((s, by_state.get(s, 0)) for s in states), ("total", sum(by_state.values()))], "")
    say()
    say("Queues")
    say_table(
        ("queue", "ready", "scheduled", "running", "oldest ready"),
        [(q["queue"], q["ready"], q["scheduled"], q["running"], q["oldest_ready_age"]) for q in queues],
        "(no step is ready, scheduled or running)",
    )
    say()
    say("Recent failures (5 most recent, past day)")
    say_table(
        ("failed at", "workflow", "task", "kind", "state", "attempt", "message"),
        [
            (
                f["failed_at"],
                f["workflow_id"],
                f["task_name"],
                f["kind"],
                f["state"],
                f"{f['attempt']}/{f['max_attempts']}",
                shorten(f["message"]),
            )
            for f in failures
        ],
        "(none)",
    )
    return 0
