"""Schedules from Python and under concurrency: several sessions firing at once fire each fire time
once; a session holding a schedule makes the others skip it; the client API and its errors; the
worker runtime's maintenance loop fires schedules and its workers run the workflows; the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import nacl.utils
import psycopg
import pytest
from psycopg.rows import TupleRow

from tests.client_helpers import WAIT_SECONDS, fast_config, started
from tests.fix_database import Connect
from tests.test_runtime_parts import FakeEngine, Recorder, running_lifecycle, shared_by
from tributary import Client, EncryptHook, SecretBoxEncryptor, Step, StepArgs, Worker
from tributary.cli import main
from tributary.errors import (
    InvalidCronExpression,
    InvalidSchedule,
    ScheduleNotFound,
    UnknownDependency,
    UnknownTimeZone,
)
from tributary.runtime.engine import ProcessReport
from tributary.runtime.maintenance import Maintenance
from tributary.runtime.slots import QueueSlots

Conn = psycopg.Connection[TupleRow]


class Report(StepArgs):
    kind = "scheduled_report"
    title: str


class ReportWorker(Worker[Report]):
    def work(self, step: Step[Report]) -> dict[str, Any]:
        return {"title": step.args.title}


def test_sessions_firing_at_once_fire_each_fire_time_once(connect: Connect) -> None:
    setup = connect()
    # 20 schedules every 10 s from now; the firing sessions' clock is 500 s later: ~50 due fire times each.
    setup.execute(
        'SELECT tributary.create_schedule(\'s\' || i, \'w\', \'[{"name": "a", "kind": "noop"}]\','
        " p_every => '10 seconds', p_overlap => 'allow', p_catch_up => 'all', p_catch_up_limit => 1000)"
        " FROM generate_series(1, 20) AS i"
    )
    later = setup.execute("SELECT now() + interval '500 seconds'").fetchone()
    assert later is not None
    barrier = threading.Barrier(8)
    reported: list[tuple[Any, ...]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            with psycopg.connect(setup.info.dsn, autocommit=True) as own:
                own.execute("SELECT tributary_test.set_now(%s)", (later[0],))
                barrier.wait(timeout=WAIT_SECONDS)
                for _ in range(5):
                    rows = own.execute("SELECT * FROM tributary.fire_due_schedules(3)").fetchall()
                    with lock:
                        reported.extend(rows)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 3)
    assert not errors

    created = setup.execute(
        "SELECT metadata->>'schedule', metadata->>'fire_at', count(*) FROM tributary.workflows GROUP BY 1, 2"
    ).fetchall()
    assert all(count == 1 for _, _, count in created), "a fire time fired twice"
    assert {row[3] for row in reported} == {"fired"}, "no skip, no failure, and the idempotency guard never needed"
    assert len(reported) == len(created)
    left = setup.execute("SELECT count(*) FROM tributary.schedules WHERE next_fire_at <= %s", later).fetchone()
    assert left == (0,), "every due fire time of every schedule fired"
    per_schedule = setup.execute(
        "SELECT min(c), max(c) FROM (SELECT count(*) AS c FROM tributary.workflows GROUP BY metadata->>'schedule') t"
    ).fetchone()
    assert per_schedule is not None
    assert per_schedule[0] == per_schedule[1] == 50


def test_a_session_holding_a_schedule_makes_the_others_skip_it(connect: Connect) -> None:
    first, second = connect(autocommit=False), connect(autocommit=False)
    setup = connect()
    setup.execute(
        'SELECT tributary.create_schedule(\'hourly\', \'w\', \'[{"name": "a", "kind": "noop"}]\','
        " p_cron => '0 * * * *', p_starts_at => '2030-01-01 00:00+00')"
    )
    for session in (first, second):
        session.execute("SELECT tributary_test.set_now('2030-01-01 09:00:10+00')")

    held = first.execute("SELECT fire_at, outcome FROM tributary.fire_due_schedules()").fetchall()
    assert held == [(datetime(2030, 1, 1, 9, tzinfo=UTC), "fired")]
    # first has not committed: second skips the locked row at once instead of waiting.
    assert second.execute("SELECT * FROM tributary.fire_due_schedules()").fetchall() == []
    second.rollback()
    first.commit()
    second.execute("SELECT tributary_test.set_now('2030-01-01 09:00:10+00')")
    assert second.execute("SELECT * FROM tributary.fire_due_schedules()").fetchall() == []
    second.commit()
    assert setup.execute("SELECT count(*) FROM tributary.workflows").fetchone() == (1,)


def test_the_client_defines_lists_pauses_resumes_and_deletes_schedules(dsn: str) -> None:
    with Client(dsn, fast_config(ReportWorker())) as client:
        info = client.schedule(
            "nightly",
            client.new_workflow("report", metadata={"team": "bi"}).add_task("report", Report(title="daily")),
            cron="30 6 * * MON-FRI",
            time_zone="Europe/Paris",
            catch_up="all",
            catch_up_limit=3,
        )
        assert (info.name, info.cron, info.time_zone, info.workflow_name, info.catch_up) == (
            "nightly", "30 6 * * MON-FRI", "Europe/Paris", "report", "all",
        )  # fmt: skip
        assert info.next_fire_at is not None
        assert info.next_fire_at > datetime.now(UTC)

        again = client.schedule(
            "nightly",
            client.new_workflow("report").add_task("report", Report(title="daily v2")),
            cron="30 6 * * MON-FRI",
            time_zone="Europe/Paris",
        )
        assert again.next_fire_at == info.next_fire_at, "an unchanged timing keeps the next fire time"
        client.schedule("often", client.new_workflow("ping").add_task("r", Report(title="x")), every=timedelta(hours=1))
        assert {s.name for s in client.schedules()} == {"often", "nightly"}

        assert client.pause_schedule("nightly") is True
        assert client.pause_schedule("nightly") is False
        assert next(s for s in client.schedules() if s.name == "nightly").next_fire_at is None
        assert client.resume_schedule("nightly") is True
        client.delete_schedule("nightly")
        assert [s.name for s in client.schedules()] == ["often"]
        with pytest.raises(ScheduleNotFound, match='schedule "nightly" does not exist'):
            client.delete_schedule("nightly")
        with pytest.raises(ScheduleNotFound):
            client.pause_schedule("nightly")


def test_the_client_gets_the_engines_errors_as_exceptions(dsn: str) -> None:
    with Client(dsn, fast_config(ReportWorker())) as client:
        workflow = client.new_workflow("report").add_task("report", Report(title="x"))
        with pytest.raises(InvalidCronExpression, match="hour field: 25 is out of range 0-23"):
            client.schedule("bad", workflow, cron="0 25 * * *")
        with pytest.raises(UnknownTimeZone, match='unknown time zone "Europe/Atlantis"'):
            client.schedule("bad", workflow, cron="0 6 * * *", time_zone="Europe/Atlantis")
        with pytest.raises(InvalidSchedule, match="the interval must be positive"):
            client.schedule("bad", workflow, every=timedelta(0))
        with pytest.raises(InvalidSchedule, match="exactly one of"):
            client.schedule("bad", workflow)
        broken = client.new_workflow("report").add_task("b", Report(title="x"), depends_on=["nope"])
        with pytest.raises(UnknownDependency, match='schedule "bad": invalid workflow template: task "b"'):
            client.schedule("bad", broken, every=timedelta(minutes=5))
        keyed = client.new_workflow("report", idempotency_key="k").add_task("r", Report(title="x"))
        with pytest.raises(ValueError, match="cannot have scheduled_at or idempotency_key"):
            client.schedule("bad", keyed, every=timedelta(minutes=5))
        assert client.schedules() == []


def schedule_every_second(client: Client, name: str, title: str) -> None:
    """A report every second; fire times overlap freely."""
    workflow = client.new_workflow("report").add_task("report", Report(title=title))
    client.schedule(name, workflow, every=timedelta(seconds=1), overlap="allow")


def test_workers_fire_schedules_from_their_maintenance_loop_and_run_them(dsn: str) -> None:
    config = fast_config(ReportWorker(), rescue_interval=timedelta(milliseconds=100))
    with Client(dsn, config) as client:
        schedule_every_second(client, "every_second", "tick")
        with started(client):
            done = completed_by_schedule(client, "every_second", 2)
        assert len(done) >= 2, "the runtime fired the schedule and its workers ran the workflows"
        assert client.get_workflow(done[0]).result("report") == {"title": "tick"}


def test_cli_lists_and_changes_schedules(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            'SELECT tributary.create_schedule(\'nightly\', \'report\', \'[{"name": "a", "kind": "noop"}]\','
            " p_cron => '30 6 * * *', p_time_zone => 'Europe/Paris')"
        )
    assert main(["schedules", "--dsn", dsn]) == 0
    out = capsys.readouterr().out
    assert "nightly" in out
    assert "30 6 * * * Europe/Paris" in out

    assert main(["schedules", "--json", "--dsn", dsn]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["cron"], listed["paused"]) == ("nightly", "30 6 * * *", False)
    assert listed["next_fire_at"] is not None

    assert main(["status", "--dsn", dsn]) == 0
    status = capsys.readouterr().out
    assert "Schedules" in status
    assert "nightly" in status
    assert main(["status", "--json", "--dsn", dsn]) == 0
    assert json.loads(capsys.readouterr().out)["schedules"][0]["name"] == "nightly"

    assert main(["schedule", "pause", "nightly", "--dsn", dsn]) == 0
    assert "schedule nightly paused" in capsys.readouterr().out
    assert main(["schedule", "pause", "nightly", "--dsn", dsn]) == 0
    assert "already paused" in capsys.readouterr().out
    assert main(["schedules", "--dsn", dsn]) == 0
    assert "paused" in capsys.readouterr().out
    assert main(["schedule", "resume", "nightly", "--dsn", dsn]) == 0
    assert "schedule nightly resumed" in capsys.readouterr().out
    assert main(["schedule", "delete", "nightly", "--dsn", dsn]) == 0
    assert "deleted" in capsys.readouterr().out
    assert main(["schedule", "delete", "nightly", "--dsn", dsn]) == 3
    assert "schedule nightly does not exist" in capsys.readouterr().err


def completed_by_schedule(client: Client, schedule: str, at_least: int) -> list[int]:
    """Ids of the completed workflows ``schedule`` created, once there are ``at_least`` (or the wait ran out)."""
    deadline = time.monotonic() + WAIT_SECONDS
    done: list[int] = []
    while time.monotonic() < deadline and len(done) < at_least:
        time.sleep(0.2)
        with client.connection() as conn:
            rows = conn.execute(
                "SELECT id FROM tributary.workflows WHERE state = 'completed' AND metadata->>'schedule' = %s",
                (schedule,),
            ).fetchall()
        done = [row[0] for row in rows]
    return done


def test_an_encrypted_template_is_sealed_once_and_opened_at_every_fire_time(dsn: str) -> None:
    hook = EncryptHook(SecretBoxEncryptor(nacl.utils.random(32)))
    config = fast_config(ReportWorker(), hooks=[hook], rescue_interval=timedelta(milliseconds=100))
    with Client(dsn, config) as client:
        schedule_every_second(client, "secret", "classified")
        with client.connection() as conn:
            stored = conn.execute("SELECT tasks->0->'args' FROM tributary.schedules").fetchone()
        assert stored is not None
        assert "classified" not in json.dumps(stored[0]), "the template's args are sealed in the database"
        with started(client):
            done = completed_by_schedule(client, "secret", 2)
        assert len(done) >= 2
        assert client.get_workflow(done[-1]).result("report") == {"title": "classified"}


def test_the_maintenance_pass_fires_schedules_and_reports_failures() -> None:
    class Firing(FakeEngine):
        def __init__(self, answers: list[int | Exception]) -> None:
            super().__init__()
            self.answers = answers

        async def fire_schedules(self) -> int:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    async def scenario() -> list[tuple[str, str]]:
        engine, hook = (
            Firing([3, 0, psycopg.errors.InsufficientPrivilege("permission denied for table schedules")]),
            Recorder(),
        )
        slots = QueueSlots("q", 1)
        maintenance = Maintenance(
            shared_by(engine, hook, running_lifecycle(), {"q": slots}),
            None,  # type: ignore[arg-type]  # firing schedules reads no attempt
            None,  # type: ignore[arg-type]  # nor any unreported completion
            ProcessReport("host", 1, ["q"], ["k"], "0"),
            configured_heartbeat=None,
            rescue_interval=30,
        )
        for _ in range(3):
            await maintenance.fire_schedules()
        return [(event.name, event.message) for event in hook.events]

    assert asyncio.run(scenario()) == [
        ("schedules_fired", "created 3 workflows from due schedules"),
        ("schedules_failed", "firing due schedules failed: permission denied for table schedules"),
    ]
