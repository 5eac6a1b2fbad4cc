"""Options precedence (DESIGN §7): task insert_opts > args type's insert_opts() > Config > database.

Each test sets tributary.settings (the database level) to values the Python side never sends, so
a value that fell through is recognisable; it creates a workflow through the client (no workers
needed) and reads the options the engine stored on the step rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.client_helpers import Conn, step_rows
from tributary import Client, Config, InsertOpts, StepArgs

OPTION_COLUMNS = ("queue", "priority", "max_attempts", "timeout", "retry_backoff")


def level(n: int) -> InsertOpts:
    """Every option set to a value unique to level ``n``."""
    return InsertOpts(
        queue=f"queue_{n}",
        priority=n,
        max_attempts=10 + n,
        timeout=timedelta(seconds=40 + n),
        retry_backoff=timedelta(seconds=n + 0.5),
    )


DATABASE, CONFIG, ARGS_TYPE, TASK = level(1), level(2), level(3), level(4)


def as_row(opts: InsertOpts) -> dict[str, Any]:
    """The step columns ``opts`` should produce."""
    return {c: getattr(opts, c) for c in OPTION_COLUMNS}


def config_from(opts: InsertOpts) -> Config:
    return Config(
        queue=opts.queue,
        priority=opts.priority,
        max_attempts=opts.max_attempts,
        timeout=opts.timeout,
        retry_backoff=opts.retry_backoff,
    )


class Plain(StepArgs):
    """A step type with no options of its own."""

    kind = "plain"


class Opinionated(StepArgs):
    """A step type that sets every option."""

    kind = "opinionated"

    def insert_opts(self) -> InsertOpts:
        return ARGS_TYPE


class Partial(StepArgs):
    """A step type that sets max_attempts and priority, the latter from its own args."""

    kind = "partial"
    urgency: int = 0

    def insert_opts(self) -> InsertOpts:
        return InsertOpts(max_attempts=ARGS_TYPE.max_attempts, priority=100 + self.urgency)


def set_database_defaults(conn: Conn) -> None:
    conn.execute(
        "UPDATE tributary.settings SET default_queue = %s, default_priority = %s, default_max_attempts = %s,"
        " default_timeout = %s, default_retry_backoff = %s",
        tuple(getattr(DATABASE, c) for c in OPTION_COLUMNS),
    )


def stored_options(conn: Conn, workflow_id: int) -> dict[str, dict[str, Any]]:
    return {name: {c: row[c] for c in OPTION_COLUMNS} for name, row in step_rows(conn, workflow_id).items()}


def test_database_defaults_apply_when_nothing_is_set(dsn: str, conn: Conn) -> None:
    set_database_defaults(conn)
    with Client(dsn, Config()) as client:
        workflow_id = client.new_workflow("db-level").add_task("t", Plain()).execute()
    assert stored_options(conn, workflow_id) == {"t": as_row(DATABASE)}


def test_config_overrides_the_database(dsn: str, conn: Conn) -> None:
    set_database_defaults(conn)
    with Client(dsn, config_from(CONFIG)) as client:
        workflow_id = client.new_workflow("config-level").add_task("t", Plain()).execute()
    assert stored_options(conn, workflow_id) == {"t": as_row(CONFIG)}


def test_args_type_insert_opts_override_the_config(dsn: str, conn: Conn) -> None:
    set_database_defaults(conn)
    with Client(dsn, config_from(CONFIG)) as client:
        workflow_id = (
            client.new_workflow("type-level").add_task("typed", Opinionated()).add_task("plain", Plain()).execute()
        )
    assert stored_options(conn, workflow_id) == {"typed": as_row(ARGS_TYPE), "plain": as_row(CONFIG)}


def test_task_insert_opts_override_the_args_type(dsn: str, conn: Conn) -> None:
    set_database_defaults(conn)
    with Client(dsn, config_from(CONFIG)) as client:
        workflow_id = (
            client.new_workflow("task-level")
            .add_task("overridden", Opinionated(), insert_opts=TASK)
            .add_task("typed", Opinionated())
            .execute()
        )
    assert stored_options(conn, workflow_id) == {"overridden": as_row(TASK), "typed": as_row(ARGS_TYPE)}


def test_each_level_supplies_the_fields_it_sets(dsn: str, conn: Conn) -> None:
    """Database: retry_backoff; Config: timeout (and max_attempts, overridden); args type:
    max_attempts (and priority, overridden); task: priority and queue."""
    set_database_defaults(conn)
    config = Config(timeout=CONFIG.timeout, max_attempts=CONFIG.max_attempts)
    task_opts = InsertOpts(priority=TASK.priority, queue=TASK.queue)
    with Client(dsn, config) as client:
        workflow_id = (
            client.new_workflow("mixed")
            .add_task("mixed", Partial(urgency=5), insert_opts=task_opts)
            .add_task("no_task_opts", Partial(urgency=7))
            .execute()
        )
    assert stored_options(conn, workflow_id) == {
        "mixed": {
            "queue": TASK.queue,
            "priority": TASK.priority,
            "max_attempts": ARGS_TYPE.max_attempts,
            "timeout": CONFIG.timeout,
            "retry_backoff": DATABASE.retry_backoff,
        },
        "no_task_opts": {
            "queue": DATABASE.queue,
            "priority": 107,
            "max_attempts": ARGS_TYPE.max_attempts,
            "timeout": CONFIG.timeout,
            "retry_backoff": DATABASE.retry_backoff,
        },
    }


def test_scheduled_at_per_task(dsn: str, conn: Conn) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    with Client(dsn, Config()) as client:
        workflow_id = (
            client.new_workflow("scheduled")
            .add_task("later", Plain(), insert_opts=InsertOpts(scheduled_at=later))
            .add_task("now", Plain())
            .execute()
        )
    rows = step_rows(conn, workflow_id)
    assert rows["later"]["scheduled_at"] == later
    assert rows["now"]["scheduled_at"] < later - timedelta(minutes=59)
    # Both are available, but only the unscheduled one can be claimed now.
    claimed = conn.execute("SELECT task_name FROM tributary.claim_step('default', 'test', 10)").fetchall()
    assert [r[0] for r in claimed] == ["now"]
