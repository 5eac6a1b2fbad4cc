"""The worker runtime: claims steps of each configured queue, runs their handlers, reports back.

One asyncio event loop drives everything. Per queue, a fetcher claims up to its free slots
(``max_workers``) in one ``claim_step`` call; it waits for a ``tributary_step_available``
notification (one LISTEN connection for all queues) and polls only as a fallback. Notifications
sent by this runtime's own connections are ignored: the task that made such a call wakes the
fetchers itself, at once, and a second wake-up would only cost an empty claim. Handlers run
on the loop (``async def work``) or in daemon threads (plain ``def work``). Completions are
batched into ``complete_steps`` calls: a completion that other steps wait for is sent at once,
together with a claim on its queue in the same transaction and round trip (its dependents are
often claimable the moment it commits); others wait up to ``complete_flush_interval`` so batches
grow. Every claim reserves the free slots it asks for first, so the fetcher and the completer
together never run more than ``max_workers`` steps of a queue. Running steps' leases are renewed in batched
``heartbeat_steps`` calls; ``rescue_expired_steps`` runs at a jittered interval. The runtime
never decides a state transition: every outcome is reported to the engine, which decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import random
import signal
import threading
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import ValidationError

from tributary import _sql
from tributary.encryption import is_sealed
from tributary.errors import (
    ArgsDecodeError,
    DecryptionError,
    Discard,
    ResultEncodeError,
    StaleAttempt,
    StepCancelled,
    UnknownKind,
)
from tributary.hooks import WorkPayload
from tributary.payload import to_json
from tributary.step import Step

if TYPE_CHECKING:
    from tributary.client import Client

logger = logging.getLogger(__name__)

AVAILABLE_CHANNEL = "tributary_step_available"
NON_RETRYABLE = (Discard, UnknownKind, ArgsDecodeError, DecryptionError, ResultEncodeError)


class _DaemonThreadPool:
    """Runs sync handlers in daemon threads, so a hung handler can never block process exit."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads = [
            threading.Thread(target=self._loop, name=f"tributary-handler-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, args, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as error:
                future.set_exception(error)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._jobs.put((fn, args, future))
        return future

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)


@dataclass
class _Running:
    row: _sql.ClaimedRow
    task: asyncio.Task[None] | None = None
    is_async: bool = True
    lost: bool = False
    released: bool = False


# Completing and claiming in one round trip needs libpq's pipeline mode (libpq 14 and later).
_PIPELINES = psycopg.AsyncPipeline.is_supported()


class _Completion(NamedTuple):
    step_id: int
    attempt: int
    result: Any
    unlocks_queue: str | None  # the step's queue when other steps wait for it


@dataclass(eq=False)  # compared and hashed by identity
class _QueueFetcher:
    name: str
    max_workers: int
    free: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    slot_freed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.free = self.max_workers

    def reserve(self, limit: int) -> int:
        """Takes up to ``limit`` free slots for a claim; returns how many."""
        taken = max(0, min(self.free, limit))
        self.free -= taken
        return taken

    def release_slot(self, count: int = 1) -> None:
        if count > 0:
            self.free += count
            self.slot_freed.set()


