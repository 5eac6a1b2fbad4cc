"""The commands that watch the engine (status, queues, workers) and ``queue pause|resume NAME``."""

from __future__ import annotations

import argparse
from typing import Any

from tributary import _sql
from tributary import schedules as schedule_calls
from tributary.cli.output import connect, describe_database, require_dsn, say, say_json, say_table, shorten
from tributary.cli.schedules import SCHEDULE_HEADERS, schedule_rows

WORKFLOW_STATES = ("running", "completed", "failed", "cancelled")


def status_command(args: argparse.Namespace) -> int:
    dsn = require_dsn(args)
    with connect(args) as conn:
        by_state = {row["state"]: row["count"] for row in _sql.read(conn, _sql.WORKFLOW_COUNTS)}
        queues = _sql.read(conn, _sql.QUEUE_DEPTHS)
        unserved = {row["queue"] for row in _sql.read(conn, _sql.UNSERVED_QUEUES)}
        processes = _sql.read(conn, _sql.WORKER_PROCESSES)
        failures = _sql.read(conn, _sql.RECENT_FAILURES, (5,))
        schedules = schedule_calls.list_all(conn)
        limits = _sql.read(conn, _sql.FLOW_LIMITS)
    states = [*WORKFLOW_STATES, *sorted(set(by_state) - set(WORKFLOW_STATES))]
    if args.json:
        say_json(
            {
                "workflows": {state: by_state.get(state, 0) for state in states},
                "queues": [{**q, "served": q["queue"] not in unserved} for q in queues],
                "worker_processes": {"live": sum(p["live"] for p in processes), "registered": len(processes)},
                "recent_failures": failures,
                "schedules": [
                    {"name": s.name, "paused": s.paused, "next_fire_at": s.next_fire_at, "last_fire_at": s.last_fire_at}
                    for s in schedules
                ],
                "flow_limits": limits,
            }
        )
        return 0
    say(f"Workflows by state ({describe_database(dsn)})")
    say_table(("state", "count"), [*((s, by_state.get(s, 0)) for s in states), ("total", sum(by_state.values()))], "")
    say()
    live = sum(p["live"] for p in processes)
    say(f"Queues ({live} live worker processes; `tributary workers` lists them)")
    say_table(
        QUEUE_HEADERS,
        _queue_rows(queues, unserved),
        "(no step is ready, scheduled or running)",
    )
    for queue in sorted(unserved):
        say(f"  ! queue {queue} has ready steps and no live worker process serves it")
    say()
    say("Concurrency and rate limits (all worker processes together)")
    say_table(LIMIT_HEADERS, _limit_rows(limits), "(no limit)")
    say()
    say("Schedules (when each fires next; `tributary schedules` has more)")
    say_table(SCHEDULE_HEADERS[:6], [row[:6] for row in schedule_rows(schedules)], "(no schedule)")
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


QUEUE_HEADERS = ("queue", "ready", "scheduled", "running", "oldest ready", "live workers", "paused")


def _queue_rows(queues: list[dict[str, Any]], unserved: set[str]) -> list[tuple[object, ...]]:
    return [
        (
            q["queue"],
            q["ready"],
            q["scheduled"],
            q["running"],
            q["oldest_ready_age"],
            "NONE" if q["queue"] in unserved else "",
            "PAUSED" if q["paused"] else "",
        )
        for q in queues
    ]


LIMIT_HEADERS = ("scope", "name", "running", "max running", "rate", "tokens now")


def _limit_rows(limits: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [
        (
            limit["scope"],
            limit["name"],
            limit["running"],
            "" if limit["max_running"] is None else limit["max_running"],
            "" if limit["rate_max_starts"] is None else f"{limit['rate_max_starts']} per {limit['rate_period']}",
            "" if limit["tokens"] is None else f"{limit['tokens']:.2f}",
        )
        for limit in limits
    ]


def queues_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        queues = _sql.read(conn, _sql.QUEUE_DEPTHS)
        unserved = {row["queue"] for row in _sql.read(conn, _sql.UNSERVED_QUEUES)}
        limits = _sql.read(conn, _sql.FLOW_LIMITS)
    if args.json:
        say_json([{**q, "served": q["queue"] not in unserved} for q in queues])
        return 0
    say_table(
        QUEUE_HEADERS,
        _queue_rows(queues, unserved),
        "(no step is ready, scheduled or running)",
    )
    if limits:
        say()
        say("Concurrency and rate limits (all worker processes together)")
        say_table(LIMIT_HEADERS, _limit_rows(limits), "(no limit)")
    return 0


def queue_command(args: argparse.Namespace) -> int:
    """``tributary queue pause|resume NAME``: pause_queue / resume_queue."""
    statement = _sql.PAUSE_QUEUE if args.action == "pause" else _sql.RESUME_QUEUE
    with connect(args) as conn:
        changed = _sql.call(conn, statement, (args.name,))[0][0]
    done = "paused" if args.action == "pause" else "resumed"
    if changed:
        say(f"queue {args.name} {done}")
    else:
        say(f"queue {args.name} was already {'paused' if args.action == 'pause' else 'running'}: nothing changed")
    return 0


def workers_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        processes = _sql.read(conn, _sql.WORKER_PROCESSES)
    if args.json:
        say_json(processes)
        return 0
    say_table(
        ("worker", "host", "pid", "queues", "kinds", "version", "started", "last seen", "live"),
        [
            (
                p["worker_id"],
                p["host"],
                p["pid"],
                ",".join(p["queues"]),
                shorten(",".join(p["kinds"]), 40),
                p["package_version"],
                p["started_at"],
                p["last_seen_at"],
                p["live"],
            )
            for p in processes
        ],
        "(no worker process has reported itself)",
    )
    return 0
