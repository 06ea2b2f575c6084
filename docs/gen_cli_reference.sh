#!/usr/bin/env bash
# Regenerate docs/cli.md, the command reference, from the Typer command tree of ganlab.cli.
# Usage (from anywhere): bash docs/gen_cli_reference.sh [OUTPUT]    (default: docs/cli.md)
# tests/docs/test_cli_reference.py regenerates into a temporary file and fails when they differ.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-docs/cli.md}"
# `python -m typer` is the `typer` command (typer ganlab.cli utils docs ...) of the installed Python
"${PYTHON:-python3}" -m typer ganlab.cli utils docs --name ganlab --output "$out"
