"""EncryptHook with results the engine makes: sleeps, waits (an event sent by client.send_event,
or the timeout default), child workflows and maps, end to end with real workers; and the tamper
cases: each piece is bound to what made it, so a piece copied from elsewhere does not open.

The engine clock is moved on the test's own connection (tributary_test.set_now) to end sleeps
and wait timeouts with wake_due_steps; the workers run on real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import nacl.utils
import pytest
from psycopg.types.json import Jsonb

from tests.client_helpers import (
    WAIT_SECONDS,
    Conn,
    fast_config,
    started,
    step_rows,
    steps_text,
    wait_until,
    workflow_state,
)
from tributary import (
    AsyncClient,
    Client,
    EncryptHook,
    InsertOpts,
    QueueConfig,
    SecretBoxEncryptor,
    Step,
    StepArgs,
    Worker,
)
from tributary.encryption import is_sealed
from tributary.errors import ConfigError

SECRET = "4111-1111-1111-1111-SECRET"
LATER = "later"  # the queue of consumers, worked only after a tamper


def encrypting(key: bytes) -> EncryptHook:
    return EncryptHook(SecretBoxEncryptor(key))


class Order(StepArgs):
    kind = "sealed_order"
    card: str


class Part(StepArgs):
    kind = "sealed_part"
    n: int


class Items(StepArgs):
    kind = "sealed_items"
    count: int


class Each(StepArgs):
    kind = "sealed_each"
    prefix: str
    element: Any = None


class Report(StepArgs):
    kind = "sealed_report"


class OrderWorker(Worker[Order]):
    """Spawns a child of two steps; the child's leaf "b" sees the card."""

    def __init__(self, client_ref: list[Client]) -> None:
        self.client_ref = client_ref

    def work(self, step: Step[Order]) -> None:
        child = self.client_ref[0].new_workflow("parts").add_task("a", Part(n=4))
        child.add_task("b", Part(n=5), depends_on=["a"]).add_sleep("nap", timedelta(hours=1))
        step.spawn(child)


class PartWorker(Worker[Part]):
    def work(self, step: Step[Part]) -> dict[str, Any]:
        return {"n": step.args.n, "card": SECRET}


class ItemsWorker(Worker[Items]):
    def work(self, step: Step[Items]) -> list[str]:
        return [f"{SECRET}-{i}" for i in range(step.args.count)]


class EachWorker(Worker[Each]):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def work(self, step: Step[Each]) -> str:
        self.seen.append(step.args.element)
        return f"{step.args.prefix}:{step.args.element}"


class ReportWorker(Worker[Report]):
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def work(self, step: Step[Report]) -> str:
        self.seen.append(dict(step.dependency_results))
        return "reported"


def _later() -> InsertOpts:
    return InsertOpts(queue=LATER)


def move_clock_and_wake(conn: Conn, by: timedelta) -> int:
    """Moves the engine clock of ``conn`` by ``by`` past the database's time and ends the waits due then."""
    conn.execute("SELECT tributary_test.set_now(now() + %s)", (by,))
    row = conn.execute("SELECT tributary.wake_due_steps()").fetchone()
    assert row is not None
    return int(row[0])


def tamper(conn: Conn, sql: str, params: tuple[Any, ...]) -> None:
    """Someone with write access past the engine's guards (its triggers off) rewrites a row."""
    with conn.transaction():
        conn.execute("ALTER TABLE tributary.steps DISABLE TRIGGER USER")
        conn.execute(sql, params)
        conn.execute("ALTER TABLE tributary.steps ENABLE TRIGGER USER")


