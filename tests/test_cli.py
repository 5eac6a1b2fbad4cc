"""The ``tributary`` command against a real test database: migrate, status, worker and demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.cli_app import ShoutArgs, make_config
from tributary import Client, migrate
from tributary.cli import main
from tributary.cli.app import load_app

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("tributary")
Conn = psycopg.Connection[Any]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows_of(out: str) -> list[list[str]]:
    """Every output line split into its whitespace-separated cells."""
    return [line.split() for line in out.splitlines()]


def create_workflow(conn: Conn, name: str, tasks: list[dict[str, Any]]) -> int:
    row = conn.execute("SELECT tributary.create_workflow(%s, %s)", (name, Jsonb(tasks))).fetchone()
    assert row is not None
    return int(row[0])


def test_migrate_status_lists_every_plan_change_as_applied(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "migrate", "status", "--dsn", dsn)

    assert code == 0
    names = [change.name for change in migrate.plan()]
    applied = {cells[0]: cells[1] for cells in rows_of(out) if cells and cells[0] in names}
    assert applied == dict.fromkeys(names, "yes")
    assert f"{len(names)} of {len(names)} changes applied" in out


def test_migrate_up_on_a_migrated_database_changes_nothing(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = migrate.status(dsn)

    code, out, _ = run_main(capsys, "migrate", "up", "--dsn", dsn)

    assert code == 0
    assert "nothing to deploy" in out
    assert migrate.status(dsn) == before  # same changes, same applied_at


def test_migrate_revert_to_a_change_then_up_again(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    names = [change.name for change in migrate.plan()]
    assert run_main(capsys, "migrate", "revert", "--dsn", dsn)[0] == 2  # neither --to nor --all: refused
    assert all(s.applied for s in migrate.status(dsn))

    code, out, _ = run_main(capsys, "migrate", "revert", "--to", names[-2], "--dsn", dsn, "--yes")
    assert code == 0
    assert f"- {names[-1]}" in out
    assert [s.applied for s in migrate.status(dsn)] == [True] * (len(names) - 1) + [False]

    code, out, _ = run_main(capsys, "migrate", "--dsn", dsn)  # `up` is the default action
    assert code == 0
    assert f"+ {names[-1]}" in out
    assert all(s.applied for s in migrate.status(dsn))


def test_status_shows_workflow_states_queues_and_recent_failures(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    create_workflow(
        conn,
        "cli_status",
        [
            {"name": "a", "kind": "k"},
            {"name": "b", "kind": "k", "queue": "io", "max_attempts": 3, "retry_backoff": 3600},
        ],
    )
    cancelled = create_workflow(conn, "cli_cancelled", [{"name": "c", "kind": "k"}])
    conn.execute("SELECT tributary.cancel_workflow(%s)", (cancelled,))
    claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('io', 'test-worker', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.fail_step(%s, %s, %s)", (*claimed, Jsonb({"message": "disk on fire"})))

    code, out, _ = run_main(capsys, "status", "--dsn", dsn)

    assert code == 0, out
    rows = rows_of(out)
    for state, count in (("running", "1"), ("completed", "0"), ("failed", "0"), ("cancelled", "1"), ("total", "2")):
        assert [state, count] in rows, out
    # queue, ready, scheduled (b backs off for an hour), running, oldest ready age
    assert any(cells[:4] == ["default", "1", "0", "0"] for cells in rows), out
    assert ["io", "0", "1", "0", "-"] in rows, out
    failure = next(cells for cells in rows if "fire" in cells)
    assert failure[3:8] == ["b", "k", "available", "1/3", "disk"], out


def test_worker_completes_a_workflow_and_exits_0_on_sigterm(dsn: str) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tributary.cli", "worker", "--app", "tests.cli_app:make_client", "--dsn", dsn],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with Client(dsn, make_config()) as client:
            workflow_id = client.new_workflow("cli_worker").add_task("shout", ShoutArgs(text="hello")).execute()
            result = client.wait(workflow_id, timeout=20)
        assert result.state == "completed"
        assert result.result("shout") == {"text": "HELLO", "pid": worker.pid}

        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=10)
        assert worker.returncode == 0, stderr
        assert "stopped" in stderr  # the runtime's graceful-shutdown log line, at the default INFO level
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)


def test_demo_runs_the_pipeline_to_completion(dsn: str, conn: Conn) -> None:
    demo = subprocess.run(
        [str(CONSOLE_SCRIPT), "demo"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "final state: completed" in demo.stdout
    assert "flaky     attempt 1 failed: simulated network blip" in demo.stdout  # a live progress line
    assert "aggregate result:" in demo.stdout
    workflows = conn.execute("SELECT id, state, steps_total FROM tributary.workflows").fetchall()
    assert [(state, total) for _, state, total in workflows] == [("completed", 11)]
    steps = dict(
        conn.execute(
            "SELECT task_name, attempt FROM tributary.steps WHERE workflow_id = %s", (workflows[0][0],)
        ).fetchall()
    )
    assert steps["flaky"] == 2
    assert all(attempt == 1 for name, attempt in steps.items() if name != "flaky")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["status"], "pass --dsn or set DATABASE_URL"),
        (["worker", "--app", "tests.no_such_module:app", "--dsn", "x"], "cannot import 'tests.no_such_module'"),
        (["worker", "--app", "tests.cli_app:nothing", "--dsn", "x"], "has no attribute 'nothing'"),
        (["worker", "--app", "tests.cli_app", "--dsn", "x"], "module:attribute"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)

    code, _, err = run_main(capsys, *argv)

    assert code == 2
    assert message in err


def test_migrate_revert_shows_what_it_drops_and_needs_yes(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    create_workflow(conn, "kept", [{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a"]}])
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    code, out, err = run_main(capsys, "migrate", "revert", "--all", "--dsn", dsn)

    assert code == 2
    assert "pass --yes (nothing was reverted)" in err
    assert ["tributary.workflows", "1"] in rows_of(out)
    assert ["tributary.steps", "2"] in rows_of(out)
    assert "- tables/steps" in out
    assert all(s.applied for s in migrate.status(dsn))
    assert conn.execute("SELECT count(*) FROM tributary.steps").fetchone() == (2,)


def test_migrate_revert_asks_for_a_typed_confirmation_on_a_terminal(
    dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    names = [change.name for change in migrate.plan()]

    code, out, _ = run_main(capsys, "migrate", "revert", "--to", names[-2], "--dsn", dsn)
    assert code == 2
    assert "not confirmed: nothing was reverted" in out
    assert all(s.applied for s in migrate.status(dsn))

    monkeypatch.setattr("builtins.input", lambda prompt: "revert")
    assert run_main(capsys, "migrate", "revert", "--to", names[-2], "--dsn", dsn)[0] == 0
    assert [s.applied for s in migrate.status(dsn)][-1] is False


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "--version")
    assert code == 0
    assert out.strip() == "tributary 0.1.0"


def test_a_database_without_the_schema_gets_advice_not_sql(empty_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "status", "--dsn", empty_dsn)

    assert code == 1
    assert "the tributary schema is not deployed in database" in err
    assert "run `tributary migrate up` first" in err
    assert "SELECT" not in err
    assert "LINE" not in err
    assert "Traceback" not in err


def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "queues", "--dsn", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert code == 1
    assert err.startswith("tributary queues: cannot reach database")
    assert len(err.strip().splitlines()) == 1


def test_app_factories_take_no_argument_or_the_dsn(dsn: str) -> None:
    with load_app("tributary.demo:demo_config", dsn) as no_argument:
        assert "io" in no_argument.config.queues
    with load_app("tests.cli_app:make_client", dsn) as given_the_dsn:
        assert given_the_dsn.conninfo


def test_show_draws_the_graph_as_text_mermaid_dot_and_json(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = create_workflow(
        conn,
        "diamond",
        [
            {"name": "d", "kind": "report", "depends_on": ["b", "c"]},
            {"name": "b", "kind": "parse", "depends_on": ["a"]},
            {"name": "c", "kind": "count", "depends_on": ["a"]},
            {"name": "a", "kind": "fetch", "max_attempts": 3},
        ],
    )
    claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'cli', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.fail_step(%s, %s, %s)", (*claimed, Jsonb({"message": "network down"})))

    code, out, _ = run_main(capsys, "show", str(wf), "--dsn", dsn)
    assert code == 0
    assert out.splitlines()[0] == f'workflow {wf} "diamond": running, 4 steps'
    tasks = [cells[0] for cells in rows_of(out)[4:]]
    assert tasks == ["a", "b", "c", "d"]  # every step after what it depends on
    a_row = rows_of(out)[4]
    assert a_row[:4] == ["a", "fetch", "available", "1/3"]
    assert rows_of(out)[7][:7] == ["d", "report", "pending", "0/5", "-", "b,", "c"]
    assert "network down" in out

    assert run_main(capsys, "show", str(wf), "--mermaid", "--dsn", dsn)[1].startswith("flowchart TD")
    dot = run_main(capsys, "show", str(wf), "--dot", "--dsn", dsn)[1]
    assert dot.startswith(f'digraph "workflow {wf}"')
    assert '"a" -> "b";' in dot
    doc = json.loads(run_main(capsys, "show", str(wf), "--json", "--dsn", dsn)[1])
    assert set(doc["steps"]) == {"a", "b", "c", "d"}


def test_show_of_an_unknown_workflow_exits_3(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "show", "999999", "--dsn", dsn)
    assert code == 3
    assert "workflow 999999 does not exist" in err


def test_cancel_retry_and_prune(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    wf = create_workflow(
        conn, "to_cancel", [{"name": "a", "kind": "k"}, {"name": "b", "kind": "k", "depends_on": ["a"]}]
    )

    code, out, _ = run_main(capsys, "cancel", str(wf), "--reason", "wrong input", "--dsn", dsn)
    assert (code, out.strip()) == (0, f"workflow {wf} cancelled")
    assert conn.execute("SELECT state FROM tributary.workflows WHERE id = %s", (wf,)).fetchone() == ("cancelled",)
    code, out, _ = run_main(capsys, "cancel", str(wf), "--dsn", dsn)
    assert (code, out.strip()) == (0, f"workflow {wf} had already finished (cancelled): nothing to cancel")

    code, _, err = run_main(capsys, "retry", str(wf), "--step", "a", "--dsn", dsn)
    assert code == 1  # the engine retries a cancelled workflow's steps together, and says so
    assert "its steps are retried together (Use retry_workflow() to run the cancelled workflow again.)" in err
    assert run_main(capsys, "retry", str(wf), "--dsn", dsn)[1].strip() == f"workflow {wf}: 2 steps will run again"

    claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'cli', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.fail_step(%s, %s, %s, false)", (*claimed, Jsonb({"message": "bad input"})))
    code, out, _ = run_main(capsys, "retry", str(wf), "--step", "a", "--dsn", dsn)
    assert code == 0
    assert out.strip() == f"task a of workflow {wf}: 2 steps will run again"
    assert run_main(capsys, "retry", str(wf), "--step", "zz", "--dsn", dsn)[0] == 3

    conn.execute("SELECT tributary.cancel_workflow(%s)", (wf,))
    assert run_main(capsys, "prune", "--older-than", "1h", "--dsn", dsn)[1].strip().startswith("pruned 0 ")
    assert run_main(capsys, "prune", "--older-than", "soon", "--dsn", dsn)[0] == 2


def test_queues_and_workers_say_which_queue_nobody_serves(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    create_workflow(conn, "waiting", [{"name": "a", "kind": "k", "queue": "lonely"}])
    conn.execute("SELECT tributary.report_worker_process('w1', 'h', 1, ARRAY['default'], ARRAY['k'], '0.1.0')")

    queues = json.loads(run_main(capsys, "queues", "--json", "--dsn", dsn)[1])
    assert [(q["queue"], q["ready"], q["served"]) for q in queues] == [("lonely", 1, False)]
    code, out, _ = run_main(capsys, "status", "--dsn", dsn)
    assert code == 0
    assert "! queue lonely has ready steps and no live worker process serves it" in out

    workers = json.loads(run_main(capsys, "workers", "--json", "--dsn", dsn)[1])
    assert [(w["worker_id"], w["queues"], w["live"]) for w in workers] == [("w1", ["default"], True)]
    assert rows_of(run_main(capsys, "workers", "--dsn", dsn)[1])[2][:6] == ["w1", "h", "1", "default", "k", "0.1.0"]


def test_list_filters_and_pages(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    ids = [create_workflow(conn, name, [{"name": "a", "kind": "k"}]) for name in ("nightly", "nightly", "adhoc")]
    conn.execute("SELECT tributary.cancel_workflow(%s)", (ids[0],))

    listed = json.loads(run_main(capsys, "list", "--json", "--dsn", dsn)[1])
    assert [w["id"] for w in listed] == ids[::-1]  # newest first
    by_name = json.loads(run_main(capsys, "list", "--name", "nightly", "--state", "running", "--json", "--dsn", dsn)[1])
    assert [w["id"] for w in by_name] == [ids[1]]
    page = run_main(capsys, "list", "--limit", "2", "--dsn", dsn)[1]
    assert f"--before {ids[1]}" in page
    older = json.loads(run_main(capsys, "list", "--before", str(ids[1]), "--json", "--dsn", dsn)[1])
    assert [w["id"] for w in older] == [ids[0]]
    assert json.loads(run_main(capsys, "list", "--since", "1h", "--json", "--dsn", dsn)[1]) == listed


def test_show_places_map_elements_under_their_map_and_says_what_waiting_steps_wait_for(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = create_workflow(
        conn,
        "mixed",
        [
            {"name": "a", "kind": "split"},
            {"name": "m", "kind": "part", "args": {}, "depends_on": ["a"], "map": {"over": "a", "path": "items"}},
            {"name": "b", "kind": "rare", "depends_on": ["a"], "run_if": {"a": {"path": "x"}}},
            {"name": "approve", "kind": "wait_for", "wait_for": {"event": "approved", "timeout": 3600}},
            {"name": "nap", "kind": "sleep", "sleep": 60},
            {"name": "fulfil", "kind": "fulfil", "queue": "parents"},
        ],
    )
    claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'cli', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.complete_step(%s, %s, %s)", (*claimed, Jsonb({"items": [1, 2], "path": "y"})))
    parent = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('parents', 'cli', 1)").fetchone()
    assert parent is not None
    row = conn.execute(
        "SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)", (*parent, Jsonb([{"name": "c", "kind": "c"}]))
    ).fetchone()
    assert row is not None
    child = int(row[0])

    code, out, _ = run_main(capsys, "show", str(wf), "--dsn", dsn)
    assert code == 0
    notes = {cells[0]: " ".join(cells) for cells in rows_of(out)[4:]}
    assert [cells[0] for cells in rows_of(out)[4:]][-3:] == ["m", "m[0]", "m[1]"]  # elements after their map
    assert notes["m"].endswith("map over a.items: 2 elements")
    assert notes["m[1]"].endswith("element 1 of m")
    assert "waiting" in notes["approve"]
    assert "event approved, times out" in notes["approve"]
    assert "sleep until" in notes["nap"]
    assert notes["fulfil"].endswith(f"child workflow {child}")
    assert notes["b"].split()[:3] == ["b", "rare", "skipped"]
    header = run_main(capsys, "show", str(child), "--dsn", dsn)[1].splitlines()[0]
    assert header == f'workflow {child} "child": running, 1 steps (child of workflow {wf}, step {parent[0]})'

    mermaid = run_main(capsys, "show", str(wf), "--mermaid", "--dsn", dsn)[1]
    assert mermaid.count(" -.- ") == 2
    dot = run_main(capsys, "show", str(wf), "--dot", "--dsn", dsn)[1]
    assert '"m" -> "m[0]" [style=dashed, arrowhead=none];' in dot
