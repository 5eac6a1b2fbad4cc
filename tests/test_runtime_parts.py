"""The rules of the runtime's parts, each against a fake engine (no database): what the parts
ask the engine, in which order, and what they do with its answers. The end-to-end tests of the
same behaviour against PostgreSQL are in test_worker_errors, test_runtime_slots and
test_runtime_wakeups."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tributary import Step, StepArgs, Worker, Workers
from tributary.errors import ConfigError
from tributary.hooks import Hook, RuntimeEvent, WorkPayload
from tributary.runtime.completer import FLUSH_TRIES, Completer
from tributary.runtime.engine import Outcomes, ProcessReport
from tributary.runtime.events import Events
from tributary.runtime.executor import Attempt, Executor
from tributary.runtime.fetcher import Fetcher
from tributary.runtime.maintenance import Maintenance, heartbeat_interval
from tributary.runtime.shared import Shared
from tributary.runtime.slots import QueueSlots
from tributary.runtime.state import Lifecycle, RuntimeState


def work(step_id: int, *, queue: str = "q", has_dependents: bool = False) -> WorkPayload:
    return WorkPayload(
        step_id=step_id,
        workflow_id=1,
        task_name=f"t{step_id}",
        kind="k",
        queue=queue,
        attempt=1,
        max_attempts=3,
        args={},
        dependency_results={},
        has_dependents=has_dependents,
        result={"n": step_id},
    )


class FakeEngine:
    """Records every call; answers from queues the test fills."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.claimable: list[WorkPayload] = []
        self.failures_left = 0
        self.held: set[int] = set()

    def _maybe_fail(self) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise psycopg.OperationalError("server closed the connection")

    async def claim(self, queue: str, limit: int) -> list[WorkPayload]:
        self.calls.append(("claim", (queue, limit)))
        self._maybe_fail()
        taken, self.claimable = self.claimable[:limit], self.claimable[limit:]
        return taken

    def claim_retry_in(self, queue: str) -> float | None:
        return None

    async def complete(self, works: Sequence[WorkPayload]) -> Outcomes:
        self.calls.append(("complete", [w.step_id for w in works]))
        self._maybe_fail()
        return [(w.step_id, "completed") for w in works]

    async def complete_and_claim(
        self, works: Sequence[WorkPayload], claims: Sequence[tuple[str, int]]
    ) -> tuple[Outcomes, list[list[WorkPayload]]]:
        self.calls.append(("complete_and_claim", ([w.step_id for w in works], list(claims))))
        self._maybe_fail()
        claimed = []
        for _, limit in claims:
            taken, self.claimable = self.claimable[:limit], self.claimable[limit:]
            claimed.append(taken)
        return [(w.step_id, "completed") for w in works], claimed

    async def fail(self, work: WorkPayload, detail: dict[str, Any], retryable: bool) -> str:
        self.calls.append(("fail", work.step_id))
        return "available"

    async def hand_back(self, work: WorkPayload, reason: str, detail: dict[str, Any]) -> str:
        self.calls.append(("hand_back", (work.step_id, reason)))
        return "available"

    async def heartbeat(self, works: Sequence[WorkPayload]) -> set[int]:
        self.calls.append(("heartbeat", [w.step_id for w in works]))
        return {w.step_id for w in works} & self.held

    async def rescue(self) -> int:
        return 0

    async def release(self, works: Sequence[WorkPayload]) -> int:
        self.calls.append(("release", [w.step_id for w in works]))
        return len(works)

    async def report_process(self, process: ProcessReport) -> timedelta:
        self.calls.append(("report_process", process.queues))
        return timedelta(seconds=60)

    async def forget_process(self) -> None:
        self.calls.append(("forget_process", None))

    async def prune_processes(self) -> int:
        return 0

    async def wake_due(self) -> int:
        return 0

    async def spawn(self, work: WorkPayload) -> int:
        raise NotImplementedError

    async def fire_schedules(self) -> int:
        self.calls.append(("fire_schedules", None))
        return 0


class Recorder(Hook):
    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)


def shared_by(engine: FakeEngine, hook: Hook, lifecycle: Lifecycle, slots: dict[str, QueueSlots]) -> Shared:
    return Shared(engine, lifecycle, Events([hook], "w"), slots)


def running_lifecycle() -> Lifecycle:
    lifecycle = Lifecycle()
    lifecycle.move_to(RuntimeState.STARTING)
    lifecycle.move_to(RuntimeState.RUNNING)
    return lifecycle


