"""Finding the application ``tributary worker --app module:attr`` names."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

from tributary.cli.output import EXIT_USAGE, CommandError
from tributary.client import Client
from tributary.config import Config


def _need_dsn(dsn: str | None, spec: str) -> str:
    if not dsn:
        raise CommandError(f"{spec} gives a Config: pass --dsn or set DATABASE_URL to build its Client", EXIT_USAGE)
    return dsn


def load_app(spec: str, dsn: str | None) -> Client:
    """The Client that ``spec`` (``module:attr``) names.

    ``attr`` may be a Client, a Config (a Client is built on ``dsn``), or a factory returning
    either one, called with no argument or with ``dsn`` (when it takes one and a DSN is given).
    """
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise CommandError(f"--app takes module:attribute (e.g. myapp.tasks:make_client), got {spec!r}", EXIT_USAGE)
    # Like `python -m`, find apps in the current directory also when run as a console script.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise CommandError(f"cannot import {module_name!r}: {error}", EXIT_USAGE) from error
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as error:
            raise CommandError(f"{module_name!r} has no attribute {attr_path!r}", EXIT_USAGE) from error
    if isinstance(target, Client):
        return target
    if isinstance(target, Config):
        return Client(_need_dsn(dsn, spec), target)
    if not callable(target):
        raise CommandError(
            f"{spec} is a {type(target).__name__}; expected a Client, a Config, or a callable returning a Client",
            EXIT_USAGE,
        )
    try:
        takes_dsn = len(inspect.signature(target).parameters) >= 1
    except (TypeError, ValueError):
        takes_dsn = False
    made = target(dsn) if takes_dsn and dsn else target()
    if isinstance(made, Client):
        return made
    if isinstance(made, Config):
        return Client(_need_dsn(dsn, spec), made)
    raise CommandError(f"{spec}() returned a {type(made).__name__}; expected a Client or a Config", EXIT_USAGE)
