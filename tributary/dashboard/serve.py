"""Serving the dashboard with uvicorn, as ``tributary dashboard`` does."""

from __future__ import annotations

import logging

import uvicorn

from tributary.dashboard.app import create_app, is_loopback

logger = logging.getLogger(__name__)


class InsecureBind(ValueError):
    """The dashboard would listen beyond loopback without a token or basic auth."""


def serve(
    dsn: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    token: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    read_only: bool = False,
    anonymous_read: bool = False,
    log_level: str = "warning",
) -> None:
    """Serves the dashboard at http://host:port/ until SIGINT/SIGTERM.

    Refuses (:class:`InsecureBind`) to listen on anything but loopback without a token or basic
    auth: on loopback only this machine's users reach it."""
    if not (token or basic_auth) and not is_loopback(host):
        raise InsecureBind(
            f"the dashboard would listen on {host} without authentication: pass --token (or set "
            "TRIBUTARY_DASHBOARD_TOKEN) or --basic-auth, or listen on 127.0.0.1"
        )
    app = create_app(dsn, token=token, basic_auth=basic_auth, read_only=read_only, anonymous_read=anonymous_read)
    logger.info("tributary dashboard on http://%s:%s/ (%s)", host, port, "read-only" if read_only else "read-write")
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=3)
