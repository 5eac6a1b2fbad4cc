"""Client configuration: queues and their concurrency, default options, timings, hooks."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from tributary.args import InsertOpts
from tributary.encryption import EncryptHook, SealedPayloadGuard
from tributary.hooks import Hook
from tributary.worker import Workers


@dataclass(frozen=True)
class QueueConfig:
    """A queue this client works: at most ``max_workers`` of its steps run at once.

    ``prefetch`` claims up to that many more steps ahead, which wait in the process for a running
    one to end and then start with no round trip, so the next claim is in flight while handlers
    run. A step claimed ahead holds its lease (renewed) and counts as running for the engine
    (concurrency limits, other processes), its timeout counts from its claim, and one that waits
    two heartbeat intervals is given back. 0, the default, claims only into free slots. For
    queues of many short steps; see docs/python-api.md.
    """

    max_workers: int = 10
    prefetch: int = 0

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if self.prefetch < 0:
            raise ValueError("prefetch must be at least 0")


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class Config:
    """Everything a :class:`~tributary.client.Client` needs besides its database.

    ``max_attempts``, ``retry_backoff``, ``timeout``, ``priority`` and ``queue`` are the
    client-level defaults of step options: a step type's ``insert_opts()`` and a task's
    ``insert_opts`` override them, and they override the database's ``tributary.settings``.
    ``heartbeat_interval`` left unset follows the engine's lease (a third of
    ``tributary.settings.lease_duration``); one longer than half the lease is refused at start.
    ``wake_interval`` is how often a running worker process ends the waits whose timer is due
    (``wake_due_steps``: sleeps and wait timeouts), so a sleep ends at most about that late.
    """

    queues: dict[str, QueueConfig] = field(default_factory=dict)
    workers: Workers = field(default_factory=Workers)
    hooks: list[Hook] = field(default_factory=list)
    max_attempts: int | None = None
    retry_backoff: timedelta | None = None
    timeout: timedelta | None = None
    priority: int | None = None
    queue: str | None = None
    fetch_poll_interval: timedelta = timedelta(seconds=1)
    fetch_cooldown: timedelta = timedelta(0)
    claim_batch_size: int = 100
    complete_batch_size: int = 500
    complete_flush_interval: timedelta = timedelta(milliseconds=10)
    heartbeat_interval: timedelta | None = None
    rescue_interval: timedelta = timedelta(seconds=30)
    wake_interval: timedelta = timedelta(seconds=1)
    shutdown_grace: timedelta = timedelta(seconds=30)
    worker_id: str = field(default_factory=_default_worker_id)
    auto_migrate: bool = False

    def insert_defaults(self) -> InsertOpts:
        """The client-level step options."""
        return InsertOpts(
            queue=self.queue,
            priority=self.priority,
            max_attempts=self.max_attempts,
            timeout=self.timeout,
            retry_backoff=self.retry_backoff,
        )

    def work_hooks(self) -> list[Hook]:
        """The hooks around each step's work: ``hooks``, and a guard that refuses sealed payloads
        when no :class:`~tributary.encryption.EncryptHook` is there to open them."""
        if any(isinstance(hook, EncryptHook) for hook in self.hooks):
            return list(self.hooks)
        return [*self.hooks, SealedPayloadGuard()]
