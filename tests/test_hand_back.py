"""A step its claiming process cannot run is handed back for another process, not failed.

During a rolling deploy one worker process may not know a kind yet (or may lack the key a
payload is sealed with) while another does: the step must run on the one that can, without an
attempt counted. With no process able to run it, the engine discards it once
``settings.hand_back_grace`` has passed since its first hand-back, saying why.
"""

from __future__ import annotations

import threading
from typing import Any

import nacl.utils

from tests.client_helpers import WAIT_SECONDS, Conn, fast_config, runtime_alive, started, step_rows, wait_until
from tests.engine_helpers import claim, complete_steps, create_workflow, task
from tests.fix_database import Connect
from tests.test_plan_stability import WHOLE_READS, explained, unbounded_index_scans
from tributary import Client, EncryptHook, InsertOpts, SecretBoxEncryptor, Step, StepArgs, Worker

ONE_ATTEMPT = InsertOpts(max_attempts=1)


class Invoice(StepArgs):
    """The new kind: only the new process has a worker for it."""

    kind = "invoice"
    n: int = 1


class Echo(StepArgs):
    kind = "echo"
    text: str = "hi"


class Recording:
    """Records which process ran what (its ``process`` name)."""

    def __init__(self, process: str) -> None:
        self.process = process
        self.lock = threading.Lock()
        self.ran: list[tuple[str, str, int]] = []

    def record(self, step: Step[Any]) -> None:
        with self.lock:
            self.ran.append((self.process, step.task_name, step.attempt))


class InvoiceWorker(Recording, Worker[Invoice]):
    def work(self, step: Step[Invoice]) -> int:
        self.record(step)
        return step.args.n


class EchoWorker(Recording, Worker[Echo]):
    def work(self, step: Step[Echo]) -> str:
        self.record(step)
        return step.args.text


def set_hand_back(conn: Conn, delay: str, grace: str) -> None:
    conn.execute("UPDATE tributary.settings SET hand_back_delay = %s, hand_back_grace = %s", (delay, grace))


def handed_back(conn: Conn, workflow_id: int, task: str) -> bool:
    errors = step_rows(conn, workflow_id)[task]["errors"]
    return any(entry.get("handed_back") for entry in errors)


def test_a_kind_only_one_process_knows_runs_there_without_counting_an_attempt(dsn: str, conn: Conn) -> None:
    set_hand_back(conn, "200 milliseconds", "1 minute")
    old_echo, new_echo, new_invoice = EchoWorker("old"), EchoWorker("new"), InvoiceWorker("new")
    with Client(dsn, fast_config(old_echo)) as old, started(old):
        workflow_id = (
            old.new_workflow("rolling deploy")
            .add_task("invoice", Invoice(n=7), insert_opts=ONE_ATTEMPT)
            .add_task("after", Echo(text="done"), depends_on=["invoice"])
            .execute()
        )
        wait_until(lambda: handed_back(conn, workflow_id, "invoice"), "the old process handed the step back")
        with Client(dsn, fast_config(new_echo, new_invoice)) as new, started(new):
            result = new.wait(workflow_id, timeout=WAIT_SECONDS)
        assert runtime_alive(old)

    assert result.state == "completed"
    assert result.result("invoice") == 7
    assert [(process, task) for process, task, _ in new_invoice.ran] == [("new", "invoice")]
    row = step_rows(conn, workflow_id)["invoice"]
    # max_attempts was 1: had a hand-back counted, the step would have been discarded.
    assert row["max_attempts"] - row["attempt"] == 0
    assert new_invoice.ran[0][2] == row["attempt"]
    entry = row["errors"][-1]
    assert len(row["errors"]) == 1  # consecutive hand-backs keep one entry
    assert (entry["reason"], entry["handed_back"], entry["type"]) == ("unknown_kind", True, "UnknownKind")
    assert entry["hand_backs"] == row["attempt"] - 1
    assert 'no worker is registered for kind "invoice"' in entry["message"]


