"""The pg_cron path: on a private cluster started with ``shared_preload_libraries = 'pg_cron'``,
a pg_cron job running ``SELECT tributary.fire_due_schedules()`` every minute fires a schedule
with no worker process anywhere. Skipped only when pg_cron (Debian's ``postgresql-NN-cron``)
is not installed for the local server binaries."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tributary import migrate
from tributary.testing.cluster import EphemeralCluster, find_bindir

PG_CRON_SETTINGS = {
    "shared_preload_libraries": "'pg_cron'",
    "cron.database_name": "'postgres'",
    # Jobs run in background workers: no libpq connection, so no password or host to configure.
    "cron.use_background_workers": "on",
    "max_worker_processes": "32",
}


def pg_cron_bindir() -> Path:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no local PostgreSQL server binaries to start a private cluster with")
    if not (bindir.parent / "lib" / "pg_cron.so").is_file():
        pytest.skip(f"pg_cron is not installed for {bindir.parent} (Debian: apt-get install postgresql-NN-cron)")
    return bindir


def test_pg_cron_fires_due_schedules_every_minute() -> None:
    with EphemeralCluster(pg_cron_bindir(), settings=PG_CRON_SETTINGS) as cluster:
        migrate.up(cluster.dsn)
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_cron")
            # Due at once: the first fire time is starts_at, now.
            conn.execute(
                'SELECT tributary.create_schedule(\'hourly_report\', \'report\', \'[{"name": "a", "kind": "noop"}]\','
                " p_every => '1 hour', p_starts_at => now())"
            )
            conn.execute(
                "SELECT cron.schedule('tributary-fire-due-schedules', '* * * * *',"
                " 'SELECT tributary.fire_due_schedules()')"
            )
            deadline = time.monotonic() + 150
            fired: list[tuple[str]] = []
            while time.monotonic() < deadline and not fired:
                time.sleep(1)
                fired = conn.execute(
                    "SELECT metadata->>'fire_at' FROM tributary.workflows WHERE metadata->>'schedule' = 'hourly_report'"
                ).fetchall()
            runs = conn.execute("SELECT status, return_message FROM cron.job_run_details ORDER BY runid").fetchall()
            assert len(fired) == 1, f"pg_cron did not fire the schedule within 150 s; its runs: {runs}"
            assert ("succeeded", "SELECT 1") in runs
            next_fire = conn.execute(
                "SELECT next_fire_at > now() + interval '50 minutes' FROM tributary.schedule_status"
            ).fetchone()
            assert next_fire == (True,), "the fire time was handled: the next one is an hour later"
