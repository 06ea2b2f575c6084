"""The kinds and capabilities tables of ``docs/plugins.md``, generated from ``ganlab.contracts``.

Run ``python docs/gen_plugin_tables.py`` after changing a kind or a capability; a test fails
while the doc is stale.
"""

from __future__ import annotations

from pathlib import Path

from ganlab.contracts import KINDS, capabilities, kind
from ganlab.io import replace_generated, update_generated

BEGIN = "<!-- BEGIN GENERATED CONTRACTS: python docs/gen_plugin_tables.py -->"
END = "<!-- END GENERATED CONTRACTS -->"


def _code(names: tuple[str, ...], suffix: str = "") -> str:
    return ", ".join(f"`{n}`" for n in names) + suffix if names else "none"


def kinds_table() -> str:
    """Markdown table: kind, entry-point group, structural keywords, what the factory returns."""
    rows = ["| kind | entry-point group | structural keywords | the factory returns |",
            "|---|---|---|---|"]
    for k in KINDS:
        structural = (_code(k.positional, " (first positional argument)") if k.positional
                      else _code(k.structural))
        rows.append(f"| {k.singular} | `{k.group}` | {structural} | {k.returns} |")
    return "\n".join(rows)


def capabilities_table() -> str:
    """Markdown table: capability Protocol, which plugins, what has it, members, contract."""
    rows = ["| capability (`ganlab.contracts`) | plugin kind | held by | members | contract |",
            "|---|---|---|---|---|"]
    for cap in capabilities():
        who = "every kind" if cap.kind == "*" else kind(cap.kind).singular
        held = "the factory" if cap.on_factory else "the object it returns"
        rows.append(f"| `{cap.name}` | {who} | {held} | {_code(cap.members)} | {cap.summary} |")
    return "\n".join(rows)


def render_doc(text: str) -> str:
    """``text`` (the doc) with its generated tables replaced by the current contracts."""
    body = (f"{kinds_table()}\n\nOptional capabilities: a plugin that has one gets the extra "
            f"behaviour; a plugin without it works as before.\n\n{capabilities_table()}\n")
    return replace_generated(text, BEGIN, END, body)


def update_doc(path: str | Path, *, check: bool = False) -> bool:
    """Regenerate the tables in the doc at ``path``; with ``check`` only report staleness.

    Returns:
        ``True`` if the file is (or was) out of date.
    """
    return update_generated(path, render_doc, check=check)