def make_completer(
    engine: FakeEngine, slots: dict[str, QueueSlots], lifecycle: Lifecycle, hook: Hook
) -> tuple[Completer, list[tuple[str, list[int], int]]]:
    started: list[tuple[str, list[int], int]] = []

    async def release(works: Sequence[WorkPayload]) -> None:
        await engine.release(works)

    completer = Completer(
        shared_by(engine, hook, lifecycle, slots),
        start_steps=lambda s, works, reserved: started.append((s.name, [w.step_id for w in works], reserved)),
        release_steps=release,
        batch_size=10,
        flush_interval=0.05,
        claim_batch_size=5,
    )
    return completer, started


async def finish(completer: Completer) -> None:
    running = asyncio.create_task(completer.run())
    await completer.close()
    await asyncio.wait_for(running, 10)


def test_lifecycle_refuses_a_transition_the_diagram_has_not() -> None:
    lifecycle = Lifecycle()
    seen = [lifecycle.accepting_work]
    with pytest.raises(RuntimeError, match="from new to running"):
        lifecycle.move_to(RuntimeState.RUNNING)
    lifecycle.move_to(RuntimeState.STARTING)
    lifecycle.move_to(RuntimeState.RUNNING)
    seen.append(lifecycle.accepting_work)
    lifecycle.move_to(RuntimeState.STOPPING)
    seen.append(lifecycle.accepting_work)
    assert seen == [False, True, False]


def test_slots_never_reserve_more_than_are_free() -> None:
    slots = QueueSlots("q", max_workers=3)
    assert slots.reserve(5) == 3
    assert slots.reserve(1) == 0
    slots.give_back(2)
    assert (slots.free, slots.slot_freed.is_set()) == (2, True)


def test_heartbeat_follows_the_lease_and_refuses_an_interval_that_cannot_keep_it() -> None:
    lease = timedelta(seconds=60)
    assert heartbeat_interval(None, lease) == timedelta(seconds=20)
    assert heartbeat_interval(timedelta(seconds=30), lease) == timedelta(seconds=30)
    with pytest.raises(ConfigError, match=r"heartbeat_interval \(31 s\).*lease_duration = 60 s"):
        heartbeat_interval(timedelta(seconds=31), lease)


def test_a_completion_others_wait_for_claims_on_its_queue_in_the_same_call() -> None:
    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        engine.claimable = [work(10), work(11)]
        slots = {"q": QueueSlots("q", max_workers=4)}
        completer, started = make_completer(engine, slots, running_lifecycle(), hook)
        completer.put(work(1, has_dependents=True))
        await finish(completer)
        assert engine.calls == [("complete_and_claim", ([1], [("q", 4)]))]
        assert started == [("q", [10, 11], 4)]  # the starter gives back the 2 unfilled slots

    asyncio.run(scenario())


def test_leaf_completions_are_batched_without_a_claim() -> None:
    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        completer, started = make_completer(engine, {"q": QueueSlots("q", 4)}, running_lifecycle(), hook)
        for step_id in (1, 2, 3):
            completer.put(work(step_id))
        await finish(completer)
        assert engine.calls == [("complete", [1, 2, 3])]
        assert started == []

    asyncio.run(scenario())


def test_steps_claimed_with_a_completion_while_stopping_are_given_back() -> None:
    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        engine.claimable = [work(10)]
        lifecycle = running_lifecycle()
        slots = {"q": QueueSlots("q", max_workers=2)}
        completer, started = make_completer(engine, slots, lifecycle, hook)
        completer.put(work(1, has_dependents=True))
        claims = completer._reserve_claims([work(1, has_dependents=True)], starts=False)
        lifecycle.move_to(RuntimeState.STOPPING)  # shutdown begins while the call is out
        await completer._start_claimed(claims, [[work(10)]])
        assert ("release", [10]) in engine.calls
        assert started == []
        assert slots["q"].free == 2
        await finish(completer)

    asyncio.run(scenario())


def test_a_failing_flush_is_retried_then_given_up_with_an_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tributary.runtime.completer.asyncio.sleep", _no_sleep)

    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        engine.failures_left = FLUSH_TRIES
        completer, _ = make_completer(engine, {"q": QueueSlots("q", 4)}, running_lifecycle(), hook)
        completer.put(work(1))
        await finish(completer)
        assert len(engine.calls) == FLUSH_TRIES
        names = [event.name for event in hook.events]
        assert names == ["completion_failed"] * FLUSH_TRIES + ["completion_given_up"]

    asyncio.run(scenario())


_real_sleep = asyncio.sleep


