"""`ganlab classify` commands."""

from __future__ import annotations

from ganlab.cli._app import make_app

app = make_app("classify commands.")