def test_sleep_wait_child_and_map_results_open_for_their_dependents(dsn: str, conn: Conn) -> None:
    client_ref: list[Client] = []
    each, report = EachWorker(), ReportWorker()
    workers = (OrderWorker(client_ref), PartWorker(), ItemsWorker(), each, report)
    config = fast_config(*workers, hooks=[encrypting(nacl.utils.random(32))], wake_interval=timedelta(milliseconds=50))
    with Client(dsn, config) as client, started(client):
        client_ref.append(client)
        workflow_id = (
            client.new_workflow("sealed everything")
            .add_task("order", Order(card=SECRET))
            .add_sleep("cool_off", timedelta(hours=2))
            .add_wait("approve", "approved")
            .add_wait("paid", "paid", key="order-77")
            .add_wait("late", "never", timeout=timedelta(hours=3), default={"late": SECRET})
            .add_task("items", Items(count=3))
            .add_task("each", Each(prefix=SECRET), depends_on=["items"], map_over="items")
            .add_task("twice", Each(prefix="again"), depends_on=["each"], map_over="each")
            .add_task(
                "report",
                Report(),
                depends_on=["order", "cool_off", "approve", "paid", "late", "each", "twice"],
            )
            .execute()
        )
        assert SECRET not in steps_text(conn, workflow_id)
        client.send_event("approved", {"by": SECRET}, workflow_id=workflow_id)
        client.send_event("paid", {"amount": 42}, key="order-77")
        wait_until(lambda: step_rows(conn, workflow_id)["twice"]["state"] == "completed", "the maps completed")
        wait_until(lambda: len(client.get_workflow(workflow_id).children) == 1, "the child was spawned")
        assert move_clock_and_wake(conn, timedelta(hours=4)) == 3, "the sleeps end, the late wait times out"
        result = client.wait(workflow_id, timeout=WAIT_SECONDS)
        child_id = client.get_workflow(workflow_id).children[0]["id"]

    assert result.state == "completed"
    assert SECRET not in steps_text(conn, workflow_id)
    assert SECRET not in steps_text(conn, child_id)
    rows = step_rows(conn, workflow_id)
    assert rows["cool_off"]["result"] is None
    assert is_sealed(rows["approve"]["result"])
    assert rows["approve"]["result"]["to"] == "event"
    assert rows["late"]["result"]["to"] == "timeout"
    assert [is_sealed(r) for r in rows["each"]["result"]] == [True, True, True]

    items = [f"{SECRET}-{i}" for i in range(3)]
    assert sorted(each.seen[:3]) == items, "each element step got its element, opened"
    assert report.seen == [
        {
            "order": {"b": {"n": 5, "card": SECRET}, "nap": None},
            "cool_off": None,
            "approve": {"by": SECRET},
            "paid": {"amount": 42},
            "late": {"late": SECRET},
            "each": [f"{SECRET}:{item}" for item in items],
            "twice": [f"again:{SECRET}:{item}" for item in items],
        }
    ]
    # get_workflow/wait open what they can tell the origin of: waits and maps (a child's result
    # is shown as stored: its leaves are in the child's own document).
    assert result.result("approve") == {"by": SECRET}
    assert result.result("late") == {"late": SECRET}
    assert result.result("each") == [f"{SECRET}:{item}" for item in items]
    assert result.result("items") == items
    assert all(is_sealed(leaf) for leaf in result.result("order").values() if leaf is not None)


def run_then_tamper(
    dsn: str,
    conn: Conn,
    *,
    build: Callable[[Client], int],
    ready: Callable[[dict[str, dict[str, Any]]], bool],
    sql: str,
    params: Callable[[int], tuple[Any, ...]],
    before: Callable[[Client, int], None] = lambda client, workflow_id: None,
    workers: tuple[Worker[Any], ...] = (),
    key: bytes | None = None,
) -> tuple[dict[str, Any], ReportWorker]:
    """Runs a workflow on the default queue until ``ready``; tampers; then runs its consumer
    "report" (queue "later") until the workflow finishes. Returns the consumer's first error
    (read from the row: reading the tampered result through the hook raises too)."""
    key = key or nacl.utils.random(32)
    report = ReportWorker()
    config = fast_config(*workers, hooks=[encrypting(key)], wake_interval=timedelta(milliseconds=50))
    with Client(dsn, config) as client:
        workflow_id = build(client)
        with started(client):
            before(client, workflow_id)
            wait_until(lambda: ready(step_rows(conn, workflow_id)), "ready to tamper")
    tamper(conn, sql, params(workflow_id))
    queues = {LATER: QueueConfig(max_workers=1)}
    with Client(dsn, fast_config(report, hooks=[encrypting(key)], queues=queues)) as consumer, started(consumer):
        wait_until(lambda: workflow_state(conn, workflow_id) != "running", "the workflow finished")
    row = step_rows(conn, workflow_id)["report"]
    assert (row["state"], row["attempt"]) == ("discarded", 1)
    return dict(row["errors"][0]), report


