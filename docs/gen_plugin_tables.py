"""Regenerate the kinds and capabilities tables in docs/plugins.md from ganlab/contracts.py.

Usage (from the repository root)::

    python docs/gen_plugin_tables.py          # rewrite the generated part
    python docs/gen_plugin_tables.py --check  # exit 1 if it is out of date (the tests do this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from ganlab.registry._reference import update_doc

DOC = Path(__file__).resolve().parent / "plugins.md"


def main(argv: list[str]) -> int:
    """Rewrite (or with ``--check`` only compare) the generated part of the doc."""
    check = "--check" in argv
    stale = update_doc(DOC, check=check)
    if check and stale:
        print(f"{DOC} is out of date: run `python docs/gen_plugin_tables.py`", file=sys.stderr)
        return 1
    print(f"{DOC}: {'regenerated' if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
