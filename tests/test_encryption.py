"""EncryptHook(SecretBoxEncryptor(key)): args and results are sealed in the database, plaintext in code.

Every test looks for a marker string in the text of the whole step rows, so plaintext leaking
into args, results or error messages is caught wherever it lands.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import nacl.utils
import pytest
from psycopg.types.json import Jsonb

from tests.client_helpers import (
    WAIT_SECONDS,
    Conn,
    fast_config,
    runtime_alive,
    started,
    step_rows,
    steps_text,
    wait_until,
)
from tributary import (
    Client,
    DecryptionError,
    EncryptHook,
    InsertOpts,
    QueueConfig,
    SecretBoxEncryptor,
    Step,
    StepArgs,
    Worker,
)
from tributary.encryption import is_sealed
from tributary.hooks import WorkPayload
from tributary.workflow import WorkflowBuilder

SECRET = "4111-1111-1111-1111-SECRET"
#: Room for retries, so "discarded after one attempt" shows the failure was not retryable.
MANY_ATTEMPTS = InsertOpts(max_attempts=5)


def new_key() -> bytes:
    return nacl.utils.random(32)


def key_id(key: bytes) -> str:
    """The key id envelopes sealed with ``key`` carry."""
    return str(SecretBoxEncryptor(key).seal(None, "probe")["kid"])


def encrypting(*keys: bytes) -> EncryptHook:
    first, *older = keys
    return EncryptHook(SecretBoxEncryptor(first, *older))


class Charge(StepArgs):
    kind = "charge"
    card: str
    amount: int


class Receipt(StepArgs):
    kind = "receipt"


class ChargeWorker(Worker[Charge]):
    def __init__(self) -> None:
        self.seen: list[Charge] = []
        self.lock = threading.Lock()

    def work(self, step: Step[Charge]) -> dict[str, Any]:
        with self.lock:
            self.seen.append(step.args)
        return {"charged": step.args.card, "amount": step.args.amount}


class ReceiptWorker(Worker[Receipt]):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def work(self, step: Step[Receipt]) -> str:
        charge = step.dependency("charge")
        self.seen.append(charge)
        return f"receipt for {charge['charged']} ({charge['amount']})"


def charge_workflow(client: Client, card: str = SECRET) -> int:
    return (
        client.new_workflow("payment")
        .add_task("charge", Charge(card=card, amount=42), insert_opts=MANY_ATTEMPTS)
        .add_task("receipt", Receipt(), depends_on=["charge"])
        .execute()
    )


def test_args_and_results_are_sealed_in_the_table_and_plain_in_code(dsn: str, conn: Conn) -> None:
    charge, receipt = ChargeWorker(), ReceiptWorker()
    with Client(dsn, fast_config(charge, receipt, hooks=[encrypting(new_key())])) as client:
        workflow_id = charge_workflow(client)
        # Sealed from the moment it is inserted, before any worker runs.
        assert SECRET not in steps_text(conn, workflow_id)
        with started(client):
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.state == "completed"
    assert charge.seen == [Charge(card=SECRET, amount=42)]
    assert receipt.seen == [{"charged": SECRET, "amount": 42}]
    assert result.steps["charge"].result == {"charged": SECRET, "amount": 42}
    assert result.steps["receipt"].result == f"receipt for {SECRET} (42)"

    rows = step_rows(conn, workflow_id)
    for name, row in rows.items():
        assert is_sealed(row["args"]), name
        assert is_sealed(row["result"]), name
    assert SECRET not in steps_text(conn, workflow_id)


def test_key_rotation_opens_old_envelopes_and_seals_with_the_new_key(dsn: str, conn: Conn) -> None:
    old, new = new_key(), new_key()
    with Client(dsn, fast_config(hooks=[encrypting(old)])) as old_client:
        workflow_id = charge_workflow(old_client)
    assert {row["args"]["kid"] for row in step_rows(conn, workflow_id).values()} == {key_id(old)}

    charge, receipt = ChargeWorker(), ReceiptWorker()
    with Client(dsn, fast_config(charge, receipt, hooks=[encrypting(new, old)])) as client:
        with started(client):
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        second_id = charge_workflow(client, card="5500-NEW")

    assert result.state == "completed"
    assert charge.seen == [Charge(card=SECRET, amount=42)]
    assert result.steps["receipt"].result == f"receipt for {SECRET} (42)"
    rows = step_rows(conn, workflow_id)
    assert {row["result"]["kid"] for row in rows.values()} == {key_id(new)}
    assert {row["args"]["kid"] for row in step_rows(conn, second_id).values()} == {key_id(new)}
    assert SECRET not in steps_text(conn, workflow_id)

    # A client that only has the old key cannot read what the new key sealed.
    with (
        Client(dsn, fast_config(hooks=[encrypting(old)])) as old_client,
        pytest.raises(DecryptionError, match="which this worker does not have"),
    ):
        old_client.get_workflow(workflow_id)


def set_short_hand_back_grace(conn: Conn) -> None:
    """A step this process lacks the key for is handed back for another process, and discarded
    only after settings.hand_back_grace (tests/test_hand_back.py): make that short."""
    conn.execute(
        "UPDATE tributary.settings SET hand_back_delay = '50 milliseconds', hand_back_grace = '300 milliseconds'"
    )


def test_worker_with_the_wrong_key_hands_the_step_back_and_keeps_running(dsn: str, conn: Conn) -> None:
    set_short_hand_back_grace(conn)
    writer_key, worker_key = new_key(), new_key()
    with Client(dsn, fast_config(hooks=[encrypting(writer_key)])) as writer:
        foreign_id = charge_workflow(writer)

    charge, receipt = ChargeWorker(), ReceiptWorker()
    with Client(dsn, fast_config(charge, receipt, hooks=[encrypting(worker_key)])) as client, started(client):
        foreign = client.wait(foreign_id, timeout=WAIT_SECONDS)
        assert runtime_alive(client)
        own_id = charge_workflow(client, card="own-card")
        own = client.wait(own_id, timeout=WAIT_SECONDS)

    step = foreign.steps["charge"]
    assert (foreign.state, step.state) == ("failed", "discarded")
    assert len(step.errors) == 1
    assert "none has the key they are sealed with" in step.errors[0]["message"]
    assert "does not have" in step.errors[0]["last_error"]
    assert (step.errors[0]["type"], step.errors[0]["reason"]) == ("MissingKey", "missing_key")
    assert step.errors[0]["retryable"] is False
    assert foreign.steps["receipt"].state == "cancelled"
    assert charge.seen == [Charge(card="own-card", amount=42)]
    assert SECRET not in steps_text(conn, foreign_id)

    assert own.state == "completed"
    assert own.steps["receipt"].result == "receipt for own-card (42)"


def test_ciphertext_copied_onto_another_step_does_not_open(dsn: str, conn: Conn) -> None:
    charge = ChargeWorker()
    with Client(dsn, fast_config(charge, hooks=[encrypting(new_key())])) as client:
        workflow_id = (
            client.new_workflow("two charges")
            .add_task("mine", Charge(card="mine", amount=1), insert_opts=MANY_ATTEMPTS)
            .add_task("theirs", Charge(card=SECRET, amount=2), insert_opts=MANY_ATTEMPTS)
            .execute()
        )
        # Someone with write access to the table swaps "theirs" args for "mine" before it is claimed.
        conn.execute(
            "UPDATE tributary.steps SET args = (SELECT args FROM tributary.steps WHERE workflow_id = %s"
            " AND task_name = 'mine') WHERE workflow_id = %s AND task_name = 'theirs'",
            (workflow_id, workflow_id),
        )
        with started(client):
            result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    assert result.steps["mine"].state == "completed"
    theirs = result.steps["theirs"]
    assert (theirs.state, theirs.attempt) == ("discarded", 1)
    assert "does not open" in theirs.errors[0]["message"]
    assert theirs.errors[0]["type"] == "DecryptionError"
    assert charge.seen == [Charge(card="mine", amount=1)]


def test_worker_without_the_hook_refuses_sealed_args_without_crashing(dsn: str, conn: Conn) -> None:
    set_short_hand_back_grace(conn)
    with Client(dsn, fast_config(hooks=[encrypting(new_key())])) as writer:
        sealed_id = charge_workflow(writer)

    charge, receipt = ChargeWorker(), ReceiptWorker()
    with Client(dsn, fast_config(charge, receipt)) as client, started(client):
        sealed = client.wait(sealed_id, timeout=WAIT_SECONDS)
        assert runtime_alive(client)
        plain_id = charge_workflow(client, card="plain-card")
        plain = client.wait(plain_id, timeout=WAIT_SECONDS)

    step = sealed.steps["charge"]
    assert (sealed.state, step.state) == ("failed", "discarded")
    assert (step.errors[0]["type"], step.errors[0]["reason"]) == ("MissingKey", "missing_key")
    assert "no EncryptHook opened them" in step.errors[0]["last_error"]
    assert step.errors[0]["retryable"] is False
    assert charge.seen == [Charge(card="plain-card", amount=42)]
    assert SECRET not in steps_text(conn, sealed_id)
    assert plain.state == "completed"


def test_a_sealed_dependency_result_replaced_by_null_is_refused(dsn: str, conn: Conn) -> None:
    key = new_key()
    charge, receipt = ChargeWorker(), ReceiptWorker()
    later = InsertOpts(queue="later")
    with Client(dsn, fast_config(charge, hooks=[encrypting(key)])) as client:
        workflow_id = (
            client.new_workflow("payment")
            .add_task("charge", Charge(card=SECRET, amount=42))
            .add_task("receipt", Receipt(), depends_on=["charge"], insert_opts=later)
            .execute()
        )
        with started(client):  # works the default queue only: the receipt waits on "later"
            wait_until(lambda: step_rows(conn, workflow_id)["charge"]["state"] == "completed", "charge completed")
    # A superuser past the engine's guards (its triggers off) blanks the sealed result the receipt reads.
    with conn.transaction():
        conn.execute("ALTER TABLE tributary.steps DISABLE TRIGGER USER")
        blank = "UPDATE tributary.steps SET result = NULL WHERE workflow_id = %s AND task_name = 'charge'"
        conn.execute(blank, (workflow_id,))
        conn.execute("ALTER TABLE tributary.steps ENABLE TRIGGER USER")
    queues = {"later": QueueConfig(max_workers=1)}
    with Client(dsn, fast_config(receipt, hooks=[encrypting(key)], queues=queues)) as client, started(client):
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)

    step = result.steps["receipt"]
    assert (step.state, step.attempt) == ("discarded", 1)
    assert step.errors[0]["type"] == "DecryptionError"
    assert 'the result of dependency "charge" is SQL NULL' in step.errors[0]["message"]
    assert receipt.seen == []


def test_args_copied_onto_another_workflows_step_of_the_same_kind_and_name_do_not_open(dsn: str, conn: Conn) -> None:
    charge = ChargeWorker()
    with Client(dsn, fast_config(charge, ReceiptWorker(), hooks=[encrypting(new_key())])) as client:
        victim_id = charge_workflow(client, card=SECRET)
        copy_id = charge_workflow(client, card="attacker-card")
        # Someone with write access to the table runs the victim's charge again in another workflow.
        with conn.transaction():
            conn.execute("ALTER TABLE tributary.steps DISABLE TRIGGER USER")
            conn.execute(
                "UPDATE tributary.steps SET args = (SELECT args FROM tributary.steps WHERE workflow_id = %s"
                " AND task_name = 'charge') WHERE workflow_id = %s AND task_name = 'charge'",
                (victim_id, copy_id),
            )
            conn.execute("ALTER TABLE tributary.steps ENABLE TRIGGER USER")
        with started(client):
            copied = client.wait(copy_id, timeout=WAIT_SECONDS)
            client.wait(victim_id, timeout=WAIT_SECONDS)

    step = copied.steps["charge"]
    assert (step.state, step.attempt) == ("discarded", 1)
    assert step.errors[0]["type"] == "DecryptionError"
    assert "does not open" in step.errors[0]["message"]
    assert charge.seen == [Charge(card=SECRET, amount=42)], "the victim's charge ran once, in its own workflow"


class FlakyCharge(ChargeWorker):
    """Fails its first attempt, so the result stored is the second attempt's."""

    def work(self, step: Step[Charge]) -> dict[str, Any]:
        if step.attempt == 1:
            raise RuntimeError("card network timeout")
        return super().work(step)


