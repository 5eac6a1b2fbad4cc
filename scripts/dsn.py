"""Conninfo helpers for scripts/test (needs psycopg, so run it with the project's venv).

    python scripts/dsn.py with-db DSN DBNAME   the DSN pointing at database DBNAME
    python scripts/dsn.py sqitch DSN           a sqitch target: db:pg://user@host:port/dbname
    python scripts/dsn.py password DSN         the DSN's password, if any (for PGPASSWORD)
    python scripts/dsn.py env DSN              the DSN as libpq variables, one NAME=value a line

DSN may be a postgresql:// URL or a key=value conninfo string. A password is left out of the
sqitch target (pass it as SQITCH_PASSWORD / PGPASSWORD); other libpq parameters such as
sslmode become query parameters.
"""

from __future__ import annotations

import sys
from urllib.parse import quote, urlencode

from psycopg.conninfo import conninfo_to_dict, make_conninfo

_IN_AUTHORITY = {"host", "hostaddr", "port", "user", "password", "dbname"}
_LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def sqitch_target(dsn: str) -> str:
    params = {key: str(value) for key, value in conninfo_to_dict(dsn).items()}
    host = params.get("host") or params.get("hostaddr") or ""
    if "," in host:
        raise SystemExit("sqitch targets take a single host")
    if ":" in host and not host.startswith("/"):
        host = f"[{host}]"  # IPv6 literal
    authority = quote(host, safe="[]:")  # a unix socket directory is percent-encoded
    if params.get("port"):
        authority += f":{params['port']}"
    if params.get("user"):
        authority = f"{quote(params['user'], safe='')}@{authority}"
    dbname = quote(params.get("dbname", ""), safe="")
    query = urlencode({k: v for k, v in sorted(params.items()) if k not in _IN_AUTHORITY})
    return f"db:pg://{authority}/{dbname}" + (f"?{query}" if query else "")


def libpq_env(dsn: str) -> list[str]:
    params = conninfo_to_dict(dsn)
    unknown = sorted(set(params) - set(_LIBPQ_ENV))
    if unknown:
        raise SystemExit(f"no libpq environment variable for: {', '.join(unknown)}")
    return [f"{_LIBPQ_ENV[key]}={value}" for key, value in sorted(params.items())]


def main(argv: list[str]) -> int:
    match argv:
        case ["with-db", dsn, dbname]:
            print(make_conninfo(dsn, dbname=dbname))
        case ["sqitch", dsn]:
            print(sqitch_target(dsn))
        case ["env", dsn]:
            print("\n".join(libpq_env(dsn)))
        case ["password", dsn]:
            print(conninfo_to_dict(dsn).get("password") or "")
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
