"""Regenerate the kinds and capabilities tables in docs/plugins.md and docs/architecture.md.

Usage (from the repository root)::

    python docs/gen_plugin_tables.py          # rewrite the generated part
    python docs/gen_plugin_tables.py --check  # exit 1 if it is out of date (the tests do this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from ganlab.registry._reference import update_doc

DOCS = [Path(__file__).resolve().parent / name for name in ("plugins.md", "architecture.md")]


def main(argv: list[str]) -> int:
    """Rewrite (or with ``--check`` only compare) the generated part of each doc."""
    check = "--check" in argv
    failed = 0
    for doc in DOCS:
        stale = update_doc(doc, check=check)
        if check and stale:
            print(f"{doc} is out of date: run `python docs/gen_plugin_tables.py`",
                  file=sys.stderr)
            failed = 1
        else:
            print(f"{doc}: {'regenerated' if stale else 'up to date'}")
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
