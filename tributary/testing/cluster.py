"""A throwaway PostgreSQL cluster built from the locally installed server binaries.

Used by the test suite when no server is configured, and by the CLI demo as its default.
``initdb`` refuses to run as root, so under root the binaries run as the ``postgres`` OS user
and the temporary directory is handed to that user.
"""

from __future__ import annotations

import atexit
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from tributary.errors import TributaryError

__all__ = ["EphemeralCluster", "find_bindir"]

logger = logging.getLogger(__name__)

_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
}


def _version_key(bindir: str) -> tuple[int, ...]:
    name = Path(bindir).parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def find_bindir() -> Path | None:
    """The directory of ``initdb``/``pg_ctl``: PATH, then ``pg_config --bindir``, then Debian's."""
    candidates: list[Path] = []
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(Path(pg_ctl).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates.extend(Path(path) for path in debian)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class _RunAs:
    uid: int | None = None
    gid: int | None = None
    home: str | None = None


class EphemeralCluster:
    """A private PostgreSQL cluster in a temporary directory, trust auth, deleted on stop().

    Listens on a unix socket in that directory and on a free 127.0.0.1 port; ``dsn`` is the
    TCP conninfo of its ``postgres`` database as superuser ``postgres``. ``settings`` are added to
    its ``postgresql.conf`` (values as written there, e.g. ``{"shared_preload_libraries": "'pg_cron'"}``).
    """

    def __init__(
        self, bindir: Path | None = None, port: int | None = None, settings: Mapping[str, str] | None = None
    ) -> None:
        self._bindir = bindir
        self._extra_settings = dict(settings or {})
        self._requested_port = port
        self._port = port
        self._tmpdir: Path | None = None
        self._run_as = _RunAs()

    @property
    def port(self) -> int:
        if self._port is None or self._tmpdir is None:
            raise TributaryError("the ephemeral cluster is not started")
        return self._port

    @property
    def socket_dir(self) -> Path:
        if self._tmpdir is None:
            raise TributaryError("the ephemeral cluster is not started")
        return self._tmpdir

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self._tmpdir is not None

    def _run(self, *args: str | Path) -> None:
        env = dict(os.environ, LC_ALL="C", LANG="C")
        if self._run_as.home is not None:
            env["HOME"] = self._run_as.home
        result = subprocess.run(
            [str(arg) for arg in args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self._tmpdir,
            stdin=subprocess.DEVNULL,
            user=self._run_as.uid,
            group=self._run_as.gid,
            extra_groups=[] if self._run_as.uid is not None else None,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise TributaryError(
                f"{Path(str(args[0])).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )

    def start(self) -> Self:
        if self._tmpdir is not None:
            return self
        bindir = self._bindir or find_bindir()
        if bindir is None:
            raise TributaryError(
                "no PostgreSQL server binaries found (initdb/pg_ctl on PATH, pg_config --bindir"
                " or /usr/lib/postgresql/*/bin); install the PostgreSQL server"
            )
        self._bindir = bindir
        tmpdir = Path(tempfile.mkdtemp(prefix="tributary-pg-"))
        self._tmpdir = tmpdir
        try:
            if os.geteuid() == 0:
                try:
                    user = pwd.getpwnam("postgres")
                except KeyError as exc:
                    raise TributaryError("running as root and there is no 'postgres' OS user to run initdb as") from exc
                os.chown(tmpdir, user.pw_uid, user.pw_gid)
                self._run_as = _RunAs(user.pw_uid, user.pw_gid, str(tmpdir))
            if self._port is None:
                self._port = _free_port()
            data = tmpdir / "data"
            self._run(
                bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            settings = {
                **_SETTINGS,
                "port": str(self._port),
                "unix_socket_directories": f"'{tmpdir}'",
                **self._extra_settings,
            }
            with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write("\n# tributary ephemeral cluster\n")
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            self._run(bindir / "pg_ctl", "-D", data, "-l", tmpdir / "server.log", "-w", "-t", "60",
                      "start")  # fmt: skip
        except BaseException:
            self._cleanup()
            raise
        atexit.register(self.stop)
        logger.info(
            "started ephemeral PostgreSQL cluster",
            extra={"port": self._port, "directory": str(tmpdir), "bindir": str(bindir)},
        )
        return self

    def restart(self, mode: str = "immediate") -> None:
        """Restarts the server on the same data; mode "immediate" is a crash (recovery at start)."""
        if self._tmpdir is None or self._bindir is None:
            raise TributaryError("the ephemeral cluster is not started")
        data = self._tmpdir / "data"
        self._run(self._bindir / "pg_ctl", "-D", data, "-m", mode, "-w", "stop")
        self._run(self._bindir / "pg_ctl", "-D", data, "-l", self._tmpdir / "server.log", "-w", "-t", "60",
                  "start")  # fmt: skip

    def stop(self) -> None:
        if self._tmpdir is None:
            return
        atexit.unregister(self.stop)
        try:
            if self._bindir is not None and (self._tmpdir / "data" / "postmaster.pid").exists():
                self._run(self._bindir / "pg_ctl", "-D", self._tmpdir / "data", "-m", "immediate",
                          "-w", "stop")  # fmt: skip
        finally:
            self._cleanup()
        logger.info("stopped ephemeral PostgreSQL cluster", extra={"port": self._port})

    def _cleanup(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        self._tmpdir = None
        self._run_as = _RunAs()
        self._port = self._requested_port

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
