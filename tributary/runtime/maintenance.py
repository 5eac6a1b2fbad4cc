"""Keeps the leases of running attempts (``heartbeat_steps``), takes back expired ones
(``rescue_expired_steps``), fires due schedules (``fire_due_schedules``), ends waits whose timer
is due (``wake_due_steps``: sleeps and timeouts), and gives back
unfinished steps at shutdown (``release_steps``)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from tributary.errors import ConfigError
from tributary.hooks import WorkPayload
from tributary.runtime.completer import Completer
from tributary.runtime.engine import ProcessReport
from tributary.runtime.executor import Executor
from tributary.runtime.shared import Shared

LEASE_FRACTION = 3
"""With no ``heartbeat_interval`` configured, leases are renewed this many times per lease."""

STALE_WAIT_INTERVALS = 2
"""A step claimed ahead (a queue's ``prefetch``) that has waited this many heartbeat intervals for
a slot is given back at the next heartbeat."""


def heartbeat_interval(configured: timedelta | None, lease: timedelta) -> timedelta:
    """How often to renew leases, given the engine's ``lease_duration``.

    ``None`` follows the lease (a third of it). A configured interval longer than half the lease
    is refused: a step could lose its lease between two heartbeats and run twice.
    """
    if configured is None:
        return lease / LEASE_FRACTION
    if configured * 2 > lease:
        raise ConfigError(
            f"heartbeat_interval ({configured.total_seconds():g} s) must be at most half of the engine's lease"
            f" (tributary.settings.lease_duration = {lease.total_seconds():g} s), or steps lose their lease between"
            " two heartbeats; leave Config.heartbeat_interval unset to follow the lease"
        )
    return configured


@dataclass(eq=False)
class Maintenance:
    """Heartbeats and rescue for one runtime."""

    shared: Shared
    executor: Executor
    completer: Completer
    process: ProcessReport
    configured_heartbeat: timedelta | None
    rescue_interval: float
    wake_interval: float = 1.0
    heartbeat_every: timedelta = timedelta(seconds=10)

    async def start(self) -> None:
        """Reports this process to the engine and follows the lease it grants: raises what
        prevents it, ConfigError for a configured heartbeat that cannot keep the lease."""
        lease = await self.shared.engine.report_process(self.process)
        self.heartbeat_every = heartbeat_interval(self.configured_heartbeat, lease)

    async def heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_every.total_seconds())
            await self.heartbeat_once()
            await self.report_process()

    async def report_process(self) -> None:
        """Tells ``tributary.worker_processes`` this process is alive, and follows the lease the
        engine answers with (an operator may change it while workers run)."""
        try:
            self.heartbeat_every = heartbeat_interval(
                self.configured_heartbeat, await self.shared.engine.report_process(self.process)
            )
        except (psycopg.Error, OSError, ConfigError) as error:
            self.shared.events.emit("heartbeat_failed", f"could not report this worker process: {error}", error=error)

    async def forget_process(self) -> None:
        """At a graceful stop: removes this process from ``tributary.worker_processes``."""
        try:
            await self.shared.engine.forget_process()
        except (psycopg.Error, OSError) as error:
            self.shared.events.emit(
                "heartbeat_failed", f"could not unregister this worker process: {error}", error=error
            )

    async def heartbeat_once(self) -> None:
        """Renews the lease of every attempt held (running, or waiting for a slot) and of every
        completed one not reported yet; stops the running ones whose lease the engine took back
        (a waiting one is dropped when its turn comes)."""
        # A step claimed ahead that has waited two heartbeat intervals waits behind a long step:
        # another process may run it sooner.
        stale = self.executor.take_stale_waiting(STALE_WAIT_INTERVALS * self.heartbeat_every.total_seconds())
        await self.release([a.work for a in stale], "claimed ahead, waited too long for a slot")
        attempts = [a for a in self.executor.held.values() if not a.lease_lost and not a.released]
        unreported = [w for w in self.completer.unreported.values() if w.step_id not in self.executor.held]
        if not attempts and not unreported:
            return
        try:
            held = await self.shared.engine.heartbeat([a.work for a in attempts] + unreported)
        except (psycopg.Error, OSError) as error:
            self.shared.events.emit("heartbeat_failed", f"heartbeat failed: {error}", error=error)
            return
        now = datetime.now(UTC)
        for attempt in attempts:
            work = attempt.work
            if work.deadline_at is not None and work.deadline_at <= now:
                continue  # past its timeout: the handler's own timeout reports it
            if work.step_id not in held and self.executor.held.get(work.step_id) is attempt:
                attempt.lease_lost = True
                then = "stopping it" if attempt.task is not None else "it will not run (it waits for a slot)"
                self.shared.events.emit(
                    "lease_lost", f"lost its lease (cancelled, timed out or rescued); {then}", work=work
                )
                if attempt.cancellable and attempt.task is not None:
                    attempt.task.cancel()

    async def rescues(self) -> None:
        while True:
            await asyncio.sleep(self.rescue_interval * random.uniform(0.5, 1.5))
            await self.fire_schedules()
            try:
                rescued = await self.shared.engine.rescue()
                await self.shared.engine.prune_processes()
            except (psycopg.Error, OSError) as error:
                self.shared.events.emit("rescue_failed", f"rescue failed: {error}", error=error)
                continue
            if rescued:
                self.shared.wake_all()
                self.shared.events.emit("rescued", f"rescued {rescued} steps whose lease expired", count=rescued)

    async def wakes(self) -> None:
        """Every ``wake_interval`` (with jitter): ends the waits whose timer is due. One indexed
        statement however many steps wait; every process may call it (SKIP LOCKED)."""
        while True:
            await asyncio.sleep(self.wake_interval * random.uniform(0.5, 1.5))
            await self.wake_once()

    async def wake_once(self) -> int:
        try:
            woken = await self.shared.engine.wake_due()
        except (psycopg.Error, OSError) as error:
            self.shared.events.emit("wake_failed", f"waking due waits failed: {error}", error=error)
            return 0
        if woken:
            self.shared.wake_all()  # their dependents may have become available
            self.shared.events.emit(
                "woken", f"ended {woken} waits whose timer was due", count=woken, level=logging.INFO
            )
        return woken

    async def fire_schedules(self) -> None:
        """Fires the due fire times of every schedule; every process may, each fire time fires once."""
        try:
            fired = await self.shared.engine.fire_schedules()
        except (psycopg.Error, OSError) as error:
            self.shared.events.emit("schedules_failed", f"firing due schedules failed: {error}", error=error)
            return
        if fired:
            self.shared.events.emit(
                "schedules_fired", f"created {fired} workflows from due schedules", level=logging.INFO
            )

    async def release(self, works: Sequence[WorkPayload], why: str = "at shutdown") -> None:
        """Gives ``works`` back to the engine without counting their attempt."""
        if not works:
            return
        try:
            released = await self.shared.engine.release(works)
        except (psycopg.Error, OSError) as error:
            self.shared.events.emit(
                "release_failed",
                f"could not give back {len(works)} steps ({error}); their leases will expire",
                error=error,
                level=logging.ERROR,
            )
            return
        self.shared.events.emit("released", f"gave back {released} unfinished steps {why}", count=released)
