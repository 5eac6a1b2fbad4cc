"""The commands about schedules: ``schedules`` lists them, ``schedule pause|resume|delete NAME``."""

from __future__ import annotations

import argparse
import dataclasses

from tributary import _sql
from tributary import schedules as schedule_calls
from tributary.cli.output import EXIT_NOT_FOUND, CommandError, connect, say, say_json, say_table, shorten
from tributary.errors import ScheduleNotFound
from tributary.schedules import ScheduleInfo

_ACTIONS = {"pause": _sql.PAUSE_SCHEDULE, "resume": _sql.RESUME_SCHEDULE, "delete": _sql.DELETE_SCHEDULE}


def timing(schedule: ScheduleInfo) -> str:
    """``0 6 * * * Europe/Paris`` or ``every 0:15:00``."""
    if schedule.cron is not None:
        return f"{schedule.cron} {schedule.time_zone}"
    return f"every {schedule.every}"


def schedule_rows(found: list[ScheduleInfo]) -> list[tuple[object, ...]]:
    return [
        (
            s.name,
            timing(s),
            s.workflow_name,
            "paused" if s.paused else s.next_fire_at,
            s.next_fire_in,
            s.last_fire_at,
            s.last_workflow_id,
            s.last_workflow_state,
            shorten(s.last_error, 40) if s.last_error else None,
        )
        for s in found
    ]


SCHEDULE_HEADERS = (
    "schedule",
    "timing",
    "workflow",
    "next fire",
    "in",
    "last fired",
    "last workflow",
    "state",
    "error",
)


def schedules_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        found = schedule_calls.list_all(conn)
    if args.json:
        say_json([dataclasses.asdict(s) for s in found])
        return 0
    say_table(SCHEDULE_HEADERS, schedule_rows(found), "(no schedule)")
    return 0


def schedule_command(args: argparse.Namespace) -> int:
    with connect(args) as conn:
        try:
            changed = _sql.call(conn, _ACTIONS[args.action], (args.name,))[0][0]
        except ScheduleNotFound as error:
            raise CommandError(f"schedule {args.name} does not exist", EXIT_NOT_FOUND) from error
    if args.action == "delete":
        say(f"schedule {args.name} deleted; the workflows it created stay")
    elif changed:
        say(f"schedule {args.name} {'paused' if args.action == 'pause' else 'resumed'}")
    else:
        say(f"schedule {args.name} was already {'paused' if args.action == 'pause' else 'running'}: nothing changed")
    return 0
