"""``tributary migrate``: deploy, inspect or revert the schema."""

from __future__ import annotations

import argparse
import sys

from tributary import migrate
from tributary.cli.output import EXIT_USAGE, CommandError, describe_database, require_dsn, say, say_table

CONFIRMATION = "revert"


def migrate_command(args: argparse.Namespace) -> int:
    dsn = require_dsn(args)
    if args.action != "revert" and (args.to is not None or args.all):
        raise CommandError(f"--to and --all apply to `migrate revert` only, not `migrate {args.action}`", EXIT_USAGE)
    if args.action == "status":
        statuses = migrate.status(dsn, testing=args.testing)
        say_table(
            ("change", "applied", "applied at"),
            [(s.name, s.applied, s.applied_at) for s in statuses],
            "(the plan has no changes)",
        )
        applied = sum(s.applied for s in statuses)
        say(f"\n{applied} of {len(statuses)} changes applied")
        return 0
    if args.action == "up":
        deployed = migrate.up(dsn, testing=args.testing)
        if not deployed:
            say(f"nothing to deploy: all {len(migrate.status(dsn, testing=args.testing))} changes are applied")
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
    if not _confirm_revert(dsn, args):
        return EXIT_USAGE
    reverted = migrate.down(dsn, to=args.to, testing=args.testing)
    if not reverted:
        say("nothing to revert")
    else:
        say(f"reverted {len(reverted)} changes:")
        for name in reverted:
            say(f"  - {name}")
    return 0


def _confirm_revert(dsn: str, args: argparse.Namespace) -> bool:
    """Shows what the revert drops, rows included; goes on with --yes or a typed confirmation."""
    preview = migrate.preview_down(dsn, to=args.to, testing=args.testing)
    if not preview.changes:
        return True
    say(f"This reverts {len(preview.changes)} changes in {describe_database(dsn)}, newest first:")
    for name in preview.changes:
        say(f"  - {name}")
    if preview.table_rows:
        say("and drops these tables with every row in them:")
        say_table(("table", "rows"), sorted(preview.table_rows.items()), "")
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError("refusing to revert without confirmation: pass --yes (nothing was reverted)", EXIT_USAGE)
    answer = input(f'Type "{CONFIRMATION}" to go on: ').strip()
    if answer != CONFIRMATION:
        say("not confirmed: nothing was reverted")
        return False
    return True
