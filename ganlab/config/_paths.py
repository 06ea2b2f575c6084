"""Dotted config paths (``gan.optimizer.lr``) read and written on the dict form of a study.

Lists of plugin tables are addressed by plugin name: ``data.filters.bilateral.d`` is the ``d`` of
the ``bilateral`` entry of ``data.filters``. Setting ``data.filters.bilateral`` to ``false``
removes that step (``true`` keeps it), which is how ablations switch a filter on and off.
Setting ``x.name`` of a plugin table to another name drops the old plugin's parameters, and a
parameter of a plugin the file leaves at its default (``classifier.model.dropout``) is set on that
default plugin.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
import typing
from typing import Any

from ganlab.config._schema import Config, PluginRef
from ganlab.errors import ConfigError


@functools.cache
def _plugin_paths() -> frozenset[str]:
    """Config paths of every single-plugin field (``gan.optimizer``, ``study.sampler``, ...)."""
    out: set[str] = set()

    def walk(tp: type, prefix: str) -> None:
        for name, hint in typing.get_type_hints(tp).items():
            args = typing.get_args(hint) if typing.get_origin(hint) in (
                typing.Union, types.UnionType) else (hint,)
            for arg in args:
                if arg is PluginRef:
                    out.add(prefix + name)
                elif dataclasses.is_dataclass(arg):
                    walk(arg, f"{prefix}{name}.")

    walk(Config, "")
    return frozenset(out)


@functools.cache
def _plugin_defaults() -> dict[str, dict[str, Any]]:
    """The schema's default plugin table of every single-plugin field that has one."""
    out: dict[str, dict[str, Any]] = {}

    def walk(tp: type, prefix: str) -> None:
        for f in dataclasses.fields(tp):
            if isinstance(f.default, PluginRef):
                out[prefix + f.name] = f.default.as_dict()
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
                if dataclasses.is_dataclass(value):
                    walk(type(value), f"{prefix}{f.name}.")

    walk(Config, "")
    return out


def _find_named(items: list[Any], name: str) -> int | None:
    for i, item in enumerate(items):
        if (isinstance(item, dict) and item.get("name") == name) or item == name:
            return i
    return None


def get_path(raw: dict[str, Any], path: str, default: Any = None) -> Any:
    """Value at ``path`` in ``raw`` (the dict form of a study), or ``default``."""
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, dict):
            if part not in node:
                return default
            node = node[part]
        elif isinstance(node, list):
            idx = _find_named(node, part)
            if idx is None:
                return default
            node = node[idx]
        else:
            return default
    return node


def set_path(raw: dict[str, Any], path: str, value: Any, *, where: str = "") -> None:
    """Set ``path`` to ``value`` in place, creating tables on the way."""
    parts = path.split(".")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            nxt = node.get(part)
            if nxt is None:  # a plugin left at its default starts from the default's table
                nxt = copy.deepcopy(_plugin_defaults().get(".".join(parts[: i + 1]), {}))
                node[part] = nxt
            elif isinstance(nxt, str) and ".".join(parts[: i + 1]) in _plugin_paths():
                # a plugin given by bare name ("adam") becomes a table so params can be set
                nxt = {"name": nxt}
                node[part] = nxt
            elif not isinstance(nxt, (dict, list)):
                raise ConfigError(
                    f"{where}: {path}: {'.'.join(parts[: i + 1])} is {nxt!r}, not a table"
                )
            node = nxt
        elif isinstance(node, list):
            idx = _find_named(node, part)
            if idx is None:
                names = [n.get("name") if isinstance(n, dict) else n for n in node]
                raise ConfigError(
                    f"{where}: {path}: no entry named {part!r} in "
                    f"{'.'.join(parts[:i])}; entries: {', '.join(map(str, names)) or 'none'}"
                )
            if isinstance(node[idx], str):
                node[idx] = {"name": node[idx]}
            node = node[idx]
        else:
            raise ConfigError(f"{where}: {path}: {'.'.join(parts[:i])} is not a table")
    last = parts[-1]
    if isinstance(node, list):
        idx = _find_named(node, last)
        if value is False:
            if idx is not None:
                node.pop(idx)
            return
        if value is True:
            if idx is None:
                raise ConfigError(f"{where}: {path}: cannot switch on {last!r}: not in the file")
            return
        if idx is None:
            node.append(value if isinstance(value, dict) else {"name": last})
        else:
            node[idx] = value
        return
    if not isinstance(node, dict):
        raise ConfigError(f"{where}: {path}: parent is not a table")
    if last == "name" and node.get("name") not in (None, value):
        for key in [k for k in node if k != "name"]:
            del node[key]
    node[last] = copy.deepcopy(value)


def apply_overrides(
    raw: dict[str, Any], overrides: dict[str, Any], *, where: str
) -> dict[str, Any]:
    """A copy of ``raw`` with every ``{"config.path": value}`` of ``overrides`` applied."""
    if not isinstance(overrides, dict):
        raise ConfigError(f"{where}: expected a table of \"config.path\" = value")
    out = copy.deepcopy(raw)
    for path, value in _flatten_overrides(overrides):
        set_path(out, path, value, where=where)
    return out


def _flatten_overrides(overrides: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Accept both ``"gan.epochs" = 5`` and nested ``[profiles.gpu.gan] epochs = 5`` forms.

    A nested table without a ``name`` key is flattened into paths; a plugin table (with
    ``name``) and any other value is set as a whole.
    """
    out: list[tuple[str, Any]] = []
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and "name" not in value and value:
            out.extend(_flatten_overrides(value, f"{path}."))
        else:
            out.append((path, value))
    return out