def test_an_older_sealed_result_of_the_same_step_put_back_does_not_open(dsn: str, conn: Conn) -> None:
    hook = encrypting(new_key())
    receipt = ReceiptWorker()
    flaky = InsertOpts(max_attempts=3, retry_backoff=timedelta(0))
    with Client(dsn, fast_config(FlakyCharge(), hooks=[hook])) as client:
        workflow_id = (
            client.new_workflow("payment")
            .add_task("charge", Charge(card=SECRET, amount=42), insert_opts=flaky)
            .add_task("receipt", Receipt(), depends_on=["charge"], insert_opts=InsertOpts(queue="later"))
            .execute()
        )
        with started(client):  # works the default queue only: the receipt waits on "later"
            wait_until(lambda: step_rows(conn, workflow_id)["charge"]["state"] == "completed", "charge completed")
    assert step_rows(conn, workflow_id)["charge"]["attempt"] == 2
    # The result attempt 1 would have stored (sealed by the same hook, for attempt 1), put back in
    # place of attempt 2's by a superuser past the engine's guards.
    first = WorkPayload(0, workflow_id, "charge", "charge", "default", 1, 3, None, {}, result={"charged": "forged"})
    hook.after_work(first, None)
    with conn.transaction():
        conn.execute("ALTER TABLE tributary.steps DISABLE TRIGGER USER")
        conn.execute(
            "UPDATE tributary.steps SET result = %s WHERE workflow_id = %s AND task_name = 'charge'",
            (Jsonb(first.result), workflow_id),
        )
        conn.execute("ALTER TABLE tributary.steps ENABLE TRIGGER USER")
    queues = {"later": QueueConfig(max_workers=1)}
    with Client(dsn, fast_config(receipt, hooks=[hook], queues=queues)) as client, started(client):
        wait_until(lambda: step_rows(conn, workflow_id)["receipt"]["state"] == "discarded", "receipt discarded")
        with pytest.raises(DecryptionError, match=r'result of "charge" \(attempt 2\).*does not open'):
            client.get_workflow(workflow_id)  # reading it back refuses it the same way

    step = step_rows(conn, workflow_id)["receipt"]
    assert step["attempt"] == 1
    assert step["errors"][0]["type"] == "DecryptionError"
    assert 'result of "charge" (attempt 2)' in step["errors"][0]["message"]
    assert "does not open" in step["errors"][0]["message"]
    assert receipt.seen == []