def consume(spec: Any, *depends_on: str) -> Any:
    return spec.add_task("report", Report(), depends_on=list(depends_on), insert_opts=_later())


def test_an_event_payload_copied_from_another_workflows_wait_does_not_open(dsn: str, conn: Conn) -> None:
    other: list[int] = []

    def build(client: Client) -> int:
        other.append(consume(client.new_workflow("victim").add_wait("approve", "approved"), "approve").execute())
        return int(consume(client.new_workflow("copy").add_wait("approve", "approved"), "approve").execute())

    def before(client: Client, workflow_id: int) -> None:
        client.send_event("approved", {"by": SECRET}, workflow_id=other[0])
        client.send_event("approved", {"by": "someone"}, workflow_id=workflow_id)

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        before=before,
        ready=lambda rows: rows["approve"]["state"] == "completed",
        sql="UPDATE tributary.steps SET result = (SELECT result FROM tributary.steps WHERE workflow_id = %s"
        " AND task_name = 'approve') WHERE workflow_id = %s AND task_name = 'approve'",
        params=lambda wf: (other[0], wf),
    )
    assert error["type"] == "DecryptionError"
    assert "does not open" in error["message"]
    assert report.seen == [{"approve": {"by": SECRET}}], "only the victim's own report ran"


def test_a_plaintext_event_sent_from_sql_is_refused(dsn: str, conn: Conn) -> None:
    def build(client: Client) -> int:
        return int(consume(client.new_workflow("plain event").add_wait("approve", "approved"), "approve").execute())

    def before(client: Client, workflow_id: int) -> None:
        conn.execute(
            "SELECT tributary.send_event('approved', %s, p_workflow_id => %s)", (Jsonb({"by": "sql"}), workflow_id)
        )

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        before=before,
        ready=lambda rows: rows["approve"]["state"] == "completed",
        sql="SELECT %s",
        params=lambda wf: (wf,),
    )
    assert "payload is not sealed, but encryption is on" in error["message"]
    assert report.seen == []


def test_a_sleep_result_replaced_by_a_value_is_refused(dsn: str, conn: Conn) -> None:
    def build(client: Client) -> int:
        return int(consume(client.new_workflow("nap").add_sleep("nap", timedelta(hours=1)), "nap").execute())

    def before(client: Client, workflow_id: int) -> None:
        wait_until(lambda: step_rows(conn, workflow_id)["nap"]["state"] == "waiting", "sleeping")
        move_clock_and_wake(conn, timedelta(hours=2))

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        before=before,
        ready=lambda rows: rows["nap"]["state"] == "completed",
        sql="UPDATE tributary.steps SET result = '{\"forged\": true}' WHERE workflow_id = %s AND task_name = 'nap'",
        params=lambda wf: (wf,),
    )
    assert "a sleep completes with NULL" in error["message"]
    assert report.seen == []


def test_a_map_element_result_copied_onto_another_element_does_not_open(dsn: str, conn: Conn) -> None:
    def build(client: Client) -> int:
        spec = client.new_workflow("map").add_task("items", Items(count=2))
        spec.add_task("each", Each(prefix="p"), depends_on=["items"], map_over="items")
        return int(consume(spec, "each").execute())

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        ready=lambda rows: rows["each"]["state"] == "completed",
        sql="UPDATE tributary.steps SET result = jsonb_build_array(result -> 0, result -> 0)"
        " WHERE workflow_id = %s AND task_name = 'each'",
        params=lambda wf: (wf,),
        workers=(ItemsWorker(), EachWorker()),
    )
    assert "does not open" in error["message"]
    assert report.seen == []


