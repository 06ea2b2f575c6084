"""Generate the schema reference of ``docs/study-files.md`` from ``_schema.py`` itself.

Field names, types and defaults come from the dataclasses; the meaning of each field is its
one-line comment in the source, read with ``tokenize`` (comments are not in the AST). The
generated part sits between two marker lines of the doc; the prose around it is hand-written.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import tokenize
import types
import typing
from pathlib import Path
from typing import Any

from ganlab.config import _schema
from ganlab.config._dump import _value, to_plain
from ganlab.config._schema import PLUGIN_FIELDS, Config, PluginRef
from ganlab.io import replace_generated, update_generated
from ganlab.registry import ParamSpec, registry_for

BEGIN = "<!-- BEGIN GENERATED SCHEMA: python docs/gen_study_reference.py -->"
END = "<!-- END GENERATED SCHEMA -->"
_LOADER_FIELDS = set(_schema.LOADER_FIELDS)  # set by the loader, not written in files
_PLURAL = {"integer": "integers", "number": "numbers", "string": "strings", "any value": "values"}
_WORDS = {int: "integer", float: "number", bool: "boolean", str: "string", Any: "any value"}


def _comments() -> dict[int, str]:
    source = inspect.getsource(_schema)
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def _class_fields() -> dict[str, dict[str, str]]:
    """``{class: {field: comment}}`` parsed from ``_schema.py``."""
    tree = ast.parse(inspect.getsource(_schema))
    comments = _comments()
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, str] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                comment = comments.get(stmt.end_lineno or stmt.lineno) or comments.get(
                    stmt.lineno, ""
                )
                fields[stmt.target.id] = comment
        out[node.name] = fields
    return out


def _default(f: dataclasses.Field, path: str) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "required"
    if value is None:
        return "not set"
    if dataclasses.is_dataclass(value) and not isinstance(value, PluginRef):
        return f"see `[{path}]`"
    plain = to_plain(value)
    return f"`{_value(plain)}`"


def _type_text(tp: Any, path: str) -> str:
    """A type in words: ``integer``, ``one of "a", "b"``, ``list of filter plugins``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        text = " or ".join(_type_text(a, path) for a in inner)
        return text + (" (optional)" if len(inner) < len(args) else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{_value(a)}`" for a in args)
    if origin is tuple:
        item = _type_text(args[0], path)
        if args[0] is PluginRef:
            return f"list of {item}s"
        if typing.get_origin(args[0]) is typing.Literal:
            return f"list, each {item}"
        return "array of tables" if item == "table" else f"list of {_PLURAL.get(item, item)}"
    if origin is dict:
        if path == "search":
            return 'table of "config.path" = search spec or `"declared"`'
        return f"table of {_type_text(args[1], path)}"
    if tp is PluginRef:
        kind = PLUGIN_FIELDS.get(path)
        if kind:
            return f"{registry_for(kind).singular} plugin"
        return "plugin"
    if tp is ParamSpec:
        return "search spec"
    if dataclasses.is_dataclass(tp):
        return "table"
    return _WORDS.get(tp, getattr(tp, "__name__", str(tp)))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _sections() -> list[tuple[str, type, bool]]:
    """``(table path, dataclass, is_array_of_tables)`` in file order, from ``Config`` down."""
    out: list[tuple[str, type, bool]] = []

    def walk(cls: type, path: str, array: bool) -> None:
        out.append((path, cls, array))
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            args = typing.get_args(tp) or (tp,)
            for arg in args:
                if dataclasses.is_dataclass(arg) and arg is not PluginRef:
                    sub = f"{path}.{f.name}" if path else f.name
                    walk(arg, sub, typing.get_origin(tp) is tuple)
                    break

    walk(Config, "", False)
    return out


def schema_reference() -> str:
    """The generated Markdown: one table per TOML table, every key with type/default/meaning."""
    parsed = _class_fields()
    lines: list[str] = []
    for path, cls, array in _sections():
        header = "The whole file" if not path else (f"`[[{path}]]`" if array else f"`[{path}]`")
        lines += [f"### {header}", "", (inspect.getdoc(cls) or "").splitlines()[0], ""]
        lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in _LOADER_FIELDS:
                continue
            comment = parsed[cls.__name__][f.name]
            full = f"{path}.{f.name}" if path else f.name
            row = [f"`{f.name}`", _type_text(hints[f.name], full), _default(f, full), comment]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_doc(text: str) -> str:
    """``text`` (the doc) with its generated part replaced by the current schema reference."""
    return replace_generated(text, BEGIN, END, schema_reference())


def update_doc(path: str | Path, *, check: bool = False) -> bool:
    """Regenerate the doc at ``path``; with ``check`` only report whether it is stale.

    Returns:
        ``True`` if the file is (or was) out of date.
    """
    return update_generated(path, render_doc, check=check)
