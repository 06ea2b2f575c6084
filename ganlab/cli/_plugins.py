"""`ganlab plugins` commands: list and show registered plugins."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ganlab.cli._app import FormatOpt, JsonAliasOpt, OutputFormat, console, make_app, wants_json
from ganlab.errors import PluginError
from ganlab.registry import REGISTRIES, registry_for

app = make_app("List and inspect the registered plugins of every kind.")

KindOption = Annotated[
    str | None,
    typer.Option("--kind", "-k", help=f"Only this kind: {', '.join(REGISTRIES)}."),
]


@app.command("list")
def list_plugins(
    kind: KindOption = None,
    pattern: Annotated[str, typer.Argument(help="fnmatch pattern on names, e.g. 'dcgan*'.")] = "*",
    fmt: FormatOpt = OutputFormat.table,
    as_json: JsonAliasOpt = False,
) -> None:
    """List plugins: name, kind, package, version and a one-line description."""
    registries = [registry_for(kind)] if kind else list(REGISTRIES.values())
    rows = []
    for reg in registries:
        infos = reg.list(pattern)
        owners = Counter(info.name for info in infos)
        for info in infos:
            conflict = owners[info.name] > 1
            rows.append(
                {
                    "name": info.name,
                    "kind": info.kind,
                    "package": info.package,
                    "version": info.version,
                    "entry_point": info.value,
                    "description": "CONFLICT: registered by several packages"
                    if conflict
                    else info.summary(),
                }
            )
    if wants_json(fmt, as_json):
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="ganlab plugins")
    for col in ("name", "kind", "package", "version"):
        table.add_column(col, no_wrap=True)
    table.add_column("description", overflow="fold", ratio=1)
    for row in rows:
        table.add_row(*(escape(row[k]) for k in ("name", "kind", "package", "version",
                                                  "description")))
    console.print(table)


@app.command("show")
def show_plugin(
    name: Annotated[str, typer.Argument(help="Plugin name.")],
    kind: KindOption = None,
) -> None:
    """Show a plugin's parameters (types, defaults) and declared search space."""
    registries = [registry_for(kind)] if kind else [r for r in REGISTRIES.values() if name in r]
    if not registries:
        all_names = sorted({n for r in REGISTRIES.values() for n in r.names()})
        close = difflib.get_close_matches(name, all_names, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise PluginError(
            f"no plugin named {name!r} in any kind.{hint} See `ganlab plugins list`."
        )
    for reg in registries:
        info = reg.info(name)
        space = reg.search_space(name)
        console.print(
            f"[bold]{escape(name)}[/] ({reg.singular}) from {escape(info.package)} "
            f"{escape(info.version)}: {escape(info.value)}", highlight=False,
        )
        summary = reg.describe(name)
        if summary:
            console.print(escape(summary), highlight=False)
        if reg.structural:
            console.print(f"structural keywords passed by ganlab: {', '.join(reg.structural)}")
        table = Table()
        for col in ("parameter", "type", "default", "search space"):
            table.add_column(col)
        for p in reg.parameters(name):
            spec = space.get(p.name)
            table.add_row(
                escape(p.name),
                escape(p.annotation),
                "required" if p.required else escape(repr(p.default)),
                escape(_space_text(spec)) if spec else "",
            )
        console.print(table)


def _space_text(spec: dict) -> str:
    """``float 5e-05..0.001 log`` for a range, ``one of a, b`` for choices; else JSON."""
    rest = {k: v for k, v in spec.items() if k not in ("type", "low", "high", "step", "log")}
    if "low" in spec and "high" in spec and not rest:
        text = f"{spec.get('type', '')} {spec['low']}..{spec['high']}".strip()
        text += f" step {spec['step']}" if spec.get("step") else ""
        return text + (" log" if spec.get("log") else "")
    if set(spec) <= {"type", "choices"} and "choices" in spec:
        return "one of " + ", ".join(map(str, spec["choices"]))
    return json.dumps(spec)
