"""``tributary worker``: run an application's workers until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging

from tributary.cli.app import load_app
from tributary.cli.output import EXIT_USAGE, CommandError

logger = logging.getLogger(__name__)


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
            ", ".join(
                f"{name} (max {q.max_workers}{f', prefetch {q.prefetch}' if q.prefetch else ''})"
                for name, q in sorted(config.queues.items())
            ),
            ", ".join(sorted(w.kind for w in config.workers)) or "none",
        )
        client.run_forever()
    return 0
