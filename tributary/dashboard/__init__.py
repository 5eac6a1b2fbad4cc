"""The web dashboard: workflows, their graphs live, queues, failures, and admin actions.

Needs the ``dashboard`` extra (``pip install 'tributary[dashboard]'``: Starlette, uvicorn,
Jinja2, prometheus-client). ``tributary dashboard`` serves it; :func:`create_app` returns the ASGI
app to mount in an existing one. See docs/dashboard.md.

The names below are imported on first use, so ``tributary.dashboard.command`` (the CLI's
arguments) loads without the extra installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tributary.dashboard.app import Dashboard, DashboardSettings, create_app, is_loopback
    from tributary.dashboard.serve import serve

__all__ = ["Dashboard", "DashboardSettings", "create_app", "is_loopback", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = importlib.import_module("tributary.dashboard.serve" if name == "serve" else "tributary.dashboard.app")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