def test_a_mapped_element_copied_into_another_elements_args_does_not_open(dsn: str, conn: Conn) -> None:
    key = nacl.utils.random(32)
    each = EachWorker()
    with Client(dsn, fast_config(ItemsWorker(), each, hooks=[encrypting(key)])) as client:
        spec = client.new_workflow("map").add_task("items", Items(count=2))
        workflow_id = spec.add_task(
            "each", Each(prefix="p"), depends_on=["items"], map_over="items", insert_opts=_later()
        ).execute()
        with started(client):
            wait_until(lambda: "each[1]" in step_rows(conn, workflow_id), "the map expanded")
        tamper(
            conn,
            "UPDATE tributary.steps SET args = args || jsonb_build_object('element', (SELECT args -> 'element'"
            " FROM tributary.steps WHERE workflow_id = %s AND task_name = 'each[0]'))"
            " WHERE workflow_id = %s AND task_name = 'each[1]'",
            (workflow_id, workflow_id),
        )
    config = fast_config(each, hooks=[encrypting(key)], queues={LATER: QueueConfig(max_workers=1)})
    with Client(dsn, config) as consumer, started(consumer):
        result = consumer.wait(workflow_id, timeout=WAIT_SECONDS)
    assert result.steps["each[0]"].state == "completed"
    error = result.steps["each[1]"].errors[0]
    assert result.steps["each[1]"].state == "discarded"
    assert 'element 1 of the result of "items"' in error["message"]
    assert each.seen == [f"{SECRET}-0"]


def test_a_child_leaf_result_copied_from_another_child_does_not_open(dsn: str, conn: Conn) -> None:
    client_ref: list[Client] = []
    victim: list[int] = []

    def build(client: Client) -> int:
        client_ref.append(client)
        victim.append(consume(client.new_workflow("victim").add_task("order", Order(card=SECRET)), "order").execute())
        return int(consume(client.new_workflow("copy").add_task("order", Order(card="x")), "order").execute())

    def before(client: Client, workflow_id: int) -> None:
        wait_until(
            lambda: conn.execute("SELECT count(*) FROM tributary.workflows WHERE name = 'parts'").fetchone() == (2,),
            "both children spawned",
        )
        move_clock_and_wake(conn, timedelta(hours=2))

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        before=before,
        ready=lambda rows: rows["order"]["state"] == "completed",
        sql="UPDATE tributary.steps SET result = jsonb_set(result, '{b}', (SELECT result -> 'b' FROM tributary.steps"
        " WHERE workflow_id = %s AND task_name = 'order')) WHERE workflow_id = %s AND task_name = 'order'",
        params=lambda wf: (victim[0], wf),
        workers=(OrderWorker(client_ref), PartWorker()),
    )
    assert "does not open" in error["message"]
    assert [seen["order"]["b"]["card"] for seen in report.seen] == [SECRET], "only the victim's own report ran"


def test_run_if_and_map_path_are_refused_at_creation_with_an_encrypt_hook(dsn: str) -> None:
    with Client(dsn, fast_config(hooks=[encrypting(nacl.utils.random(32))])) as client:
        branch = client.new_workflow("branch").add_task("items", Items(count=1))
        branch.add_task("then", Report(), depends_on=["items"], run_if={"items": ["x"]})
        with pytest.raises(ConfigError, match='task "then": run_if tests a dependency'):
            branch.execute()
        mapped = client.new_workflow("path").add_task("items", Items(count=1))
        mapped.add_task("each", Each(prefix="p"), depends_on=["items"], map_over="items", map_path="a.b")
        with pytest.raises(ConfigError, match='task "each": map_path reads into'):
            mapped.execute()


