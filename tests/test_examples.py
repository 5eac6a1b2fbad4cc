"""Each example under examples/ runs end to end against a fresh test database and does what its
docstring says; each exposes an ``app`` that ``tributary worker --app`` runs."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.rows import TupleRow

import examples
from examples import (
    ai_pipeline,
    approval_flow,
    batch_partial_failure,
    child_workflows,
    conditional_branching,
    delayed_workflow,
    encrypted_waits_maps,
    encryption,
    etl_chain,
    fan_out_fan_in,
    flow_control,
    map_step,
    non_retryable,
    queues,
    retries,
    scheduled_report,
    sleep_steps,
    started_workflows,
)
from tributary import Client
from tributary.cli.app import load_app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    "etl_chain",
    "fan_out_fan_in",
    "conditional_branching",
    "map_step",
    "retries",
    "non_retryable",
    "batch_partial_failure",
    "encryption",
    "encrypted_waits_maps",
    "queues",
    "ai_pipeline",
    "delayed_workflow",
    "scheduled_report",
    "quickstart",
    "approval_flow",
    "sleep_steps",
    "child_workflows",
    "started_workflows",
    "flow_control",
]


def _stored_steps(conn: psycopg.Connection[TupleRow], workflow_id: int) -> dict[str, tuple[Any, ...]]:
    """Each step's row as stored: task_name -> (queue, max_attempts, timeout, args, result)."""
    rows = conn.execute(
        "SELECT task_name, queue, max_attempts, timeout, args::text, result::text"
        " FROM tributary.steps WHERE workflow_id = %s",
        (workflow_id,),
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_etl_chain_passes_results_by_task_name(dsn: str) -> None:
    outcome = etl_chain.main(dsn)

    assert outcome.state == "completed"
    assert {name: step.state for name, step in outcome.steps.items()} == {
        "extract": "completed",
        "transform": "completed",
        "load": "completed",
    }
    transformed = outcome.result("transform", etl_chain.Transformed)
    # 1000 EUR + 2500 USD * 0.92 + 400 GBP * 1.17, in euro cents.
    assert [o.amount_cents for o in transformed.orders] == [1000, 2300, 468]
    assert {o.currency for o in transformed.orders} == {"EUR"}
    assert transformed.total_cents == 3768
    # load saw transform's result (not extract's): its rows and total come from it.
    assert outcome.result("load", etl_chain.Loaded) == etl_chain.Loaded(table="orders_eur", rows=3, total_cents=3768)


def test_fan_out_fan_in_aggregates_every_branch(dsn: str) -> None:
    outcome = fan_out_fan_in.main(dsn)

    assert outcome.state == "completed"
    expected = [
        fan_out_fan_in.PartResult(part=i, count=4, sum_of_squares=sum(n * n for n in range(1 + i, 21, 5)))
        for i in range(5)
    ]
    for i, part in enumerate(expected):
        assert outcome.result(f"process_{i}", fan_out_fan_in.PartResult) == part
    aggregated = outcome.result("aggregate", fan_out_fan_in.Aggregated)
    assert aggregated.parts == expected  # all five results, each read by its task name
    assert aggregated.total == sum(n * n for n in range(1, 21)) == 2870


def test_conditional_branching_runs_only_the_chosen_branch(dsn: str) -> None:
    outcome = conditional_branching.main(dsn)

    assert outcome.state == "completed"
    assert outcome.result("decision") == {"path": "a"}
    assert outcome.result("process_a") == {"order_id": 42, "approved": True, "by": "auto"}
    assert outcome.steps["process_b"].state == "skipped"
    assert outcome.steps["process_b"].attempt == 0  # never claimed
    assert outcome.result("process_b") is None
    assert outcome.result("notify") == {
        "to": "bo",
        "branch": "process_a",
        "outcome": {"order_id": 42, "approved": True, "by": "auto"},
    }


def test_conditional_branching_other_branch(dsn: str) -> None:
    outcome = conditional_branching.main(dsn, amount_cents=50_000)

    assert outcome.state == "completed"
    assert outcome.steps["process_a"].state == "skipped"
    assert outcome.result("process_b") == {"order_id": 42, "queued_for": ["ana"]}
    assert outcome.result("notify")["branch"] == "process_b"


def test_map_step_runs_once_per_element_and_collects_in_order(dsn: str) -> None:
    outcome = map_step.main(dsn)

    assert outcome.state == "completed"
    assert outcome.result("fetch") == [
        {"url": "https://example.com/", "size": 100},
        {"url": "https://example.com/about", "size": 600},
        {"url": "https://example.com/blog", "size": 500},
    ]
    assert outcome.steps["fetch"].map == {"over": "list_pages", "path": "pages", "size": 3}
    elements = {name: step for name, step in outcome.steps.items() if step.map_step_id == outcome.steps["fetch"].id}
    assert sorted((step.map_index, name, step.state) for name, step in elements.items()) == [
        (0, "fetch[0]", "completed"),
        (1, "fetch[1]", "completed"),
        (2, "fetch[2]", "completed"),
    ]
    assert outcome.result("report") == {"pages": 3, "bytes": 1200, "first": "https://example.com/"}


def test_retries_succeed_on_third_attempt_with_both_errors_recorded(dsn: str) -> None:
    outcome = retries.main(dsn)

    assert outcome.state == "completed"
    step = outcome.steps["fetch_quote"]
    assert step.state == "completed"
    assert step.attempt == 3
    assert step.result == {"symbol": "ACME", "price_cents": 18_250, "attempt": 3}
    assert [(e["attempt"], e["message"], e["type"], e["retryable"]) for e in step.errors] == [
        (1, "quote service unavailable (attempt 1)", "ConnectionError", True),
        (2, "quote service unavailable (attempt 2)", "ConnectionError", True),
    ]


def test_non_retryable_bad_request_is_a_result_and_discard_fails_the_workflow(dsn: str) -> None:
    outcome = non_retryable.main(dsn)

    fetch = outcome.steps["fetch_order"]
    assert (fetch.state, fetch.attempt, fetch.errors) == ("completed", 1, [])
    assert fetch.result == {"error": "bad_request", "status": 400, "detail": "order id must be a number"}

    charge = outcome.steps["charge"]
    assert (charge.state, charge.attempt) == ("discarded", 1)  # max_attempts is 5: Discard skips retries
    assert len(charge.errors) == 1
    assert charge.errors[0]["message"] == "amount must be positive, got -500"
    assert charge.errors[0]["retryable"] is False

    ship = outcome.steps["ship"]
    assert (ship.state, ship.attempt) == ("cancelled", 0)
    assert ship.cancel_reason is not None
    assert "charge" in ship.cancel_reason
    assert "discarded" in ship.cancel_reason
    assert outcome.state == "failed"


def test_batch_partial_failure_lets_the_dependent_step_decide(dsn: str) -> None:
    outcome = batch_partial_failure.main(dsn)

    assert outcome.state == "completed"
    assert outcome.steps["send_invites"].attempt == 1  # item failures did not fail the step
    batch = outcome.result("send_invites", batch_partial_failure.BatchResult)
    assert batch.successful == ["ana@example.com", "cy@example.com", "di@example.com"]
    assert batch.failed == ["bo@bounce.example", "not-an-address"]
    review = outcome.result("review", batch_partial_failure.Review)
    assert review == batch_partial_failure.Review(action="retry_failed", retry=batch.failed)  # 2/5 <= 0.5


def test_encryption_keeps_plaintext_out_of_the_database(dsn: str, conn: psycopg.Connection[TupleRow]) -> None:
    run = encryption.main(dsn)

    assert run.workflow.state == "completed"
    assert run.seen_cards == [run.card_number]  # the handler got the plaintext args
    charge = run.workflow.result("charge", encryption.Charge)  # wait() opens the sealed result
    assert charge == encryption.Charge(charge_id=f"ch_{run.workflow.id}_1111", card_last4="1111", amount_cents=1999)
    assert run.workflow.result("receipt") == {"sent_to": "ana@example.com", "charge_id": charge.charge_id}

    stored = _stored_steps(conn, run.workflow.id)
    assert set(stored) == {"charge", "receipt"}
    for _queue, _attempts, _timeout, args, result in stored.values():
        for text in (args, result):
            assert '"tributary_sealed": 1' in text
            for secret in (run.card_number, charge.charge_id, "ana@example.com"):
                assert secret not in text


def test_encrypted_waits_maps_and_children_open_in_workers_and_stay_sealed(
    dsn: str, conn: psycopg.Connection[TupleRow]
) -> None:
    run = encrypted_waits_maps.main(dsn)

    assert run.workflow.state == "completed"
    assert sorted(run.seen_cards) == sorted(run.secrets[:2])  # each element step got its card, opened
    assert run.workflow.result("summary") == {
        "charge": ["charged 1999 to ...1111", "charged 1999 to ...0004"],
        "approve": {"by": "ana@example.com"},
        "cool_off": None,
        "ship": {"label": f"label for {run.secrets[2]}"},
    }
    text = "\n".join(str(value) for row in _stored_steps(conn, run.workflow.id).values() for value in row)
    child_ids = [child["id"] for child in run.workflow.children]
    for child_id in child_ids:
        text += "\n".join(str(value) for row in _stored_steps(conn, child_id).values() for value in row)
    for secret in run.secrets:
        assert secret not in text


def test_queues_never_exceed_and_reach_their_max_workers(dsn: str) -> None:
    run = queues.main(dsn)

    assert run.workflow.state == "completed"
    assert run.max_workers == {"cpu_heavy": 4, "io_heavy": 20, "gpu": 2, "thumbnails": 4}
    assert run.total == {"cpu_heavy": 16, "io_heavy": 40, "gpu": 12, "thumbnails": 60}  # routed by insert_opts()
    for queue, limit in run.max_workers.items():
        assert run.peak[queue] <= limit, f"{queue} ran {run.peak[queue]} handlers at once (max {limit})"
    assert run.peak["cpu_heavy"] == 4
    assert run.peak["gpu"] == 2
    assert run.peak["io_heavy"] > 4  # not throttled by the smaller queues
    assert run.peak["thumbnails"] == 4  # its prefetch claims ahead; still max_workers run at once


def test_flow_control_caps_each_customer_and_the_partner_rate_across_two_processes(dsn: str) -> None:
    run = flow_control.main(dsn)

    assert run.workflow.state == "completed"
    assert run.peak == {"customer:1": 2, "customer:2": 2, "customer:3": 2}  # reached, never exceeded
    starts = run.partner_starts
    assert len(starts) == 10
    # A burst of 4, then one every 0.25 s: the tenth call starts about 1.5 s after the first, and
    # over any span t at most 4 * (1 + t) calls start (0.1 s allowed for clock jitter).
    assert starts[-1] - starts[0] >= 1.2
    for i, first in enumerate(starts):
        for j in range(i + 1, len(starts)):
            assert j - i + 1 <= 4 * (1 + starts[j] - first + 0.1)
    assert ("key", "partner-api", None, 4) in run.limits


def test_ai_pipeline_stores_each_step_types_options(dsn: str, conn: psycopg.Connection[TupleRow]) -> None:
    outcome = ai_pipeline.main(dsn)

    assert outcome.state == "completed"
    assert outcome.result("train") == {"model_type": "transformer", "trained_on": 2, "attempt": 1}
    stored = {name: row[:3] for name, row in _stored_steps(conn, outcome.id).items()}
    assert stored == {
        "ingest": ("default", 5, None),  # database defaults (tributary.settings)
        "preprocess": ("cpu_heavy", 5, timedelta(minutes=10)),
        "train": ("gpu", 3, timedelta(minutes=60)),
    }


def test_delayed_workflow_runs_nothing_before_scheduled_at(dsn: str) -> None:
    run = delayed_workflow.main(dsn)

    assert run.workflow.state == "completed"
    assert set(run.starts) == {"first_reminder", "second_reminder"}
    for task, started in run.starts.items():
        assert started >= run.scheduled_at, f"{task} started {run.scheduled_at - started} early"
    assert run.starts["second_reminder"] >= run.starts["first_reminder"]
    assert run.workflow.finalized_at is not None
    assert run.workflow.finalized_at >= run.scheduled_at
    # It did start: within a few poll intervals of scheduled_at, not much later.
    assert run.starts["first_reminder"] - run.scheduled_at < timedelta(seconds=2)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_exposes_an_app_for_tributary_worker(name: str, dsn: str) -> None:
    with load_app(f"examples.{name}:app", dsn) as client:
        assert client.config.queues
        assert {worker.kind for worker in client.config.workers}  # at least one kind has a worker


def test_tributary_worker_runs_the_etl_chain_app_and_exits_0_on_sigterm(dsn: str) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tributary.cli", "worker", "--app", "examples.etl_chain:app", "--dsn", dsn],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Same config, never started: this client only creates the workflow; the worker process runs it.
        with Client(dsn, etl_chain.app()) as client:
            workflow_id = (
                client.new_workflow("etl")
                .add_task("extract", etl_chain.ExtractArgs(source="orders.csv"))
                .add_task("transform", etl_chain.TransformArgs(), depends_on=["extract"])
                .add_task("load", etl_chain.LoadArgs(table="orders_eur"), depends_on=["transform"])
                .execute()
            )
            outcome = client.wait(workflow_id, timeout=30)
        assert outcome.state == "completed"
        assert outcome.result("load", etl_chain.Loaded) == etl_chain.Loaded(
            table="orders_eur", rows=3, total_cents=3768
        )

        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
        assert worker.returncode == 0, stderr
    finally:
        if worker.poll() is None:
            worker.kill()
            _, stderr = worker.communicate(timeout=10)
            sys.stderr.write(stderr)  # the worker's log, shown with the failure


def test_scheduled_report_defines_its_schedule_and_fires_it(dsn: str) -> None:
    with scheduled_report.app(dsn) as client:
        [weekday] = client.schedules()
        assert (weekday.name, weekday.cron, weekday.time_zone, weekday.overlap, weekday.catch_up) == (
            "weekday_sales_report", "0 7 * * MON-FRI", "Europe/Paris", "skip", "last",
        )  # fmt: skip
        assert weekday.next_fire_at is not None
        local = weekday.next_fire_at.astimezone(ZoneInfo("Europe/Paris"))
        assert (local.hour, local.minute, local.weekday() < 5) == (7, 0, True)

    outcomes = scheduled_report.main(dsn, runs=2)

    assert len(outcomes) == 2
    for outcome in outcomes:
        assert outcome.state == "completed"
        assert outcome.result("report") == "Daily sales: 12 orders, 480.00 EUR (eu)"
    with psycopg.connect(dsn) as conn:
        fire_times = conn.execute(
            "SELECT DISTINCT metadata->>'fire_at' FROM tributary.workflows"
            " WHERE metadata->>'schedule' = 'demo_sales_report'"
        ).fetchall()
        names = conn.execute("SELECT name FROM tributary.schedules").fetchall()
    assert len(fire_times) >= 2, "one workflow per fire time"
    assert names == [("weekday_sales_report",)], "the demo schedule was deleted; app() keeps the weekday one"


def test_approval_flow_pays_the_answered_request_and_rejects_the_unanswered_one(dsn: str) -> None:
    run = approval_flow.main(dsn)

    assert run.answered.state == "completed"
    assert run.answered.result("approve") == {"approved": True, "by": "carla"}, "the event's payload"
    assert run.answered.result("decide") == {"paid": True, "amount_cents": 12_000, "decided_by": "carla"}
    assert run.unanswered.state == "completed"
    assert run.unanswered.result("approve") == approval_flow.REJECTED_BY_TIMEOUT, "the default after the timeout"
    assert run.unanswered.result("decide") == {"paid": False, "amount_cents": 990_000, "decided_by": "timeout"}


def test_sleep_steps_pause_between_the_emails(dsn: str) -> None:
    run = sleep_steps.main(dsn)

    assert run.workflow.state == "completed"
    assert run.workflow.result("cool_off") is None
    assert run.workflow.steps["cool_off"].kind == "sleep"
    assert run.gap_seconds >= sleep_steps.COOL_OFF.total_seconds() * 0.95  # the engine's clock may lead by a hair
    assert run.gap_seconds < sleep_steps.COOL_OFF.total_seconds() + 10


def test_child_workflows_complete_the_spawning_step_with_the_leaf_results(dsn: str) -> None:
    run = child_workflows.main(dsn)

    assert run.parent.state == "completed"
    assert run.parent.result("fulfil") == {"pack": {"parcel": ["BOOK", "LAMP"]}}
    assert run.parent.result("invoice") == {"invoiced": ["BOOK", "LAMP"]}
    assert run.child.state == "completed"
    assert (run.child.parent_workflow_id, run.child.parent_step_id) == (run.parent.id, run.parent.steps["fulfil"].id)
    assert sorted(run.child.steps) == ["pack", "pick_book", "pick_lamp"]


def test_started_workflows_exist_once_the_starting_step_has_completed(dsn: str) -> None:
    run = started_workflows.main(dsn)

    assert (run.received.state, run.received.result("receive")) == ("completed", 3)
    assert [(w.state, w.result("convert")) for w in run.converted] == [
        ("completed", "a.pdf"),
        ("completed", "b.pdf"),
        ("completed", "c.pdf"),
    ]
    assert all(w.parent_workflow_id is None for w in run.converted)  # workflows of their own, not children


def test_every_example_module_is_listed_and_run() -> None:
    """examples/__init__.py's table and this file's EXAMPLES name every module of examples/."""
    modules = {
        path.stem
        for path in (ROOT / "examples").glob("*.py")
        if path.stem != "__init__" and not path.stem.startswith("test_")
    }
    assert modules == set(EXAMPLES)
    listed = set(re.findall(r"^``(\w+)``  ", examples.__doc__ or "", re.MULTILINE))
    assert modules == listed