def test_workflow_ids_are_reserved_so_sealed_args_are_bound_in_every_creation_path(dsn: str, conn: Conn) -> None:
    charge, receipt = ChargeWorker(), ReceiptWorker()
    with Client(dsn, fast_config(charge, receipt, hooks=[encrypting(new_key())])) as client:
        with client.connection() as tx:
            in_tx = charge_workflow_spec(client, "in a transaction").execute(conn=tx)
        many = client.insert_many([charge_workflow_spec(client, f"card {i}") for i in range(3)])
        with started(client):
            results = [client.wait(i, timeout=WAIT_SECONDS) for i in [in_tx, *many]]

    assert [r.state for r in results] == ["completed"] * 4
    assert [r.steps["receipt"].result for r in results] == [
        "receipt for in a transaction (42)",
        "receipt for card 0 (42)",
        "receipt for card 1 (42)",
        "receipt for card 2 (42)",
    ]
    bindings = conn.execute(
        "SELECT DISTINCT args->>'to' FROM tributary.steps WHERE workflow_id = ANY(%s)", ([in_tx, *many],)
    ).fetchall()
    assert bindings == [("workflow",)]


def charge_workflow_spec(client: Client, card: str) -> WorkflowBuilder:
    return (
        client.new_workflow("payment")
        .add_task("charge", Charge(card=card, amount=42))
        .add_task("receipt", Receipt(), depends_on=["charge"])
    )