class Runtime:
    """Runs a client's workers until asked to stop. Created by ``Client.start``/``run_forever``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.config = client.config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._running: dict[int, _Running] = {}
        self._fetchers: dict[str, _QueueFetcher] = {}
        self._pool: AsyncConnectionPool[Any] | None = None
        self._completions: asyncio.Queue[_Completion | None] | None = None
        # The pool's connections by backend pid: their notifications are ours while they are open.
        self._own_backends: dict[int, weakref.ref[psycopg.AsyncConnection[Any]]] = {}
        self._urgent = asyncio.Event()  # a completion others wait for is queued: flush it now
        self._stopping = False
        total_workers = sum(q.max_workers for q in self.config.queues.values()) or 1
        self._threads = _DaemonThreadPool(total_workers)

    # -- entry points ------------------------------------------------------------------------
    def run_in_thread(self, started: threading.Event) -> None:
        asyncio.run(self._main(started, install_signals=False))

    def run_until_signal(self) -> None:
        asyncio.run(self._main(None, install_signals=True))

    def request_stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)

    # -- main --------------------------------------------------------------------------------
    async def _main(self, started: threading.Event | None, *, install_signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stop.set)
        self._completions = asyncio.Queue()
        self._pool = AsyncConnectionPool(
            self.client.conninfo,
            min_size=2,
            max_size=len(self.config.queues) + 4,
            kwargs={"autocommit": True},
            configure=self._remember_backend,
            open=False,
            name="tributary-runtime",
        )
        await self._pool.open()
        self._fetchers = {name: _QueueFetcher(name, q.max_workers) for name, q in self.config.queues.items()}
        fetch_tasks = [
            asyncio.create_task(self._fetch_loop(f), name=f"fetch-{f.name}") for f in self._fetchers.values()
        ]
        completer = asyncio.create_task(self._complete_loop(), name="completer")
        helpers = [
            asyncio.create_task(self._listen_loop(), name="listener"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._rescue_loop(), name="rescuer"),
        ]
        logger.info("worker %s started on queues %s", self.config.worker_id, sorted(self._fetchers))
        if started is not None:
            started.set()
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(fetch_tasks, completer, helpers)

    async def _shutdown(
        self, fetch_tasks: list[asyncio.Task[None]], completer: asyncio.Task[None], helpers: list[asyncio.Task[None]]
    ) -> None:
        logger.info("worker %s stopping: %d steps in flight", self.config.worker_id, len(self._running))
        # Fetchers stop at the top of their loop, never in the middle of a claim: a claim cut off
        # after its commit would leave steps running that no handler runs. Only a claim stuck on
        # an unreachable database is cancelled, after the grace period.
        self._stopping = True
        for fetcher in self._fetchers.values():
            fetcher.wake.set()
            fetcher.slot_freed.set()
        grace = self.config.shutdown_grace.total_seconds()
        _, stuck = await asyncio.wait(fetch_tasks, timeout=grace)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*fetch_tasks, return_exceptions=True)
        in_flight = [r.task for r in self._running.values() if r.task is not None]
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace)
        leftover = list(self._running.values())
        if leftover:
            for run in leftover:
                run.released = True
                if run.task is not None:
                    run.task.cancel()
            await asyncio.gather(*(r.task for r in leftover if r.task is not None), return_exceptions=True)
            await self._release(leftover)
        assert self._completions is not None
        await self._completions.put(None)
        await completer
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        assert self._pool is not None
        await self._pool.close()
        self._threads.shutdown()
        logger.info("worker %s stopped", self.config.worker_id)

    async def _remember_backend(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._own_backends[conn.info.backend_pid] = weakref.ref(conn)

    def _is_own(self, pid: int) -> bool:
        ref = self._own_backends.get(pid)
        conn = ref() if ref is not None else None
        return conn is not None and not conn.closed

    def _wake_all(self) -> None:
        for fetcher in self._fetchers.values():
            fetcher.wake.set()

    async def _call(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        assert self._pool is not None
        async with self._pool.connection() as conn:
            return await _sql.acall(conn, sql, params)

    # -- claiming ----------------------------------------------------------------------------
    async def _fetch_loop(self, fetcher: _QueueFetcher) -> None:
        poll = self.config.fetch_poll_interval.total_seconds()
        cooldown = self.config.fetch_cooldown.total_seconds()
        while not self._stopping:
            if fetcher.free <= 0:
                fetcher.slot_freed.clear()
                await fetcher.slot_freed.wait()
                continue
            # Clear the wake-up signal before claiming: a step made available during the claim
            # sets it again, so it is never left to the poll fallback.
            fetcher.wake.clear()
            want = fetcher.reserve(self.config.claim_batch_size)
            try:
                rows = await self._call(_sql.CLAIM, (fetcher.name, self.config.worker_id, want))
            except (psycopg.Error, OSError) as error:
                fetcher.release_slot(want)
                logger.warning("claim on queue %s failed: %s", fetcher.name, error)
                await asyncio.sleep(poll)
                continue
            self._start_steps(fetcher, want, rows)
            if len(rows) < want:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(fetcher.wake.wait(), poll)
            elif cooldown > 0:
                await asyncio.sleep(cooldown)

    async def _listen_loop(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.client.conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {AVAILABLE_CHANNEL}")
                    self._wake_all()
                    async for note in conn.notifies():
                        if self._is_own(note.pid):
                            continue  # our own call: whoever made it has woken the fetchers
                        woken = self._fetchers.get(note.payload)
                        if woken is not None:
                            woken.wake.set()
            except (psycopg.Error, OSError) as error:
                logger.warning("LISTEN connection lost (%s); polling until it is back", error)
                await asyncio.sleep(1)

    # -- running a step ----------------------------------------------------------------------
    def _start_steps(self, fetcher: _QueueFetcher, reserved: int, rows: list[tuple[Any, ...]]) -> None:
        """Starts the claimed rows in slots reserved for them; gives back the slots left over."""
        for raw in rows:
            self._start_step(fetcher, _sql.ClaimedRow(*raw))
        fetcher.release_slot(reserved - len(rows))

    def _start_step(self, fetcher: _QueueFetcher, row: _sql.ClaimedRow) -> None:
        worker = self.config.workers.get(row.kind)
        run = _Running(row, is_async=worker.is_async if worker is not None else True)
        self._running[row.step_id] = run
        run.task = asyncio.create_task(self._execute(fetcher, run), name=f"step-{row.step_id}")

    async def _execute(self, fetcher: _QueueFetcher, run: _Running) -> None:
        row = run.row
        work = WorkPayload(
            step_id=row.step_id,
            workflow_id=row.workflow_id,
            task_name=row.task_name,
            kind=row.kind,
            attempt=row.attempt,
            args=row.args,
            dependency_results=dict(row.dependency_results),
            queue=row.queue,
        )
        error: BaseException | None = None
        try:
            try:
                await self._run_handler(row, work)
            except asyncio.CancelledError:
                raise
            except Exception as raised:
                error = raised
            for hook in reversed(self.config.hooks):
                try:
                    hook.after_work(work, error)
                except Exception as raised:
                    error = error or raised
        finally:
            if self._running.get(row.step_id) is run:  # not a newer attempt claimed meanwhile
                del self._running[row.step_id]
            fetcher.release_slot()
        # Report even after a lost lease: the engine fences stale attempts, and an attempt whose
        # lease lapsed but was not rescued yet is still the one that holds the step.
        if error is None:
            assert self._completions is not None
            if row.has_dependents:
                self._urgent.set()
            await self._completions.put(
                _Completion(row.step_id, row.attempt, work.result, row.queue if row.has_dependents else None)
            )
        else:
            await self._fail(row, error)

    async def _run_handler(self, row: _sql.ClaimedRow, work: WorkPayload) -> None:
        for hook in self.config.hooks:
            hook.before_work(work)
        if is_sealed(work.args) or any(is_sealed(v) for v in work.dependency_results.values()):
            raise DecryptionError(
                f'task "{row.task_name}" has sealed payloads but no EncryptHook opened them (is the hook configured?)'
            )
        worker = self.config.workers.get(row.kind)
        if worker is None:
            raise UnknownKind(f'no worker is registered for kind "{row.kind}" (task "{row.task_name}")')
        try:
            args = worker.args_type.model_validate(work.args)
        except ValidationError as invalid:
            raise ArgsDecodeError(
                f'args of task "{row.task_name}" do not validate as {worker.args_type.__name__}: {invalid}'
            ) from invalid
        step: Step[Any] = Step(
            id=row.step_id,
            workflow_id=row.workflow_id,
            task_name=row.task_name,
            kind=row.kind,
            args=args,
            attempt=row.attempt,
            max_attempts=row.max_attempts,
            queue=row.queue,
            deadline_at=row.deadline_at,
            dependency_results=work.dependency_results,
        )
        timeout = row.timeout.total_seconds() if row.timeout is not None else None
        if worker.is_async:
            pending: Any = worker.work(step)
        else:
            pending = asyncio.wrap_future(self._threads.submit(worker.work, step))
        try:
            returned = await asyncio.wait_for(pending, timeout)
        except TimeoutError as timed_out:
            raise TimeoutError(f"attempt timed out after {timeout:g} s") from timed_out
        work.result = to_json(returned if returned is not None else step.result)

    async def _fail(self, row: _sql.ClaimedRow, error: BaseException) -> None:
        retryable = not isinstance(error, NON_RETRYABLE)
        detail = {
            "message": str(error) or type(error).__name__,
            "type": type(error).__qualname__,
            "traceback": "".join(traceback.format_exception(error)),
        }
        if isinstance(error, TimeoutError):
            detail["reason"] = "timeout"
        try:
            state = (await self._call(_sql.FAIL, (row.step_id, row.attempt, Jsonb(detail), retryable)))[0][0]
            self._wake_all()  # a retry may be claimable at once
            logger.warning(
                "step %s (%s) attempt %d failed: %s -> %s",
                row.task_name,
                row.kind,
                row.attempt,
                detail["message"],
                state,
                extra={"step_id": row.step_id, "workflow_id": row.workflow_id},
            )
        except (StaleAttempt, StepCancelled) as refused:
            logger.info("failure of step %s not recorded: %s", row.step_id, refused)
        except (psycopg.Error, OSError) as db_error:
            logger.error("could not record failure of step %s: %s (its lease will expire)", row.step_id, db_error)

    # -- completing, heartbeats, rescue, release -----------------------------------------------
    async def _complete_loop(self) -> None:
        assert self._completions is not None
        interval = self.config.complete_flush_interval.total_seconds()
        done = False
        while not done:
            item = await self._completions.get()
            if item is None:
                break
            # Let a batch build up for a moment, unless a completion others wait for is queued.
            if interval > 0 and not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), interval)
            self._urgent.clear()
            batch = [item]
            while len(batch) < self.config.complete_batch_size and not self._completions.empty():
                nxt = self._completions.get_nowait()
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
            if not self._completions.empty():
                self._urgent.set()  # a backlog: send the next batch without waiting
            unlocks = any(c.unlocks_queue is not None for c in batch)
            drained = await self._flush(batch)
            if unlocks:  # dependents may be claimable now: do not wait for the notification
                for fetcher in self._fetchers.values():
                    if fetcher not in drained:
                        fetcher.wake.set()

    async def _flush(self, batch: list[_Completion]) -> set[_QueueFetcher]:
        """Completes ``batch``; returns the queues it also claimed on and found nothing more."""
        params = _sql.complete_params([(c.step_id, c.attempt, c.result) for c in batch])
        for attempt in range(1, 6):
            claims = self._reserve_claims(batch) if attempt == 1 and _PIPELINES else []
            try:
                if claims:
                    outcomes, *claimed = await self._call_in_one_transaction(
                        [(_sql.COMPLETE, params)]
                        + [(_sql.CLAIM, (f.name, self.config.worker_id, want)) for f, want in claims]
                    )
                else:
                    outcomes, claimed = await self._call(_sql.COMPLETE, params), []
            except Exception as error:  # never let the completer die: its steps would never be reported
                for fetcher, want in claims:
                    fetcher.release_slot(want)
                logger.warning("completing %d steps failed (try %d): %s", len(batch), attempt, error)
                await asyncio.sleep(0.2 * attempt)
                continue
            for step_id, outcome in outcomes:
                if outcome != "completed":
                    logger.info("completion of step %s refused by the engine: %s", step_id, outcome)
            drained: set[_QueueFetcher] = set()
            for (fetcher, want), rows in zip(claims, claimed, strict=True):
                if self._stopping:  # shutdown began during the call: give them back at once
                    await self._release([_Running(_sql.ClaimedRow(*raw)) for raw in rows])
                    fetcher.release_slot(want)
                else:
                    self._start_steps(fetcher, want, rows)
                if len(rows) < want:
                    drained.add(fetcher)
            return drained
        logger.error("gave up completing %d steps; their leases will expire and they will run again", len(batch))
        return set()

    def _reserve_claims(self, batch: list[_Completion]) -> list[tuple[_QueueFetcher, int]]:
        """Free slots to claim with the completion of ``batch``: on the queue of each step others
        wait for (its dependents are often claimable once it commits, and usually on its queue)."""
        if self._stopping:
            return []
        claims = []
        for name in dict.fromkeys(c.unlocks_queue for c in batch if c.unlocks_queue is not None):
            fetcher = self._fetchers.get(name)
            if fetcher is not None and (want := fetcher.reserve(self.config.claim_batch_size)) > 0:
                claims.append((fetcher, want))
        return claims

    async def _call_in_one_transaction(
        self, statements: list[tuple[str, tuple[Any, ...]]]
    ) -> list[list[tuple[Any, ...]]]:
        assert self._pool is not None
        async with self._pool.connection() as conn:
            return await _sql.acall_in_one_transaction(conn, statements)

    async def _heartbeat_loop(self) -> None:
        interval = self.config.heartbeat_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            runs = [r for r in self._running.values() if not r.lost and not r.released]
            if not runs:
                continue
            try:
                rows = await self._call(_sql.HEARTBEAT, ([r.row.step_id for r in runs], [r.row.attempt for r in runs]))
            except (psycopg.Error, OSError) as error:
                logger.warning("heartbeat failed: %s", error)
                continue
            held = {row[0] for row in rows}
            now = datetime.now(UTC)
            for run in runs:
                if run.row.deadline_at is not None and run.row.deadline_at <= now:
                    continue  # past its timeout: the handler's own timeout reports it
                if run.row.step_id not in held and self._running.get(run.row.step_id) is run:
                    run.lost = True
                    logger.warning(
                        "step %s attempt %d lost its lease (cancelled, timed out or rescued); stopping it",
                        run.row.step_id,
                        run.row.attempt,
                    )
                    if run.is_async and run.task is not None:
                        run.task.cancel()

    async def _rescue_loop(self) -> None:
        interval = self.config.rescue_interval.total_seconds()
        while True:
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
            try:
                rescued = (await self._call(_sql.RESCUE, ()))[0][0]
            except (psycopg.Error, OSError) as error:
                logger.warning("rescue failed: %s", error)
                continue
            if rescued:
                self._wake_all()
                logger.warning("rescued %d steps whose lease expired", rescued)

    async def _release(self, runs: list[_Running]) -> None:
        try:
            released = (await self._call(_sql.RELEASE, ([r.row.step_id for r in runs], [r.row.attempt for r in runs])))[
                0
            ][0]
            logger.warning("gave back %d unfinished steps at shutdown", released)
        except (psycopg.Error, OSError) as error:
            logger.error("could not give back %d steps (%s); their leases will expire", len(runs), error)
