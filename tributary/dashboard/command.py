"""``tributary dashboard``: its arguments and what it runs. Loads without the dashboard extra, so
the command can say how to install it."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

EXIT_FAILED = 1
EXIT_USAGE = 2
TOKEN_ENV = "TRIBUTARY_DASHBOARD_TOKEN"
BASIC_AUTH_ENV = "TRIBUTARY_DASHBOARD_BASIC_AUTH"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``tributary dashboard``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"require this token (bearer, or basic auth password) (default: ${TOKEN_ENV})",
    )
    parser.add_argument(
        "--basic-auth",
        metavar="USER:PASSWORD",
        default=os.environ.get(BASIC_AUTH_ENV) or None,
        help=f"require HTTP basic auth with this user and password (default: ${BASIC_AUTH_ENV})",
    )
    parser.add_argument("--read-only", action="store_true", help="show everything, allow no action")
    parser.add_argument("--anonymous-read", action="store_true", help="pages need no credentials (actions still do)")


def run(args: argparse.Namespace, dsn: str) -> int:
    """Serves the dashboard until SIGINT/SIGTERM; returns the exit code."""
    basic_auth = None
    if args.basic_auth:
        user, sep, password = str(args.basic_auth).partition(":")
        if not sep or not user or not password:
            sys.stderr.write("tributary dashboard: --basic-auth takes USER:PASSWORD\n")
            return EXIT_USAGE
        basic_auth = (user, password)
    try:
        serving = importlib.import_module("tributary.dashboard.serve")
    except ImportError as missing:
        sys.stderr.write(
            f"tributary dashboard: {missing.name or 'a dependency'} is missing: pip install 'tributary[dashboard]'\n"
        )
        return EXIT_FAILED
    try:
        serving.serve(
            dsn,
            args.host,
            args.port,
            token=args.token,
            basic_auth=basic_auth,
            read_only=args.read_only,
            anonymous_read=args.anonymous_read,
        )
    except ValueError as refused:  # serving.InsecureBind, or a bad combination of options
        sys.stderr.write(f"tributary dashboard: {refused}\n")
        return EXIT_USAGE
    return 0
