"""Chaos in the suite: worker processes killed, frozen and PostgreSQL crashed while workflows run.

On a private cluster (the shared test server is never touched), four ``tests.chaos_app``
processes (half with plain handlers in threads, half with ``async def`` ones) work a mix of
workflow shapes -- chains, diamonds, fan-out/fan-in, random DAGs: about 280 steps in 30
workflows -- submitted over about 45 seconds. Each step's value is a digest of its name, its
salt and its dependencies' values (``tests.chaos_app.chaos_value``), so every edge can be checked
from the stored results. Meanwhile, at seeded random times:

- workers are SIGKILLed (preferably one that holds running steps) and new processes started;
- workers are SIGSTOPped for longer than the lease, then SIGCONTed;
- the cluster is crashed and restarted twice (``pg_ctl stop -m immediate``, recovery at start).

The lease is 2 s and every worker rescues every ~0.3 s, so lost steps come back within seconds.
Then every workflow must be ``completed``, with:

- no step lost: each step of each workflow exists and is ``completed``;
- no step completed twice: a trigger of this database records every transition of a step into
  ``completed`` in the same transaction as the transition (so it is as reliable as the engine's
  own state, unlike a log the handler writes): exactly one per step, for the attempt the step
  holds, with the stored result, and that result was computed by that attempt;
- values intact along every edge: each step saw exactly its dependencies and its value equals
  ``chaos_value`` recomputed from its dependencies' stored values;
- one finalization per workflow: a second trigger records every transition of a workflow out of
  ``running`` (exactly one each, ``completed``). Reading ``finalized_at`` alone could not tell a
  second finalization that overwrote the first, and LISTEN cannot prove "exactly once": a
  listener misses what is sent while it reconnects after a crash. So the LISTEN connection here
  (which reconnects) only checks that no workflow was announced twice;
- every worker process that was not killed is still running (the runtime survived it all).

The handler-run log (``--runs-dir``, one line per run, kept across SIGKILL) gives the "runs per
step" histogram printed at the end with the seed and the chaos timeline; it is also checked that
the attempt that completed each step did run its handler. The seed fixes the workflows and when
each chaos event happens; which worker an event hits depends on timing. Set
``TRIBUTARY_CHAOS_SEED`` to replay a seed. Output shows with ``pytest -s`` (or ``-rP``) and on failure.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.chaos_app import ChaosArgs, chaos_value, read_runs
from tests.chaos_processes import AppProcess, AppProcesses, execute_with_retries, private_cluster
from tributary import Client, Config
from tributary.testing.cluster import EphemeralCluster

SEED_ENV = "TRIBUTARY_CHAOS_SEED"
QUEUE = "chaos"
WORKERS = 4
SLOTS_PER_WORKER = 4
LEASE_SECONDS = 2.0
CHAOS_SECONDS = 50.0  # workflows are submitted and chaos happens within this window
SUBMIT_SECONDS = 44.0  # the last workflow is submitted by then
KILLS, STOPS, RESTARTS = 6, 4, 2
MIN_RUNNING = 2  # a SIGSTOP waits while fewer than this many workers run unstopped
BODY_BUDGET = 95.0  # seconds for the test body; cluster setup and teardown add ~10 s
READY_TIMEOUT = 30.0

SETTINGS_SQL = (
    f"UPDATE tributary.settings SET lease_duration = '{LEASE_SECONDS:g} seconds', default_retry_backoff = '100 ms',"
    " retry_backoff_cap = '1 second', default_max_attempts = 25"
)

# Test-only recorders (schema chaos_record, in the private cluster only), written in the
# transaction of the state change they record.
RECORDERS_SQL = """
CREATE SCHEMA chaos_record;
CREATE TABLE chaos_record.completions (
  step_id bigint NOT NULL,
  attempt integer NOT NULL,
  result jsonb,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE chaos_record.finalizations (
  workflow_id bigint NOT NULL,
  state text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION chaos_record.tg_steps__record_completion() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO chaos_record.completions (step_id, attempt, result) VALUES (NEW.id, NEW.attempt, NEW.result);
  RETURN NULL;
END;
$$;
CREATE FUNCTION chaos_record.tg_workflows__record_finalization() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO chaos_record.finalizations (workflow_id, state) VALUES (NEW.id, NEW.state);
  RETURN NULL;
END;
$$;
-- Every transition into completed, and any later change of a completed step's result or attempt.
CREATE TRIGGER _900_record_completion AFTER UPDATE ON tributary.steps FOR EACH ROW
  WHEN (NEW.state = 'completed' AND (OLD.state <> 'completed' OR OLD.result IS DISTINCT FROM NEW.result
                                     OR OLD.attempt <> NEW.attempt))
  EXECUTE FUNCTION chaos_record.tg_steps__record_completion();
CREATE TRIGGER _900_record_finalization AFTER UPDATE ON tributary.workflows FOR EACH ROW
  WHEN (OLD.state = 'running' AND NEW.state <> 'running')
  EXECUTE FUNCTION chaos_record.tg_workflows__record_finalization();
"""

Graph = dict[str, list[str]]  # task -> its dependencies, in an order where dependencies come first


def report(text: str) -> None:
    """The test's own output: seed, timeline, histograms (shown with -s, -rP, or on failure)."""
    print(text, flush=True)  # noqa: T201 - the brief of this test is to print them


# -- the workflows ---------------------------------------------------------------------------


def chain(length: int) -> Graph:
    return {f"c{i:02d}": [f"c{i - 1:02d}"] if i else [] for i in range(length)}


def diamond() -> Graph:
    return {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def fan(width: int) -> Graph:
    middle = [f"w{i:02d}" for i in range(width)]
    return {"source": [], **{name: ["source"] for name in middle}, "sink": middle}


def random_dag(rng: random.Random, size: int) -> Graph:
    graph: Graph = {}
    for i in range(size):
        earlier = list(graph)
        graph[f"n{i:02d}"] = sorted(rng.sample(earlier, rng.randint(0, min(3, len(earlier)))))
    return graph


@dataclass(frozen=True)
class Plan:
    """One workflow to submit: its graph and each task's salt and handler duration."""

    name: str
    graph: Graph
    salts: dict[str, int]
    millis: dict[str, int]


def plan_workflows(rng: random.Random, seed: int) -> list[Plan]:
    graphs = (
        [("chain", chain(rng.randint(5, 10))) for _ in range(8)]
        + [("diamond", diamond()) for _ in range(10)]
        + [("fan", fan(rng.randint(8, 16))) for _ in range(5)]
        + [("dag", random_dag(rng, rng.randint(12, 20))) for _ in range(7)]
    )
    rng.shuffle(graphs)
    return [
        Plan(
            name=f"chaos-{seed}-{i:02d}-{shape}",
            graph=graph,
            salts={task: rng.randrange(1_000_000) for task in graph},
            millis={task: rng.randint(150, 900) for task in graph},
        )
        for i, (shape, graph) in enumerate(graphs)
    ]


def submit(client: Client, plan: Plan, deadline: float) -> int:
    """Creates ``plan``'s workflow, keyed by its name, retrying while the database is unreachable."""
    builder = client.new_workflow(plan.name, idempotency_key=plan.name)
    for task, deps in plan.graph.items():
        builder.add_task(task, ChaosArgs(salt=plan.salts[task], deps=deps, millis=plan.millis[task]), depends_on=deps)
    return execute_with_retries(builder, deadline)


# -- watching ----------------------------------------------------------------------------------


class FinalizedListener:
    """Counts ``tributary_workflow_finalized`` notifications per workflow on its own connection,
    reconnecting after a crash. What is sent while it reconnects is missed, so its counts can show
    a duplicate announcement but cannot prove that none is missing."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.counts: Counter[int] = Counter()
        self.connections = 0
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finalized-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn:
                    conn.execute("LISTEN tributary_workflow_finalized")
                    self.connections += 1
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.counts[int(json.loads(note.payload)["workflow_id"])] += 1
            except psycopg.Error:
                self._stop.wait(0.2)


def running_steps_by_worker(dsn: str) -> Counter[str]:
    """How many running steps each worker id holds (empty when the database does not answer)."""
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            rows = conn.execute(
                "SELECT worker_id, count(*) FROM tributary.steps WHERE state = 'running' GROUP BY worker_id"
            ).fetchall()
    except psycopg.Error:
        return Counter()
    return Counter({str(worker_id): int(count) for worker_id, count in rows})


def unfinished_workflows(dsn: str, workflow_ids: list[int]) -> int | None:
    """How many of ``workflow_ids`` are still running (None when the database does not answer)."""
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT count(*) FROM tributary.workflows WHERE id = ANY (%s) AND state = 'running'", (workflow_ids,)
            ).fetchone()
    except psycopg.Error:
        return None
    assert row is not None
    return int(row[0])


# -- the chaos -----------------------------------------------------------------------------------


@dataclass
class Chaos:
    """Runs the timeline: submissions and chaos events at their seeded times."""

    rng: random.Random
    cluster: EphemeralCluster
    procs: AppProcesses
    client: Client
    deadline: float
    began: float = field(default_factory=time.monotonic)
    timeline: list[str] = field(default_factory=list)
    killed: list[AppProcess] = field(default_factory=list)
    workflow_ids: list[int] = field(default_factory=list)
    _heap: list[tuple[float, int, str, Any]] = field(default_factory=list)
    _seq: int = 0
    _started: int = 0

    def start_worker(self) -> AppProcess:
        mode = "async" if self._started % 2 else "sync"
        proc = self.procs.start(f"W{self._started}-{mode}", mode=mode)
        self._started += 1
        return proc

    def at(self, when: float, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._heap, (when, self._seq, kind, payload))
        self._seq += 1

    def note(self, text: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.began:6.2f}s {text}")

    def victim(self) -> tuple[AppProcess, int]:
        """A running, unstopped worker: one holding running steps if there is any."""
        held = running_steps_by_worker(self.procs.dsn)
        candidates = self.procs.running()
        busy = [proc for proc in candidates if held[proc.worker_id] > 0]
        proc = self.rng.choice(busy or candidates)
        return proc, held[proc.worker_id]

    def run(self, plans: list[Plan]) -> list[int]:
        for i, plan in enumerate(plans):
            self.at(i * SUBMIT_SECONDS / len(plans), "submit", plan)
        for _ in range(KILLS):
            self.at(self.rng.uniform(2.0, CHAOS_SECONDS - 2.0), "kill")
        for _ in range(STOPS):
            self.at(self.rng.uniform(2.0, CHAOS_SECONDS - 6.0), "stop")
        for i in range(RESTARTS):
            share = (i + self.rng.uniform(0.3, 0.7)) / RESTARTS
            self.at(share * (CHAOS_SECONDS - 6.0), "restart")
        self.began = time.monotonic()
        while self._heap:
            when, _, kind, payload = heapq.heappop(self._heap)
            time.sleep(max(0.0, self.began + when - time.monotonic()))
            self.check_workers()
            if time.monotonic() > self.deadline:
                raise AssertionError(f"the chaos timeline overran the deadline\n{self.procs.tails()}")
            self.step(kind, payload, when)
        return self.workflow_ids

    def check_workers(self) -> None:
        """Fails at once when a worker process the chaos did not kill has ended."""
        exited = [(p.name, p.popen.returncode) for p in self.procs.started if p not in self.killed and not p.alive]
        if exited:
            raise AssertionError(f"worker processes exited by themselves: {exited}\n{self.procs.tails()}")

    def step(self, kind: str, payload: Any, when: float) -> None:
        if kind == "submit":
            self.workflow_ids.append(submit(self.client, payload, self.deadline))
        elif kind == "kill":
            proc, held = self.victim()
            proc.kill()
            self.killed.append(proc)
            replacement = self.start_worker()
            self.note(f"SIGKILL {proc.name} (holding {held} running steps); started {replacement.name}")
        elif kind == "stop":
            if len(self.procs.running()) <= MIN_RUNNING:
                if when + 1.0 < CHAOS_SECONDS:
                    self.at(when + 1.0, "stop")
                else:
                    self.note("SIGSTOP skipped: too few workers running unstopped")
                return
            proc, held = self.victim()
            proc.pause()
            pause = LEASE_SECONDS + self.rng.uniform(0.5, 2.0)
            self.at(time.monotonic() - self.began + pause, "resume", proc)
            self.note(f"SIGSTOP {proc.name} for {pause:.1f} s (holding {held} running steps)")
        elif kind == "resume":
            payload.resume()
            self.note(f"SIGCONT {payload.name}")
        elif kind == "restart":
            started = time.monotonic()
            self.cluster.restart("immediate")
            self.note(f"PostgreSQL crashed and restarted in {time.monotonic() - started:.1f} s")


# -- the test ----------------------------------------------------------------------------------


@pytest.fixture
def chaos_cluster() -> Iterator[EphemeralCluster]:
    with private_cluster() as cluster:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(SETTINGS_SQL)
            conn.execute(RECORDERS_SQL)
        yield cluster


def histogram(counts: Counter[int]) -> str:
    """``{step: n}`` as "n times: how many steps"."""
    by_n = Counter(counts.values())
    return ", ".join(f"{n}x: {steps}" for n, steps in sorted(by_n.items()))


@dataclass(frozen=True)
class StepRow:
    id: int
    workflow_id: int
    task_name: str
    state: str
    attempt: int
    result: Any
    errors: list[dict[str, Any]]


@dataclass
class Outcome:
    """What the database holds once the chaos is over, with the plans behind it."""

    plans: dict[str, Plan]  # by workflow name
    workflows: dict[int, tuple[str, str]]  # id -> (name, state)
    steps: dict[tuple[int, str], StepRow]  # (workflow id, task) -> step
    completions: list[tuple[int, int, Any]]  # (step id, attempt, result) per recorded completion
    finalizations: list[tuple[int, str]]  # (workflow id, state) per recorded finalization

    @classmethod
    def read(cls, dsn: str, plans: list[Plan], workflow_ids: list[int]) -> Outcome:
        with psycopg.connect(dsn, autocommit=True) as conn:
            workflows = {
                int(wid): (str(name), str(state))
                for wid, name, state in conn.execute(
                    "SELECT id, name, state FROM tributary.workflows WHERE id = ANY (%s)", (workflow_ids,)
                )
            }
            steps = [
                StepRow(int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]), r[5], list(r[6]))
                for r in conn.execute(
                    "SELECT id, workflow_id, task_name, state, attempt, result, errors FROM tributary.steps"
                    " WHERE workflow_id = ANY (%s)",
                    (workflow_ids,),
                )
            ]
            completions = [
                (int(step_id), int(attempt), result)
                for step_id, attempt, result in conn.execute(
                    "SELECT step_id, attempt, result FROM chaos_record.completions"
                )
            ]
            finalizations = [
                (int(wid), str(state))
                for wid, state in conn.execute("SELECT workflow_id, state FROM chaos_record.finalizations")
            ]
        return cls(
            plans={plan.name: plan for plan in plans},
            workflows=workflows,
            steps={(step.workflow_id, step.task_name): step for step in steps},
            completions=completions,
            finalizations=finalizations,
        )

    @property
    def steps_by_id(self) -> dict[int, StepRow]:
        return {step.id: step for step in self.steps.values()}

    def plan_of(self, workflow_id: int) -> Plan:
        return self.plans[self.workflows[workflow_id][0]]


def check_nothing_lost(outcome: Outcome, context: str) -> None:
    """Every workflow completed; each has exactly its planned steps, all completed."""
    assert sorted(name for name, _ in outcome.workflows.values()) == sorted(outcome.plans), context
    assert {wid: state for wid, (_, state) in outcome.workflows.items() if state != "completed"} == {}, context
    planned = {(wid, task) for wid in outcome.workflows for task in outcome.plan_of(wid).graph}
    assert set(outcome.steps) == planned, context
    assert [key for key, step in outcome.steps.items() if step.state != "completed"] == [], context


def check_completed_once(outcome: Outcome, context: str) -> None:
    """Each step went into ``completed`` once, for the attempt it holds, with the result that
    attempt computed."""
    steps = outcome.steps_by_id
    completed = Counter(step_id for step_id, _, _ in outcome.completions if step_id in steps)
    assert {sid: n for sid, n in completed.items() if n != 1} == {}, context
    assert set(completed) == set(steps), context
    for step_id, attempt, result in outcome.completions:
        step = steps[step_id]
        assert (attempt, result) == (step.attempt, step.result), (step, context)
        assert result["attempt"] == attempt, (step, context)


def check_edges(outcome: Outcome, context: str) -> None:
    """Each step saw exactly its dependencies, and its value follows from their stored values."""
    for (wid, task), step in outcome.steps.items():
        plan = outcome.plan_of(wid)
        deps = plan.graph[task]
        assert step.result["inputs"] == sorted(deps), (plan.name, task, step.result, context)
        values = {dep: outcome.steps[(wid, dep)].result["value"] for dep in deps}
        assert step.result["value"] == chaos_value(task, plan.salts[task], values), (plan.name, task, context)


def check_finalized_once(outcome: Outcome, announced: Counter[int], context: str) -> None:
    """One recorded finalization per workflow, ``completed``; no workflow announced twice."""
    assert Counter(wid for wid, _ in outcome.finalizations) == dict.fromkeys(outcome.workflows, 1), context
    assert {state for _, state in outcome.finalizations} == {"completed"}, context
    assert {wid: n for wid, n in announced.items() if n > 1} == {}, context
    assert set(announced) <= set(outcome.workflows), context


def run_chaos(
    cluster: EphemeralCluster, tmp_path: Path, rng: random.Random, plans: list[Plan]
) -> tuple[Chaos, Counter[int]]:
    """Starts the workers, runs the timeline, waits for every workflow to finish; returns the
    chaos (its timeline, processes and workflows) and the finalizations announced on LISTEN.
    Prints the timeline, also when it fails."""
    dsn = cluster.dsn
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    procs = AppProcesses(dsn, tmp_path, [QUEUE], max_workers=SLOTS_PER_WORKER, runs_dir=runs_dir)
    listener = FinalizedListener(dsn)
    deadline = time.monotonic() + BODY_BUDGET
    with Client(dsn, Config(queue=QUEUE)) as client:
        chaos = Chaos(rng, cluster, procs, client, deadline)
        try:
            listener.start()
            assert listener.listening.wait(10), "the LISTEN connection did not start"
            for proc in [chaos.start_worker() for _ in range(WORKERS)]:
                procs.wait_ready(proc, READY_TIMEOUT)
            workflow_ids = chaos.run(plans)
            for proc in procs.started:
                proc.resume()
            chaos.note("chaos over; waiting for every workflow to finish")
            while (left := unfinished_workflows(dsn, workflow_ids)) != 0:
                chaos.check_workers()
                if time.monotonic() > deadline:
                    pytest.fail(f"{left} workflows still running at the deadline\n{procs.tails()}")
                time.sleep(0.25)
            chaos.check_workers()
            chaos.note("every workflow finished")
        finally:
            listener.stop()
            procs.kill_all()
            report("\n".join(chaos.timeline))
    return chaos, listener.counts


def test_workflows_survive_kills_freezes_and_postgres_crashes(chaos_cluster: EphemeralCluster, tmp_path: Path) -> None:
    began = time.monotonic()
    seed = int(os.environ.get(SEED_ENV) or random.SystemRandom().randrange(2**32))
    report(f"chaos seed {seed} (replay with {SEED_ENV}={seed})")
    rng = random.Random(seed)
    plans = plan_workflows(rng, seed)
    edges = sum(len(deps) for plan in plans for deps in plan.graph.values())
    report(f"{len(plans)} workflows, {sum(len(plan.graph) for plan in plans)} steps, {edges} edges")

    chaos, announced = run_chaos(chaos_cluster, tmp_path, rng, plans)
    context = f"seed {seed}\n" + "\n".join(chaos.timeline)

    outcome = Outcome.read(chaos_cluster.dsn, plans, chaos.workflow_ids)
    check_nothing_lost(outcome, context)
    check_completed_once(outcome, context)
    check_edges(outcome, context)
    check_finalized_once(outcome, announced, context)

    # The attempt that completed each step did run its handler (the run log survives SIGKILL).
    runs = read_runs(tmp_path / "runs")
    ran = {(step_id, attempt) for step_id, attempt, _ in runs}
    steps = outcome.steps_by_id
    assert [sid for sid, step in steps.items() if (sid, step.attempt) not in ran] == [], context
    runs_per_step = Counter(step_id for step_id, _, _ in runs if step_id in steps)
    attempts_per_step = Counter({sid: step.attempt for sid, step in steps.items()})
    reasons = Counter(str(error.get("reason")) for step in steps.values() for error in step.errors)
    report(f"handler runs per step: {histogram(runs_per_step)}")
    report(f"attempts per step: {histogram(attempts_per_step)}")
    report(f"failed attempts by reason: {dict(reasons)}")
    report(f"finalizations announced on LISTEN: {sum(announced.values())} of {len(outcome.workflows)}")
    report(f"took {time.monotonic() - began:.1f} s after the cluster's setup")

    # The chaos did take steps away (so the checks above saw rescued steps), and only the lease did.
    assert reasons["lease_expired"] > 0, context
    assert set(reasons) == {"lease_expired"}, (reasons, context)
