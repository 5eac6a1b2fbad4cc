"""An app for ``tributary worker --app tests.cli_app:make_client`` in tests/test_cli.py."""

from __future__ import annotations

import os
from datetime import timedelta

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers


class ShoutArgs(StepArgs):
    kind = "cli_shout"
    text: str


class ShoutWorker(Worker[ShoutArgs]):
    def work(self, step: Step[ShoutArgs]) -> dict[str, object]:
        return {"text": step.args.text.upper(), "pid": os.getpid()}


def make_config() -> Config:
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(ShoutWorker()),
        fetch_poll_interval=timedelta(milliseconds=200),
        shutdown_grace=timedelta(seconds=2),
    )


def make_client(dsn: str) -> Client:
    """What ``--app tests.cli_app:make_client`` calls with the DSN."""
    return Client(dsn, make_config())