def test_envelopes_sealed_before_bindings_open_unless_refused(dsn: str, conn: Conn) -> None:
    key = new_key()
    with Client(dsn, fast_config()) as plain:
        workflow_ids = [
            plain.new_workflow("old")
            .add_task("charge", Charge(card=SECRET, amount=1), insert_opts=InsertOpts(queue=q))
            .execute()
            for q in ("default", "strict")
        ]
    # Args as an earlier version sealed them: bound to kind and task name, no "to".
    legacy = SecretBoxEncryptor(key).seal({"card": SECRET, "amount": 1}, json.dumps(["args", "charge", "charge"]))
    conn.execute("UPDATE tributary.steps SET args = %s WHERE workflow_id = ANY(%s)", (Jsonb(legacy), workflow_ids))

    accepting, refusing = ChargeWorker(), ChargeWorker()
    with Client(dsn, fast_config(accepting, hooks=[encrypting(key)])) as client, started(client):
        opened = client.wait(workflow_ids[0], timeout=WAIT_SECONDS)
    strict = EncryptHook(SecretBoxEncryptor(key), accept_legacy=False)
    strict_queue = {"strict": QueueConfig(max_workers=1)}
    with Client(dsn, fast_config(refusing, hooks=[strict], queues=strict_queue)) as client, started(client):
        refused = client.wait(workflow_ids[1], timeout=WAIT_SECONDS)

    assert opened.state == "completed"
    assert accepting.seen[0] == Charge(card=SECRET, amount=1)
    assert refused.steps["charge"].state == "discarded"
    assert "sealed without a binding" in refused.steps["charge"].errors[0]["message"]
    assert refusing.seen == []
