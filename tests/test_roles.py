"""The group roles end to end, with LOGIN roles in each: a worker runs a real worker through the
Python Client, a submitter creates workflows and waits for them, a reader reads, an admin
administers; each is refused (42501) what its role may not do."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors as pgerrors

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tests.fix_roles import MakeLogin
from tests.test_client_api import Add, AddWorker
from tributary import Client, Config
from tributary.cli import main as cli_main


def refused(conninfo: str, statement: str, params: tuple[Any, ...] = ()) -> None:
    """``statement`` fails with insufficient_privilege (42501) for the role of ``conninfo``."""
    with psycopg.connect(conninfo, autocommit=True) as conn, pytest.raises(pgerrors.InsufficientPrivilege):
        conn.execute(statement, params)


def test_each_group_role_end_to_end(dsn: str, make_login: MakeLogin) -> None:
    worker = make_login(dsn, "worker", ["tributary_worker"])
    submitter = make_login(dsn, "submitter", ["tributary_submitter"])
    reader = make_login(dsn, "reader", ["tributary_reader"])
    admin = make_login(dsn, "admin", ["tributary_admin"])

    # A submitter creates a diamond; a worker, through the Client's runtime, runs it.
    with Client(submitter, Config()) as submitting:
        workflow_id = (
            submitting.new_workflow("roles")
            .add_task("a", Add(value=1))
            .add_task("b", Add(value=10), depends_on=["a"])
            .add_task("c", Add(value=100), depends_on=["a"])
            .add_task("d", Add(value=1000), depends_on=["b", "c"])
            .execute()
        )
        with Client(worker, fast_config(AddWorker())) as working, started(working):
            result = submitting.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.state == "completed"
    assert result.steps["d"].result == 1112

    # A reader reads the workflow and the views.
    with Client(reader, Config()) as reading:
        assert reading.get_workflow(workflow_id).state == "completed"
    with psycopg.connect(reader, autocommit=True) as conn:
        row = conn.execute("SELECT completed FROM tributary.workflow_progress WHERE id = %s", (workflow_id,)).fetchone()
        assert row == (4,)
    # ... and the operators' commands work for a reader: status, queues, workers, list, show.
    for command in (["status"], ["queues"], ["workers"], ["list"], ["show", str(workflow_id)]):
        assert cli_main([*command, "--dsn", reader]) == 0, command

    # Each is refused what its role may not do.
    create = 'SELECT tributary.create_workflow(\'x\', \'[{"name": "a", "kind": "add"}]\')'
    refused(worker, create)
    refused(worker, "SELECT args, result FROM tributary.steps")
    refused(worker, "SELECT tributary.get_workflow(%s)", (workflow_id,))
    refused(worker, "SELECT tributary._settle_workflows(ARRAY[%s]::bigint[])", (workflow_id,))
    refused(submitter, "SELECT * FROM tributary.claim_step('default', 'intruder')")
    refused(submitter, "SELECT tributary.retry_workflow(%s)", (workflow_id,))
    refused(submitter, "UPDATE tributary.settings SET lease_duration = '1 hour'")
    refused(reader, create)
    refused(reader, "SELECT tributary.cancel_workflow(%s)", (workflow_id,))
    refused(reader, "SELECT * FROM tributary.steps")
    refused(admin, "SELECT tributary._resolve_workflow(%s)", (workflow_id,))
    refused(admin, "DELETE FROM tributary.workflows")

    # An admin administers, and can do what the others can.
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("UPDATE tributary.settings SET lease_duration = '2 minutes'")
        assert conn.execute("SELECT tributary.prune_finished('0 seconds')").fetchone() == (1,)
        conn.execute(create)
        assert conn.execute("SELECT count(*) FROM tributary.claim_step('default', 'admin')").fetchone() == (1,)


def test_a_submitter_cancels_and_the_worker_learns_it(dsn: str, make_login: MakeLogin) -> None:
    submitter = make_login(dsn, "submitter", ["tributary_submitter"])
    worker = make_login(dsn, "worker", ["tributary_worker"])
    with Client(submitter, Config()) as submitting:
        workflow_id = submitting.new_workflow("cancel me").add_task("a", Add(value=1)).execute()
        with psycopg.connect(worker, autocommit=True) as conn:
            claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'w')").fetchone()
            assert claimed is not None
            assert submitting.cancel_workflow(workflow_id)
            assert conn.execute("SELECT tributary.heartbeat(%s, %s)", claimed).fetchone() == (False,)
        assert submitting.get_workflow(workflow_id).state == "cancelled"


def test_waits_run_under_the_group_roles(dsn: str, make_login: MakeLogin) -> None:
    """A submitter creates waits and sends the event (the wait taking a kept event at COMMIT runs
    as the owner); a worker spawns a child, wakes due timers; a reader may do none of it."""
    submitter = make_login(dsn, "submitter", ["tributary_submitter"])
    worker = make_login(dsn, "worker", ["tributary_worker"])
    reader = make_login(dsn, "reader", ["tributary_reader"])
    with Client(submitter, Config()) as submitting:
        assert submitting.send_event("go", {"early": True}, key="roles:1") is None  # kept
        keyed = submitting.new_workflow("keyed").add_wait("w", "go", key="roles:1").execute()
        assert submitting.get_workflow(keyed).result("w") == {"early": True}, "taken at COMMIT"
        waiting = submitting.new_workflow("waits").add_wait("w", "go").add_sleep("s", 0).execute()
        assert submitting.send_event("go", 1, workflow_id=waiting) is not None
        parent = submitting.new_workflow("parent").add_task("a", Add(value=1)).execute()
        with psycopg.connect(worker, autocommit=True) as conn:
            assert conn.execute("SELECT tributary.wake_due_steps()").fetchone() == (1,)
            claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'w')").fetchone()
            assert claimed is not None
            tasks = '[{"name": "x", "kind": "add", "args": {"value": 2}}]'
            conn.execute("SELECT tributary.spawn_child_workflow(%s, %s, 'child', %s)", (*claimed, tasks))
            assert conn.execute("SELECT tributary.send_event('go', NULL, p_key => 'roles:2')").fetchone() == (None,)
        assert submitting.get_workflow(waiting).state == "completed"
        assert len(submitting.get_workflow(parent).children) == 1
    refused(reader, "SELECT tributary.send_event('go', NULL, p_key => 'k')")
    refused(submitter, "SELECT tributary.wake_due_steps()")
    refused(submitter, "SELECT tributary.spawn_child_workflow(1, 1, 'c', '[]')")


def test_a_submitters_insert_that_breaks_a_rule_is_reported_under_the_rules_name(
    dsn: str, make_login: MakeLogin
) -> None:
    """sql-api.md, "The rules of a step": a broken rule reaches a psycopg client as a broken CHECK
    constraint of its name (23514, the rule, table and schema in the diagnostics, PostgreSQL's
    message), with a CONTEXT line naming _step_rules; the submitter runs the rules as itself."""
    submitter = make_login(dsn, "rules", ["tributary_submitter"])
    with psycopg.connect(submitter) as conn:
        row = conn.execute("INSERT INTO tributary.workflows (name) VALUES ('rules') RETURNING id").fetchone()
        assert row is not None
        with pytest.raises(pgerrors.CheckViolation) as refused_insert:
            conn.execute("INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', '')", (row[0],))
    diag = refused_insert.value.diag
    assert diag.constraint_name == "steps_kind_not_blank"
    assert (diag.schema_name, diag.table_name) == ("tributary", "steps")
    assert diag.message_primary == 'new row for relation "steps" violates check constraint "steps_kind_not_blank"'
    assert diag.message_detail is None
    assert diag.context is not None
    assert "tributary._step_rules" in diag.context