async def _no_sleep(delay: float) -> None:
    await _real_sleep(0)


def test_a_fetcher_gives_back_its_slots_when_a_claim_fails_and_keeps_going(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tributary.runtime.fetcher.asyncio.sleep", _no_sleep)

    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        engine.failures_left = 2
        engine.claimable = [work(5)]
        lifecycle = running_lifecycle()
        slots = QueueSlots("q", max_workers=3)
        started: list[list[int]] = []

        def start(s: QueueSlots, works: Sequence[WorkPayload], reserved: int) -> None:
            started.append([w.step_id for w in works])
            s.give_back(reserved - len(works))
            lifecycle.move_to(RuntimeState.STOPPING)  # one successful claim is enough

        shared = shared_by(engine, hook, lifecycle, {"q": slots})
        fetcher = Fetcher(shared, slots, start, batch_size=10, poll_interval=0.01, cooldown=0)
        await asyncio.wait_for(fetcher.run(), 10)
        assert engine.calls == [("claim", ("q", 3))] * 3
        assert started == [[5]]
        assert slots.free == 2  # one slot taken by the started step
        assert [e.name for e in hook.events] == ["claim_failed", "claim_failed"]

    asyncio.run(scenario())


def test_heartbeats_keep_unreported_completions_and_a_lost_lease_cancels_an_async_attempt() -> None:
    async def scenario() -> None:
        engine, hook = FakeEngine(), Recorder()
        engine.held = {2}

        class Holding:
            held: dict[int, Attempt]

            def take_stale_waiting(self, waited_longer_than: float) -> list[Attempt]:
                return []

        executor = Holding()
        slots = QueueSlots("q", 2)
        sleeper = asyncio.create_task(asyncio.sleep(60))
        kept = asyncio.create_task(asyncio.sleep(60))
        executor.held = {
            1: Attempt(work(1), slots, cancellable=True, claimed_at=0.0, task=sleeper),
            2: Attempt(work(2), slots, cancellable=True, claimed_at=0.0, task=kept),
        }
        completer, _ = make_completer(engine, {"q": slots}, running_lifecycle(), hook)
        completer.unreported[3] = work(3)  # completed, its report not sent yet: its lease is kept too
        maintenance = Maintenance(
            shared_by(engine, hook, running_lifecycle(), {"q": slots}),
            executor,  # type: ignore[arg-type]  # only .held is read
            completer,
            ProcessReport("host", 1, ["q"], ["k"], "0"),
            configured_heartbeat=None,
            rescue_interval=30,
        )
        await maintenance.heartbeat_once()
        await asyncio.sleep(0)
        assert engine.calls == [("heartbeat", [1, 2, 3])]
        assert (sleeper.cancelled(), kept.cancelled()) == (True, False)
        assert (executor.held[1].lease_lost, executor.held[2].lease_lost) == (True, False)
        (event,) = hook.events
        assert (event.name, event.step_id, event.workflow_id) == ("lease_lost", 1, 1)
        kept.cancel()

    asyncio.run(scenario())


def test_a_hook_that_raises_on_an_event_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Hook):
        def on_event(self, event: RuntimeEvent) -> None:
            raise ValueError("boom")

    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="tributary.runtime"):
        Events([Broken(), recorder], "w").emit("listen_lost", "LISTEN connection lost")
    assert [e.name for e in recorder.events] == ["listen_lost"]
    assert any("Broken failed on runtime event listen_lost" in r.getMessage() for r in caplog.records)


class Gate(StepArgs):
    kind = "k"


class GatedWorker(Worker[Gate]):
    """Each step waits until the test opens its gate (step id -> event)."""

    def __init__(self) -> None:
        self.gates: dict[int, asyncio.Event] = {}
        self.ran: list[int] = []

    async def work(self, step: Step[Gate]) -> None:
        self.ran.append(step.id)
        await self.gates.setdefault(step.id, asyncio.Event()).wait()


class NoCompletions:
    def put(self, work: WorkPayload) -> None:
        return None


def executor_for(
    slots: QueueSlots, lifecycle: Lifecycle | None = None
) -> tuple[Executor, GatedWorker, Recorder, FakeEngine]:
    engine, hook, worker = FakeEngine(), Recorder(), GatedWorker()
    shared = shared_by(engine, hook, lifecycle or running_lifecycle(), {slots.name: slots})
    return Executor(shared, Workers(worker), [], NoCompletions(), 2), worker, hook, engine


