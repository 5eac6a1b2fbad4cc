"""A normalized ``pg_dump --schema-only`` of schema ``tributary``, to compare deployments.

Used by the schema drift test and by ``scripts/update-schema-snapshot``. Comment lines, ``SET``
lines, psql ``\\restrict`` lines (random per dump) and blank lines are dropped, so two dumps
differ only when the schema does.
"""

from __future__ import annotations

import shutil
import subprocess

from psycopg.conninfo import conninfo_to_dict, make_conninfo


def pg_dump_available() -> bool:
    return shutil.which("pg_dump") is not None


def dump_schema(conninfo: str) -> str:
    """The normalized schema-only dump of schema ``tributary`` of the database at ``conninfo``."""
    params = conninfo_to_dict(conninfo)
    params.setdefault("application_name", "tributary-schema-dump")
    result = subprocess.run(
        [
            "pg_dump",
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--schema=tributary",
            make_conninfo("", **params),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    kept = [
        line
        for line in result.stdout.splitlines()
        if line.strip()
        and not line.startswith(("--", "SET ", "\\restrict", "\\unrestrict"))
        and "set_config" not in line
    ]
    return "\n".join(kept) + "\n"
