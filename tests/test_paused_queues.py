"""Paused queues: no worker claims a paused queue's steps; resuming wakes the workers at once.

pause_queue and resume_queue from the Client, the AsyncClient and the ``tributary queue`` command;
``queue_depths`` and ``tributary queues`` show the pause; the paused check in claim_step is one
primary-key lookup however many queues are paused.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import timedelta

import pytest

from tests.client_helpers import fast_config, started
from tests.engine_helpers import Conn, claim, create_workflow, task
from tests.fix_database import Connect
from tests.test_plan_stability import WHOLE_READS, explained, unbounded_index_scans
from tributary import AsyncClient, Client, Config, QueueConfig, Step, StepArgs, Worker
from tributary.cli import main
from tributary.errors import InvalidArgument

PROMPTLY = 5.0  # seconds; far below the poll interval
NEVER_POLL = timedelta(minutes=1)


class Note(StepArgs):
    kind = "note"


class NoteWorker(Worker[Note]):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ran: list[tuple[str, int]] = []

    def work(self, step: Step[Note]) -> str:
        with self.lock:
            self.ran.append((step.task_name, step.attempt))
        return step.task_name


def steps_of(conn: Conn, workflow_id: int) -> list[tuple[str, str, int]]:
    rows = conn.execute(
        "SELECT task_name, state, attempt FROM tributary.steps WHERE workflow_id = %s ORDER BY task_name",
        (workflow_id,),
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def test_a_worker_runs_nothing_of_a_paused_queue_and_resumes_at_once(dsn: str, conn: Conn) -> None:
    worker = NoteWorker()
    config = fast_config(worker, queues={"default": QueueConfig(max_workers=2)}, fetch_poll_interval=NEVER_POLL)
    with Client(dsn, config) as client, started(client):
        assert client.pause_queue("default") is True
        assert client.pause_queue("default") is False
        workflow_id = (
            client.new_workflow("paused").add_task("a", Note()).add_task("b", Note(), depends_on=["a"]).execute()
        )
        time.sleep(1.0)  # the creation woke the fetcher: its claim found the queue paused
        assert worker.ran == []
        assert steps_of(conn, workflow_id) == [("a", "available", 0), ("b", "pending", 0)]
        depth = conn.execute("SELECT ready, paused FROM tributary.queue_depths WHERE queue = 'default'").fetchone()
        assert depth == (1, True)

        resumed_at = time.monotonic()
        assert client.resume_queue("default") is True
        result = client.wait(workflow_id, timeout=PROMPTLY)
        assert time.monotonic() - resumed_at < PROMPTLY  # the resume woke the worker, no poll needed
        assert client.resume_queue("default") is False
    assert result.state == "completed"
    assert worker.ran == [("a", 1), ("b", 1)]  # in order, each at its first attempt
    paused = conn.execute("SELECT paused FROM tributary.queue_depths WHERE queue = 'default'").fetchone()
    assert paused is None  # no step left, not paused: no row


def test_the_async_client_pauses_and_resumes(dsn: str, conn: Conn) -> None:
    async def scenario() -> tuple[bool, bool, bool, bool]:
        async with AsyncClient(dsn, Config()) as client:
            return (
                await client.pause_queue("reports"),
                await client.pause_queue("reports"),
                await client.resume_queue("reports"),
                await client.resume_queue("reports"),
            )

    assert asyncio.run(scenario()) == (True, False, True, False)
    assert conn.execute("SELECT count(*) FROM tributary.paused_queues").fetchone() == (0,)


def test_a_null_or_empty_queue_name_is_refused(dsn: str) -> None:
    with Client(dsn, Config()) as client:
        for name in ("", None):
            with pytest.raises(InvalidArgument, match="queue name must not be NULL or empty"):
                client.pause_queue(name)  # type: ignore[arg-type]
            with pytest.raises(InvalidArgument, match="queue name must not be NULL or empty"):
                client.resume_queue(name)  # type: ignore[arg-type]


def test_the_queue_command_and_the_queues_table(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    create_workflow(conn, "waiting", [task("a", queue="billing")])

    assert main(["queue", "pause", "billing", "--dsn", dsn]) == 0
    assert capsys.readouterr().out.strip() == "queue billing paused"
    assert main(["queue", "pause", "billing", "--dsn", dsn]) == 0
    assert capsys.readouterr().out.strip() == "queue billing was already paused: nothing changed"

    assert main(["queues", "--json", "--dsn", dsn]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(q["queue"], q["ready"], q["paused"]) for q in listed] == [("billing", 1, True)]
    assert main(["queues", "--dsn", dsn]) == 0
    table = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert table[0][-1] == "paused"
    assert table[2][0] == "billing"
    assert table[2][-1] == "PAUSED"
    assert main(["status", "--dsn", dsn]) == 0
    assert "PAUSED" in capsys.readouterr().out

    assert main(["queue", "resume", "billing", "--dsn", dsn]) == 0
    assert capsys.readouterr().out.strip() == "queue billing resumed"
    assert main(["queue", "resume", "billing", "--dsn", dsn]) == 0
    assert capsys.readouterr().out.strip() == "queue billing was already running: nothing changed"
    assert main(["queues", "--json", "--dsn", dsn]) == 0
    assert [q["paused"] for q in json.loads(capsys.readouterr().out)] == [False]

    assert main(["queue", "pause", "", "--dsn", dsn]) != 0
    assert "queue name must not be NULL or empty" in capsys.readouterr().err


def test_the_paused_check_is_one_primary_key_lookup(connect: Connect) -> None:
    conn = connect()
    conn.execute("SELECT tributary.pause_queue('p' || i) FROM generate_series(1, 2000) AS i")
    create_workflow(conn, "planned", [task("a", queue="open")])
    claim(conn, "open", "w", 1)  # the plans are made in this session
    create_workflow(conn, "again", [task("a", queue="open")])

    def claim_one() -> None:
        assert len(claim(conn, "open", "w", 1)) == 1

    plans = explained(conn, claim_one)

    paused_checks = [p for p in plans if "paused_queues" in p]
    assert paused_checks, plans
    for plan in paused_checks:
        assert "paused_queues_pkey" in plan, plan
        assert not any(node in plan for node in WHOLE_READS), plan
        assert unbounded_index_scans(plan) == [], plan