def test_the_async_client_seals_events_and_get_workflow_opens_them(dsn: str, conn: Conn) -> None:
    key = nacl.utils.random(32)

    async def scenario() -> tuple[int, Any]:
        async with AsyncClient(dsn, fast_config(hooks=[encrypting(key)])) as client:
            workflow_id = await client.insert(client.new_workflow("k").add_wait("w", "paid", key="order:9"))
            await client.send_event("paid", {"card": SECRET}, key="order:9")
            return workflow_id, (await client.get_workflow(workflow_id)).result("w")

    workflow_id, result = asyncio.run(scenario())
    assert result == {"card": SECRET}
    stored = step_rows(conn, workflow_id)["w"]["result"]
    assert is_sealed(stored)
    assert stored["to"] == "event"
    assert SECRET not in steps_text(conn, workflow_id)


def test_an_event_payload_sealed_for_another_key_does_not_open(dsn: str, conn: Conn) -> None:
    key = nacl.utils.random(32)

    def build(client: Client) -> int:
        return int(consume(client.new_workflow("keyed").add_wait("w", "paid", key="order:1"), "w").execute())

    def before(client: Client, workflow_id: int) -> None:
        # The payload sealed for order:2, delivered (from SQL) to the wait for order:1.
        sealed = encrypting(key).before_send_event("paid", None, "order:2", {"card": SECRET})
        conn.execute("SELECT tributary.send_event('paid', %s, p_key => 'order:1')", (Jsonb(sealed),))

    error, report = run_then_tamper(
        dsn,
        conn,
        build=build,
        before=before,
        ready=lambda rows: rows["w"]["state"] == "completed",
        sql="SELECT %s",
        params=lambda wf: (wf,),
        key=key,
    )
    assert "does not open" in error["message"]
    assert report.seen == []


def test_a_worker_without_the_hook_refuses_a_map_result_of_sealed_pieces(dsn: str, conn: Conn) -> None:
    conn.execute(
        "UPDATE tributary.settings SET hand_back_delay = '50 milliseconds', hand_back_grace = '300 milliseconds'"
    )
    key = nacl.utils.random(32)
    with Client(dsn, fast_config(ItemsWorker(), EachWorker(), hooks=[encrypting(key)])) as client:
        spec = client.new_workflow("map").add_task("items", Items(count=2))
        spec.add_task("each", Each(prefix="p"), depends_on=["items"], map_over="items")
        workflow_id = consume(spec, "each").execute()
        with started(client):
            wait_until(lambda: step_rows(conn, workflow_id)["each"]["state"] == "completed", "the map completed")
    report = ReportWorker()
    with Client(dsn, fast_config(report, queues={LATER: QueueConfig(max_workers=1)})) as plain, started(plain):
        wait_until(lambda: workflow_state(conn, workflow_id) != "running", "the workflow finished")
    row = step_rows(conn, workflow_id)["report"]
    assert row["state"] == "discarded"
    assert "no EncryptHook opened them" in row["errors"][0]["last_error"]
    assert report.seen == []


class NotAList(StepArgs):
    kind = "sealed_not_a_list"


class NotAListWorker(Worker[NotAList]):
    def work(self, step: Step[NotAList]) -> dict[str, str]:
        return {"card": SECRET}


def test_a_map_over_a_sealed_result_that_is_not_a_list_is_discarded_with_tb323(dsn: str, conn: Conn) -> None:
    with Client(dsn, fast_config(NotAListWorker(), hooks=[encrypting(nacl.utils.random(32))])) as client:
        spec = client.new_workflow("not a list").add_task("src", NotAList())
        workflow_id = spec.add_task("each", Each(prefix="p"), depends_on=["src"], map_over="src").execute()
        with started(client):
            wait_until(lambda: workflow_state(conn, workflow_id) != "running", "the workflow finished")
    row = step_rows(conn, workflow_id)["each"]
    assert row["state"] == "discarded"
    assert row["errors"][0]["sqlstate"] == "TB323"
    assert 'nothing at path "elements"' in row["errors"][0]["message"]
    assert SECRET not in steps_text(conn, workflow_id)
