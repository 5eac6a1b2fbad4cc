"""The ceiling the throughput figures are read against, measured by pgbench in the same run.

A bare ``jobs`` table in a database of its own; the pgbench script is the least a queue must do
per job: claim one ready row (``FOR UPDATE SKIP LOCKED``) and commit, then mark it done and
commit, two commits per job. Absolute figures on a shared 2-core machine move from one day to the
next; ratios to this ceiling, measured minutes apart, carry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tributary.testing.databases import throwaway_database

CLAIM_COMPLETE = """\
BEGIN;
UPDATE jobs SET state = 'running' WHERE id = (
  SELECT id FROM jobs WHERE state = 'ready' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1
) RETURNING id AS job \\gset
COMMIT;
UPDATE jobs SET state = 'done' WHERE id = :job;
"""


@dataclass(frozen=True)
class Ceiling:
    """Jobs per second pgbench sustained, and what that means per job."""

    clients: int
    jobs_per_second: float

    @property
    def ms_per_job(self) -> float:
        return 1000 / self.jobs_per_second


def pgbench_available() -> bool:
    return shutil.which("pgbench") is not None


def claim_complete_ceiling(server_dsn: str, clients: int, seconds: int = 5, jobs: int = 400_000) -> Ceiling:
    """pgbench's claim + complete (two commits per job) with ``clients`` connections."""
    with throwaway_database(server_dsn, prefix="tributary_ceiling") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE jobs (id bigint PRIMARY KEY, state text NOT NULL)")
            conn.execute("INSERT INTO jobs SELECT i, 'ready' FROM generate_series(1, %s) AS i", (jobs,))
            conn.execute("CREATE INDEX jobs_ready ON jobs (id) WHERE state = 'ready'")
            conn.execute("VACUUM ANALYZE jobs")
        with tempfile.TemporaryDirectory() as scratch:
            script = Path(scratch) / "claim_complete.sql"
            script.write_text(CLAIM_COMPLETE)
            params = psycopg.conninfo.conninfo_to_dict(dsn)
            env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
            command = [
                "pgbench", "-n", "-f", str(script), "-c", str(clients), "-j", str(min(clients, 2)),
                "-T", str(seconds), "-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432),
                "-U", str(params.get("user") or "postgres"), str(params["dbname"]),
            ]  # fmt: skip
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=120).stdout
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return Ceiling(clients, float(match[1]))