def test_a_kind_no_process_knows_is_discarded_after_the_grace(dsn: str, conn: Conn) -> None:
    set_hand_back(conn, "100 milliseconds", "1 second")
    echo = EchoWorker("old")
    with Client(dsn, fast_config(echo)) as old, started(old):
        workflow_id = (
            old.new_workflow("nobody")
            .add_task("invoice", Invoice(), insert_opts=ONE_ATTEMPT)
            .add_task("after", Echo(), depends_on=["invoice"])
            .execute()
        )
        result = old.wait(workflow_id, timeout=WAIT_SECONDS)
        assert runtime_alive(old)

    assert result.state == "failed"
    step = result.steps["invoice"]
    assert step.state == "discarded"
    assert step.attempt > 1  # handed back, then discarded: no attempt counted until then
    assert len(step.errors) == 1
    entry = step.errors[0]
    assert entry["message"].startswith('no worker process could run kind "invoice" (task "invoice") for 00:00:01')
    assert 'no worker is registered for kind "invoice"' in entry["last_error"]
    assert (entry["reason"], entry["handed_back"], entry["retryable"]) == ("unknown_kind", False, False)
    assert result.steps["after"].state == "cancelled"
    assert echo.ran == []


def test_a_step_sealed_with_a_key_only_one_process_has_runs_there(dsn: str, conn: Conn) -> None:
    set_hand_back(conn, "200 milliseconds", "1 minute")
    old_key, new_key = nacl.utils.random(32), nacl.utils.random(32)
    old_invoice, new_invoice = InvoiceWorker("old"), InvoiceWorker("new")
    new_hook = EncryptHook(SecretBoxEncryptor(new_key, old_key))
    with Client(dsn, fast_config(hooks=[new_hook])) as writer:  # sealed with the new key
        workflow_id = writer.new_workflow("sealed").add_task("invoice", Invoice(n=3), insert_opts=ONE_ATTEMPT).execute()

    old_config = fast_config(old_invoice, hooks=[EncryptHook(SecretBoxEncryptor(old_key))])
    with Client(dsn, old_config) as old, started(old):
        wait_until(lambda: handed_back(conn, workflow_id, "invoice"), "the process without the new key handed it back")
        with Client(dsn, fast_config(new_invoice, hooks=[new_hook])) as new, started(new):
            result = new.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert result.result("invoice") == 3
    assert old_invoice.ran == []
    assert [(process, task) for process, task, _ in new_invoice.ran] == [("new", "invoice")]
    row = step_rows(conn, workflow_id)["invoice"]
    assert row["max_attempts"] - row["attempt"] == 0
    entry = row["errors"][-1]
    assert (entry["reason"], entry["type"]) == ("missing_key", "MissingKey")
    assert "which this worker does not have" in entry["message"]


def test_hand_back_reads_the_step_by_key_after_growth(connect: Connect) -> None:
    """Plans made on an almost empty database (force_generic_plan) stay index scans once it is large."""
    conn = connect()
    conn.execute("UPDATE tributary.settings SET hand_back_delay = '0'")

    def hand_back(step_id: int, attempt: int) -> None:
        conn.execute("SELECT tributary.hand_back_step(%s, %s, 'unknown_kind')", (step_id, attempt))

    def graph(queue: str) -> None:
        create_workflow(conn, queue, [task("a", queue=queue), task("b", queue=queue, depends_on=["a"])])

    graph("planned-while-empty")
    conn.execute("UPDATE tributary.settings SET hand_back_grace = '1 hour'")
    step = claim(conn, "planned-while-empty", "w", 1)[0]
    hand_back(step.step_id, step.attempt)
    conn.execute("UPDATE tributary.settings SET hand_back_grace = '0'")
    again = claim(conn, "planned-while-empty", "w", 1)[0]
    hand_back(again.step_id, again.attempt)

    create_workflow(conn, "history", [task(f"h{i}") for i in range(2000)])
    complete_steps(conn, claim(conn, "default", "bulk", 2000))
    graph("after-growth")
    conn.execute("UPDATE tributary.settings SET hand_back_grace = '1 hour'")
    first = claim(conn, "after-growth", "w", 1)[0]
    plans = explained(conn, lambda: hand_back(first.step_id, 1))
    conn.execute("UPDATE tributary.settings SET hand_back_grace = '0'")
    second = claim(conn, "after-growth", "w", 1)[0]
    plans += explained(conn, lambda: hand_back(second.step_id, 2))

    assert conn.execute("SELECT state FROM tributary.steps WHERE id = %s", (second.step_id,)).fetchone() == (
        "discarded",
    )
    statements = [p for p in plans if "tributary.steps" in p]
    assert any("steps_pkey" in p for p in statements), plans
    whole_reads = [p for p in statements if any(node in p for node in WHOLE_READS) or unbounded_index_scans(p)]
    assert whole_reads == [], "\n\n".join(whole_reads)
