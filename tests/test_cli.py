"""The ``tributary`` command against a real test database: migrate, status, worker and demo."""

from __future__ import annotations

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

    code, out, _ = run_main(capsys, "migrate", "revert", "--to", names[-2], "--dsn", dsn)
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
