"""Tenant isolation with row-level security, as docs/security.md describes it: the schema is
deployed by an owner that is not a superuser, examples/tenants.sql is applied, and two tenants
(LOGIN roles in tributary_submitter) each see, wait for and cancel only their own workflows, in
every function and view, while one worker (not a tenant) runs them all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pgerrors
from psycopg import sql
from psycopg.types.json import Jsonb

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tests.fix_roles import MakeLogin, as_user
from tributary import Client, Config, Step, StepArgs, Worker, migrate
from tributary.errors import WorkflowNotFound
from tributary.testing.databases import with_dbname

RECIPE = Path(__file__).resolve().parent.parent / "examples" / "tenants.sql"


class Echo(StepArgs):
    kind = "echo"
    text: str


class EchoWorker(Worker[Echo]):
    def work(self, step: Step[Echo]) -> str:
        return step.args.text


@pytest.fixture
def owned_database(admin_dsn: str, template_database: str) -> Iterator[tuple[str, str]]:
    """(owner conninfo, tenants group) of a new database owned by a non-superuser, with the
    schema deployed by that owner and the recipe applied. The template deploy ran first, as a
    superuser, so the group roles exist."""
    suffix = uuid.uuid4().hex[:8]
    owner, group, database = f"tributary_t_owner_{suffix}", f"tributary_t_tenants_{suffix}", f"tributary_o_{suffix}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )
    owner_dsn = as_user(with_dbname(admin_dsn, database), owner)
    try:
        migrate.up(owner_dsn)
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            conn.execute(RECIPE.read_text().replace("app_tenants", group).encode())
        yield owner_dsn, group
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(group)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(owner)))


def test_tenants_see_only_their_own_workflows(owned_database: tuple[str, str], make_login: MakeLogin) -> None:
    owner_dsn, group = owned_database
    alice = make_login(owner_dsn, "alice", ["tributary_submitter", group])
    bob = make_login(owner_dsn, "bob", ["tributary_submitter", group])
    worker = make_login(owner_dsn, "worker", ["tributary_worker"])

    with Client(alice, Config()) as as_alice, Client(bob, Config()) as as_bob:
        ours = as_alice.new_workflow("alice's").add_task("a", Echo(text="for alice")).execute()
        theirs = as_bob.new_workflow("bob's").add_task("b", Echo(text="for bob")).execute()

        # The worker is no tenant: it runs both.
        with Client(worker, fast_config(EchoWorker())) as working, started(working):
            assert as_alice.wait(ours, timeout=WAIT_SECONDS).steps["a"].result == "for alice"
            assert as_bob.wait(theirs, timeout=WAIT_SECONDS).steps["b"].result == "for bob"

        # Each tenant is told the other's workflow does not exist, in every function.
        with pytest.raises(WorkflowNotFound):
            as_bob.get_workflow(ours)
        with pytest.raises(WorkflowNotFound):
            as_bob.cancel_workflow(ours)
        with pytest.raises(WorkflowNotFound):
            as_alice.wait(theirs, timeout=1)

    with psycopg.connect(alice, autocommit=True) as conn:
        assert conn.execute("SELECT id FROM tributary.workflow_progress").fetchall() == [(ours,)]
        assert conn.execute("SELECT count(*) FROM tributary.queue_depths").fetchone() == (0,)
        # A tenant cannot slip a step into another tenant's workflow (to the direct-INSERT trigger,
        # which sees what the tenant sees, it does not exist), nor claim the other's stamp.
        with pytest.raises(pgerrors.ForeignKeyViolation, match=f"workflow {theirs} does not exist"):
            conn.execute(
                "INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'sneaked', 'echo')", (theirs,)
            )
        with pytest.raises(pgerrors.InsufficientPrivilege):
            conn.execute("INSERT INTO tributary.workflows (name, tenant) VALUES ('x', 'bob')")

    # The owner (not a tenant) sees both, each stamped with its creator.
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        stamps = conn.execute("SELECT id, tenant::text FROM tributary.workflows ORDER BY id").fetchall()
    assert [workflow_id for workflow_id, _ in stamps] == [ours, theirs]
    assert stamps[0][1].startswith("tributary_t_alice_")
    assert stamps[1][1].startswith("tributary_t_bob_")


def test_pruning_a_tenants_workflow_deletes_the_steps_a_worker_created(
    owned_database: tuple[str, str], make_login: MakeLogin
) -> None:
    """A map's element steps are created by the worker that completed what the map maps over; the
    recipe stamps them with the workflow's tenant, so the tenant sees them and, when it (here also
    an admin) prunes its finished workflow, the delete trigger, which runs under the tenant's
    policies, deletes every step."""
    owner_dsn, group = owned_database
    carol = make_login(owner_dsn, "carol", ["tributary_submitter", "tributary_admin", group])
    worker = make_login(owner_dsn, "worker", ["tributary_worker"])
    tasks = [
        {"name": "src", "kind": "list", "queue": "maps"},
        {"name": "each", "kind": "echo", "queue": "maps", "depends_on": ["src"], "map": {"over": "src"}},
    ]
    with psycopg.connect(carol, autocommit=True) as conn:
        row = conn.execute("SELECT tributary.create_workflow('mapped', %s)", (Jsonb(tasks),)).fetchone()
    assert row is not None
    workflow_id = row[0]

    claim_all = "SELECT step_id, attempt FROM tributary.claim_steps('maps', 'w', 10)"
    complete_all = "SELECT count(*) FROM tributary.complete_steps(%s, %s, %s)"
    with psycopg.connect(worker, autocommit=True) as conn:
        [(source, attempt)] = conn.execute(claim_all).fetchall()
        conn.execute(complete_all, ([source], [attempt], [Jsonb(["a", "b"])]))  # the array the map maps over
        elements = conn.execute(claim_all).fetchall()
        conn.execute(complete_all, ([e[0] for e in elements], [e[1] for e in elements], [Jsonb(0), Jsonb(1)]))
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        stamps = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE s.tenant::text LIKE 'tributary_t_carol_%%'), max(w.state)"
            " FROM tributary.steps AS s JOIN tributary.workflows AS w ON w.id = s.workflow_id WHERE w.id = %s",
            (workflow_id,),
        ).fetchone()
    assert stamps == (4, 4, "completed")  # the source, the map and its two elements: all the tenant's

    with psycopg.connect(carol, autocommit=True) as conn:
        assert conn.execute("SELECT tributary.prune_finished('0 seconds')").fetchone() == (1,)
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM tributary.steps WHERE workflow_id = %s", (workflow_id,)).fetchone()
    assert left == (0,)


def test_a_submitter_that_is_no_tenant_inserts_a_workflow_directly(
    owned_database: tuple[str, str], make_login: MakeLogin
) -> None:
    """The recipe's trigger that gives a step its workflow's tenant reads workflows.tenant, which a
    submitter may not read: it runs as the owner, so the plain-INSERT path of a session that is no
    tenant's still works, and its steps are its own."""
    owner_dsn, _ = owned_database
    dave = make_login(owner_dsn, "dave", ["tributary_submitter"])
    with psycopg.connect(dave) as conn:  # one transaction: resolved at COMMIT
        row = conn.execute("INSERT INTO tributary.workflows (name) VALUES ('direct') RETURNING id").fetchone()
        assert row is not None
        conn.execute("INSERT INTO tributary.steps (workflow_id, task_name, kind) VALUES (%s, 'a', 'k')", (row[0],))
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        resolved = conn.execute(
            "SELECT w.steps_total, s.state, s.tenant::text LIKE 'tributary_t_dave_%%'"
            " FROM tributary.workflows AS w JOIN tributary.steps AS s ON s.workflow_id = w.id WHERE w.id = %s",
            (row[0],),
        ).fetchone()
    assert resolved == (1, "available", True)


def test_the_recipe_treats_a_superuser_session_as_a_tenant_that_owns_nothing(
    owned_database: tuple[str, str], make_login: MakeLogin, admin_dsn: str
) -> None:
    """security.md: a superuser session counts as a member of every role, so inside the engine's
    functions (which run as the owner, under the policies) it sees no tenant's rows: a superuser
    worker claims nothing of a tenant's workflow, which the owner, no tenant, sees available."""
    owner_dsn, group = owned_database
    erin = make_login(owner_dsn, "erin", ["tributary_submitter", group])
    with psycopg.connect(erin, autocommit=True) as conn:
        conn.execute(
            "SELECT tributary.create_workflow('hers', %s)", (Jsonb([{"name": "a", "kind": "k", "queue": "su"}]),)
        )
        database = conn.info.dbname
    superuser = with_dbname(admin_dsn, database)
    with psycopg.connect(superuser, autocommit=True) as conn:
        if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() != (True,):
            pytest.skip("the test server's admin role is not a superuser")
        assert conn.execute("SELECT count(*) FROM tributary.claim_steps('su', 'w', 10)").fetchone() == (0,)
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT state FROM tributary.steps WHERE queue = 'su'").fetchall() == [("available",)]
