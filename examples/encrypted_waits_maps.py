"""Encryption with results the engine makes: a map, a wait for an event, a sleep and a child
workflow, all sealed in the database and plaintext only inside workers.

With ``EncryptHook``: the list a map maps over is sealed element by element as well (each
element step gets its own element, opened); ``client.send_event`` seals the event's payload for
the event name and the workflow; a sleep's NULL result is accepted only for a step the engine
reports as a sleep; a child workflow's leaf results open with the child's id. ``run_if`` and
``map_path`` cannot see into sealed results and are refused at ``execute()``.

Run::

    DATABASE_URL=postgresql://localhost/app TRIBUTARY_KEY=$(openssl rand -hex 32) \\
        python -m examples.encrypted_waits_maps
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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


class ListCardsArgs(StepArgs):
    kind = "encm_list_cards"
    customer: str


class ChargeArgs(StepArgs):
    kind = "encm_charge"
    amount_cents: int
    element: str = ""  # set per element of the map: one card number, opened for the handler


class ShipArgs(StepArgs):
    kind = "encm_ship"
    address: str


class LabelArgs(StepArgs):
    kind = "encm_label"
    address: str


class SummaryArgs(StepArgs):
    kind = "encm_summary"


class ListCardsWorker(Worker[ListCardsArgs]):
    def work(self, step: Step[ListCardsArgs]) -> list[str]:
        return ["4111111111111111", "5500000000000004"]  # sealed whole and element by element


class ChargeWorker(Worker[ChargeArgs]):
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def work(self, step: Step[ChargeArgs]) -> str:
        self.seen.append(step.args.element)
        return f"charged {step.args.amount_cents} to ...{step.args.element[-4:]}"


class ShipWorker(Worker[ShipArgs]):
    """Hands the step over to a child workflow; its result becomes the child's leaf results."""

    def __init__(self, client_ref: list[Client]) -> None:
        self.client_ref = client_ref

    def work(self, step: Step[ShipArgs]) -> None:
        child = self.client_ref[0].new_workflow("shipping").add_task("label", LabelArgs(address=step.args.address))
        step.spawn(child)


class LabelWorker(Worker[LabelArgs]):
    def work(self, step: Step[LabelArgs]) -> str:
        return f"label for {step.args.address}"


class SummaryWorker(Worker[SummaryArgs]):
    def work(self, step: Step[SummaryArgs]) -> dict[str, Any]:
        return dict(step.dependency_results)  # every dependency opened, each with its own binding


@dataclass
class Run:
    workflow: WorkflowResult
    secrets: list[str]
    seen_cards: list[str] = field(default_factory=list)


def make_config(seen_cards: list[str], client_ref: list[Client], key: str | None = None) -> Config:
    key = key or os.environ.get("TRIBUTARY_KEY") or secrets.token_hex(32)  # a demo key when none is given
    return Config(
        queues={"default": QueueConfig(max_workers=2)},
        workers=Workers(
            ListCardsWorker(), ChargeWorker(seen_cards), ShipWorker(client_ref), LabelWorker(), SummaryWorker()
        ),
        hooks=[EncryptHook(SecretBoxEncryptor(key))],
        wake_interval=timedelta(milliseconds=100),  # ends the short sleep below promptly
    )


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.encrypted_waits_maps:app``."""
    return make_config([], [])


def main(dsn: str, key: str | None = None) -> Run:
    seen_cards: list[str] = []
    client_ref: list[Client] = []
    address = "1 Secret Lane, Springfield"
    with Client(dsn, make_config(seen_cards, client_ref, key)) as client:
        client_ref.append(client)
        client.start()
        workflow_id = (
            client.new_workflow("order")
            .add_task("cards", ListCardsArgs(customer="ana"))
            .add_task("charge", ChargeArgs(amount_cents=1999), depends_on=["cards"], map_over="cards")
            .add_wait("approve", "approved", timeout=timedelta(days=1))
            .add_sleep("cool_off", timedelta(milliseconds=200), depends_on=["approve"])
            .add_task("ship", ShipArgs(address=address), depends_on=["cool_off"])
            .add_task("summary", SummaryArgs(), depends_on=["charge", "approve", "cool_off", "ship"])
            .execute()
        )
        client.send_event("approved", {"by": "ana@example.com"}, workflow_id=workflow_id)  # sealed by the hook
        result = client.wait(workflow_id, timeout=30)
    return Run(result, ["4111111111111111", "5500000000000004", address, "ana@example.com"], seen_cards)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)
    run = main(database_url)
    print(f"workflow {run.workflow.id} {run.workflow.state}: summary={run.workflow.result('summary')}")
