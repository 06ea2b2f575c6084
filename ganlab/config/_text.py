"""How values are quoted in error messages: as they are written in a TOML file."""

from __future__ import annotations

from typing import Any


def show(value: Any) -> str:
    """A value as it is written in TOML (strings in double quotes), for error messages."""
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
