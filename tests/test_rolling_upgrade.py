"""A rolling upgrade: workers of the previous release keep working against the new schema.

The package as released at v0.1.0 (commit a67d637, taken with ``git archive``) runs in a
subprocess, as a LOGIN role in tributary_worker, against a database deployed with the current
plan (roles, grants, guards and limits included); a workflow created by the current package
completes, its values intact along every edge. See docs/operations.md#rolling-upgrades.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.client_helpers import WAIT_SECONDS
from tests.fix_roles import MakeLogin
from tests.test_client_api import Add
from tributary import Client, Config

PREVIOUS_RELEASE = "a67d637"
ROOT = Path(__file__).resolve().parent.parent

# Runs in the subprocess, with the previous release first on sys.path.
OLD_WORKER = """
import sys
import tributary
from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers

assert tributary.__file__.startswith(sys.argv[2]), tributary.__file__

class Add(StepArgs):
    kind = "add"
    value: int

class AddWorker(Worker[Add]):
    def work(self, step: Step[Add]) -> int:
        return step.args.value + sum(step.dependency(name, int) for name in step.dependency_results)

config = Config(queues={"default": QueueConfig(max_workers=4)}, workers=Workers(AddWorker()))
print("ready", flush=True)
Client(sys.argv[1], config).run_forever()
"""


@pytest.fixture
def previous_release(tmp_path: Path) -> Path:
    """The ``tributary`` package of the previous release, extracted under ``tmp_path``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "tributary"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this checkout: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path


def test_a_previous_release_worker_completes_a_workflow(
    dsn: str, make_login: MakeLogin, previous_release: Path
) -> None:
    worker = make_login(dsn, "old_worker", ["tributary_worker"])
    env = {**os.environ, "PYTHONPATH": str(previous_release)}
    process = subprocess.Popen(
        [sys.executable, "-c", OLD_WORKER, worker, str(previous_release)],
        env=env,
        cwd=previous_release,  # not the checkout: "" on sys.path would import the current package
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr.read() if process.stderr else ""
        with Client(dsn, Config()) as client:
            workflow_id = (
                client.new_workflow("rolling")
                .add_task("a", Add(value=1))
                .add_task("b", Add(value=10), depends_on=["a"])
                .add_task("c", Add(value=100), depends_on=["a"])
                .add_task("d", Add(value=1000), depends_on=["b", "c"])
                .execute()
            )
            result = client.wait(workflow_id, timeout=WAIT_SECONDS * 3)
        assert result.state == "completed"
        assert {name: step.result for name, step in result.steps.items()} == {"a": 1, "b": 11, "c": 101, "d": 1112}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=WAIT_SECONDS * 3)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert process.returncode == 0, stderr
