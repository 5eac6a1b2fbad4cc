"""Encryption: step args and results sealed in the database, plaintext only inside workers.

``EncryptHook(SecretBoxEncryptor(key))`` seals every step's args before the workflow is
inserted and every result before it is stored (NaCl secretbox, a 32-byte key). Workers and
``Client.wait`` see plaintext; the ``tributary.steps`` table, backups and anyone with psql see
only ``{"tributary_sealed": 1, "kid": ..., "ct": ...}`` envelopes. Every client that creates
these workflows, works them or reads their results needs the key.

Make a key with ``openssl rand -hex 32`` and keep it in your secret store; pass older keys after
the current one to ``SecretBoxEncryptor`` to rotate without losing old payloads.

Run::

    DATABASE_URL=postgresql://localhost/app TRIBUTARY_KEY=$(openssl rand -hex 32) \\
        python -m examples.encryption
    # or only its workers, for workflows that other clients create (they run until SIGTERM);
    # they need the key those clients seal with:
    DATABASE_URL=postgresql://localhost/app TRIBUTARY_KEY=... tributary worker --app examples.encryption:app
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field

from pydantic import BaseModel

from tributary import (
    Client,
    Config,
    EncryptHook,
    QueueConfig,
    SecretBoxEncryptor,
    Step,
    StepArgs,
    Worker,
    Workers,
    WorkflowResult,
    migrate,
)


class ChargeCardArgs(StepArgs):
    kind = "enc_charge_card"
    card_number: str  # sealed in the database like every other arg
    amount_cents: int


class SendReceiptArgs(StepArgs):
    kind = "enc_send_receipt"
    email: str


class Charge(BaseModel):
    charge_id: str
    card_last4: str
    amount_cents: int


class ChargeCardWorker(Worker[ChargeCardArgs]):
    def __init__(self, seen_cards: list[str]) -> None:
        self.seen_cards = seen_cards
        self._lock = threading.Lock()

    def work(self, step: Step[ChargeCardArgs]) -> Charge:
        with self._lock:
            self.seen_cards.append(step.args.card_number)  # the handler gets plaintext args
        card = step.args.card_number
        return Charge(charge_id=f"ch_{step.workflow_id}_{card[-4:]}", card_last4=card[-4:], amount_cents=1999)


class SendReceiptWorker(Worker[SendReceiptArgs]):
    def work(self, step: Step[SendReceiptArgs]) -> dict[str, str]:
        charge = step.dependency("charge", Charge)  # dependency results are opened for us too
        return {"sent_to": step.args.email, "charge_id": charge.charge_id}


@dataclass
class EncryptionRun:
    workflow: WorkflowResult
    card_number: str
    seen_cards: list[str] = field(default_factory=list)


def make_config(seen_cards: list[str], key: str | None = None) -> Config:
    """The example's Config, sealing with ``key`` (else ``TRIBUTARY_KEY``); the charge worker
    appends the card numbers it sees to ``seen_cards``."""
    # A fresh random key when none is given: fine for a demo, useless for real data (and for a
    # worker process, which must open what other clients sealed: give it their TRIBUTARY_KEY).
    key = key or os.environ.get("TRIBUTARY_KEY") or secrets.token_hex(32)
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(ChargeCardWorker(seen_cards), SendReceiptWorker()),
        hooks=[EncryptHook(SecretBoxEncryptor(key))],
    )


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.encryption:app`` works its queues."""
    return make_config(seen_cards=[])


def main(dsn: str, key: str | None = None) -> EncryptionRun:
    card_number = "4111111111111111"
    seen_cards: list[str] = []  # kept here to read back what the handler saw
    with Client(dsn, make_config(seen_cards, key)) as client:
        client.start()
        workflow_id = (
            client.new_workflow("payment")
            .add_task("charge", ChargeCardArgs(card_number=card_number, amount_cents=1999))
            .add_task("receipt", SendReceiptArgs(email="ana@example.com"), depends_on=["charge"])
            .execute()
        )
        result = client.wait(workflow_id, timeout=30)  # results come back decrypted
    return EncryptionRun(workflow=result, card_number=card_number, seen_cards=seen_cards)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    run = main(database_url)
    print(
        f"workflow {run.workflow.id} {run.workflow.state}: charge={run.workflow.result('charge')} "
        f"receipt={run.workflow.result('receipt')} (stored sealed in tributary.steps)"
    )
