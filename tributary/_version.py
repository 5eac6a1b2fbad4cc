"""The installed package's version."""

from __future__ import annotations

from importlib import metadata


def package_version() -> str:
    """The version of the installed ``tributary`` distribution (``0+unknown`` when not installed)."""
    try:
        return metadata.version("tributary")
    except metadata.PackageNotFoundError:
        return "0+unknown"