def test_prefetched_steps_wait_in_claim_order_and_start_as_running_ones_end() -> None:
    async def scenario() -> None:
        slots = QueueSlots("q", max_workers=2, prefetch=2)
        executor, worker, _, _ = executor_for(slots)
        assert slots.reserve(10) == 4
        executor.start(slots, [work(i) for i in (1, 2, 3, 4)], 4)
        await asyncio.sleep(0)
        assert (worker.ran, slots.running, slots.free, sorted(executor.held)) == ([1, 2], 2, 0, [1, 2, 3, 4])
        worker.gates.setdefault(2, asyncio.Event()).set()
        await asyncio.sleep(0.01)
        assert (worker.ran, slots.running, slots.free) == ([1, 2, 3], 2, 1)  # its slot freed for a claim
        for gate in (1, 3, 4):
            worker.gates.setdefault(gate, asyncio.Event()).set()
        await asyncio.sleep(0.01)
        assert (worker.ran, slots.running, slots.free, executor.held) == ([1, 2, 3, 4], 0, 4, {})

    asyncio.run(scenario())


def test_a_started_step_cancelled_before_its_first_step_gives_its_slot_back() -> None:
    async def scenario() -> None:
        slots = QueueSlots("q", max_workers=1)
        executor, worker, _, _ = executor_for(slots)
        slots.reserve(1)
        executor.start(slots, [work(1)], 1)
        task = executor.held[1].task
        assert task is not None
        task.cancel()  # as a heartbeat that found its lease taken back may, before the task ran
        await asyncio.sleep(0.01)
        assert worker.ran == []
        assert (slots.running, slots.free, executor.held) == (0, 1, {})

    asyncio.run(scenario())


def test_a_step_waiting_too_long_is_given_back_and_its_slot_parked_until_a_running_one_ends() -> None:
    async def scenario() -> None:
        slots = QueueSlots("q", max_workers=1, prefetch=4)
        executor, worker, _, _ = executor_for(slots)
        slots.reserve(3)
        executor.start(slots, [work(1), work(2), work(3)], 3)  # two slots to claim ahead stay free
        await asyncio.sleep(0)
        assert executor.take_stale_waiting(60) == []
        stale = executor.take_stale_waiting(0)
        assert [attempt.work.step_id for attempt in stale] == [2, 3]
        assert all(attempt.released for attempt in stale)
        assert (slots.free, slots.parked, sorted(executor.held)) == (0, 4, [1])  # no claim ahead meanwhile
        worker.gates.setdefault(1, asyncio.Event()).set()
        await asyncio.sleep(0.01)
        assert (worker.ran, slots.free, slots.parked, executor.held) == ([1], 5, 0, {})

    asyncio.run(scenario())


def test_steps_claimed_once_the_runtime_stops_wait_to_be_given_back() -> None:
    async def scenario() -> None:
        lifecycle = running_lifecycle()
        slots = QueueSlots("q", max_workers=2)
        executor, worker, _, _ = executor_for(slots, lifecycle)
        lifecycle.move_to(RuntimeState.STOPPING)
        slots.reserve(2)
        executor.start(slots, [work(1), work(2)], 2)  # a claim that came back during shutdown
        await asyncio.sleep(0.01)
        assert worker.ran == []
        assert [attempt.work.step_id for attempt in executor.take_waiting()] == [1, 2]
        assert (slots.free, executor.held) == (2, {})

    asyncio.run(scenario())


def test_a_waiting_step_whose_lease_was_taken_back_is_dropped_when_its_turn_comes() -> None:
    async def scenario() -> None:
        slots = QueueSlots("q", max_workers=1, prefetch=1)
        executor, worker, hook, engine = executor_for(slots)
        engine.held = {1}  # the engine took step 2 back while it waited
        completer, _ = make_completer(engine, {"q": slots}, running_lifecycle(), hook)
        maintenance = Maintenance(
            shared_by(engine, hook, running_lifecycle(), {"q": slots}),
            executor,
            completer,
            ProcessReport("host", 1, ["q"], ["k"], "0"),
            configured_heartbeat=None,
            rescue_interval=30,
        )
        slots.reserve(2)
        executor.start(slots, [work(1), work(2)], 2)
        await asyncio.sleep(0)
        await maintenance.heartbeat_once()
        worker.gates.setdefault(1, asyncio.Event()).set()
        await asyncio.sleep(0.01)
        assert worker.ran == [1]
        assert (slots.running, slots.free, executor.held) == (0, 2, {})
        assert [e.name for e in hook.events] == ["lease_lost", "lease_lost"]
        assert "it will not run" in hook.events[0].message

    asyncio.run(scenario())
