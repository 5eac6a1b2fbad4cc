"""The deployed schema is what the repository says it is.

- The Python migrator and ``sqitch deploy`` produce identical schemas (catalog dumps compared).
- A fresh deployment matches db/schema.snapshot.sql; after changing db/deploy, run
  scripts/update-schema-snapshot and commit the new snapshot with the change.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tributary import migrate
from tributary.testing.databases import throwaway_database
from tributary.testing.schema_dump import dump_schema, pg_dump_available

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "db" / "schema.snapshot.sql"

pytestmark = pytest.mark.skipif(not pg_dump_available(), reason="pg_dump is not installed")


@pytest.fixture
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A new database from template0 (nothing deployed); dropped afterwards."""
    with throwaway_database(admin_dsn, prefix="tributary_schema") as dsn:
        yield dsn


def dump_or_skip(conninfo: str) -> str:
    try:
        return dump_schema(conninfo)
    except subprocess.CalledProcessError as error:
        if "version mismatch" in error.stderr:
            pytest.skip(f"pg_dump cannot dump this server: {error.stderr.strip()}")
        raise


def test_fresh_deployment_matches_the_snapshot(fresh_database: str) -> None:
    migrate.up(fresh_database)
    assert dump_or_skip(fresh_database) == SNAPSHOT.read_text(), (
        "the deployed schema differs from db/schema.snapshot.sql: run scripts/update-schema-snapshot and commit it"
    )


@pytest.mark.skipif(shutil.which("sqitch") is None, reason="sqitch is not installed")
def test_migrator_and_sqitch_deploy_the_same_schema(fresh_database: str, admin_dsn: str) -> None:
    migrate.up(fresh_database)
    by_migrator = dump_or_skip(fresh_database)

    with throwaway_database(admin_dsn, prefix="tributary_sqitch") as target_dsn:
        target = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "dsn.py"), "sqitch", target_dsn],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        deployed = subprocess.run(
            ["sqitch", "deploy", target], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert dump_or_skip(target_dsn) == by_migrator
