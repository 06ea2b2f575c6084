"""The entry-point registry: one :class:`Registry` per plugin kind.

Discovery reads installed distributions' metadata only (``importlib.metadata``); nothing is
imported until a plugin is used. Built-in plugins are entry points of the ``ganlab`` distribution,
declared in its ``pyproject.toml`` exactly like a third party's.

Set ``GANLAB_DISABLE_PLUGIN_AUTOLOAD=1`` for hermetic runs: only the built-in plugins (those of the
``ganlab`` distribution) and the distributions named in ``GANLAB_PLUGINS`` (comma separated) are
then visible.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import importlib.util
import inspect
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from ganlab.contracts import DeclaresSearchSpace
from ganlab.errors import PluginError

BUILTIN_DISTRIBUTION = "ganlab"
DISABLE_AUTOLOAD_ENV = "GANLAB_DISABLE_PLUGIN_AUTOLOAD"
ALLOW_ENV = "GANLAB_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """What the metadata says about one registered plugin, without importing it."""

    name: str
    kind: str
    group: str
    value: str  # "module:attr"
    package: str
    version: str

    def summary(self) -> str:
        """First docstring paragraph of the factory, read from source without importing it."""
        return _static_summary(self.value)


@dataclass(frozen=True)
class ParamInfo:
    """One keyword parameter of a plugin factory."""

    name: str
    annotation: str
    default: Any
    required: bool


@dataclass
class _Entry:
    infos: list[PluginInfo] = field(default_factory=list)
    entry_points: list[metadata.EntryPoint] = field(default_factory=list)


def _normalize(dist_name: str) -> str:
    return re.sub(r"[-_.]+", "-", dist_name).lower()


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def autoload_disabled() -> bool:
    """Whether third-party plugin auto-loading is switched off by the environment."""
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _allowed(dist_name: str) -> bool:
    if _normalize(dist_name) == BUILTIN_DISTRIBUTION or not autoload_disabled():
        return True
    allow = {_normalize(p) for p in os.environ.get(ALLOW_ENV, "").split(",") if p.strip()}
    return _normalize(dist_name) in allow


class Registry:
    """Plugins of one kind, discovered from the entry-point group ``ganlab.<kind>``.

    Args:
        kind: Plural kind name, e.g. ``"generators"``.
        structural: Keywords that ganlab passes to every factory of this kind (e.g. ``nz``),
            beside the plugin's own parameters from the study file. Users cannot set them.
        positional: Leading positional arguments that ganlab passes (1 for optimizers, which
            are called as ``factory(params, **hyperparameters)``).
        contract: One line saying what a factory must return; shown in errors and docs.
    """

    def __init__(
        self,
        kind: str,
        *,
        structural: tuple[str, ...] = (),
        positional: int = 0,
        contract: str = "",
    ) -> None:
        self.kind = kind
        self.group = f"ganlab.{kind}"
        self.structural = structural
        self.positional = positional
        self.contract = contract
        self._extra: list[metadata.EntryPoint] = []
        self._cache: dict[str, _Entry] | None = None
        self._loaded: dict[str, Any] = {}

    # -- discovery -------------------------------------------------------------------------
    def _entry_points(self) -> Iterable[metadata.EntryPoint]:
        yield from metadata.entry_points(group=self.group)
        yield from self._extra

    def _entries(self) -> dict[str, _Entry]:
        if self._cache is None:
            entries: dict[str, _Entry] = {}
            seen: set[tuple[str, str, str]] = set()
            for ep in self._entry_points():
                dist = getattr(ep, "dist", None)
                package = dist.metadata["Name"] if dist is not None else "<unknown>"
                version = dist.version if dist is not None else "?"
                if not _allowed(package):
                    continue
                key = (ep.name, ep.value, _normalize(package))
                if key in seen:  # the same distribution found twice on sys.path
                    continue
                seen.add(key)
                info = PluginInfo(ep.name, self.kind, self.group, ep.value, package, version)
                entry = entries.setdefault(ep.name, _Entry())
                entry.infos.append(info)
                entry.entry_points.append(ep)
            self._cache = entries
        return self._cache

    def refresh(self) -> None:
        """Forget what was discovered and loaded (after installing a package at run time)."""
        self._cache = None
        self._loaded.clear()

    def add_entry_point(self, ep: metadata.EntryPoint) -> None:
        """Register an entry point by hand (used by tests; users install packages instead)."""
        self._extra.append(ep)
        self.refresh()

    def remove_entry_point(self, ep: metadata.EntryPoint) -> None:
        """Undo :meth:`add_entry_point`."""
        self._extra.remove(ep)
        self.refresh()

    def names(self) -> list[str]:
        """All plugin names of this kind, naturally sorted."""
        return sorted(self._entries(), key=_natural_key)

    def list(self, pattern: str = "*", *, exclude: Iterable[str] = ()) -> list[PluginInfo]:
        """Plugins whose name matches an fnmatch ``pattern`` and none of ``exclude``."""
        excluded = tuple(exclude)
        out: list[PluginInfo] = []
        for name in self.names():
            if not fnmatch.fnmatch(name, pattern):
                continue
            if any(fnmatch.fnmatch(name, ex) for ex in excluded):
                continue
            out.extend(self._entries()[name].infos)
        return out

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries()

    def info(self, name: str) -> PluginInfo:
        """Metadata of one plugin; raises :class:`PluginError` if unknown or ambiguous."""
        return self._entry(name).infos[0]

    def _entry(self, name: str) -> _Entry:
        entries = self._entries()
        if name not in entries:
            close = difflib.get_close_matches(name, list(entries), n=5, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            available = ", ".join(self.names()) or "none installed"
            raise PluginError(
                f"unknown {self.singular} plugin {name!r}.{hint} Available {self.kind}: "
                f"{available}. Run `ganlab plugins list --kind {self.kind}`."
            )
        entry = entries[name]
        if len(entry.infos) > 1:
            owners = " and ".join(f"{i.package} ({i.value})" for i in entry.infos)
            raise PluginError(
                f"{self.singular} plugin {name!r} is registered by more than one package: "
                f"{owners}. Uninstall one of them, or set {DISABLE_AUTOLOAD_ENV}=1 with "
                f"{ALLOW_ENV} naming the package to keep."
            )
        return entry

    @property
    def singular(self) -> str:
        """One plugin of this kind, in words: ``"filter"``, ``"loss"``."""
        if self.kind.endswith("sses"):
            return self.kind[:-2]
        if self.kind.endswith("sis"):  # "synthesis" is its own singular
            return self.kind
        return self.kind[:-1] if self.kind.endswith("s") else self.kind

    # -- loading ---------------------------------------------------------------------------
    def load(self, name: str) -> Callable[..., Any]:
        """Import and return the factory behind ``name``."""
        if name in self._loaded:
            return self._loaded[name]
        entry = self._entry(name)
        info, ep = entry.infos[0], entry.entry_points[0]
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure becomes a user message
            raise PluginError(
                f"{self.singular} plugin {name!r} from package {info.package} {info.version} "
                f"failed to load (entry point {self.group}: {name} = {info.value}): "
                f"{type(exc).__name__}: {exc}. Fix or reinstall that package."
            ) from exc
        if not callable(obj):
            raise PluginError(
                f"{self.singular} plugin {name!r} ({info.package}: {info.value}) is not "
                f"callable; an entry point must name a factory. {self.contract}"
            )
        self._loaded[name] = obj
        return obj

    def create(self, name: str, /, *args: Any, **params: Any) -> Any:
        """Call the factory ``name`` with ``params``; ``None`` values are dropped.

        Dropping ``None`` lets unset options fall back to the factory's own defaults. ``args``
        are the kind's leading positional arguments (an optimizer's ``params``).
        """
        factory = self.load(name)
        kwargs = {k: v for k, v in params.items() if v is not None}
        self._check_params(name, factory, kwargs)
        try:
            return factory(*args, **kwargs)
        except PluginError:
            raise
        except (TypeError, ValueError) as exc:
            own = {k: v for k, v in kwargs.items() if k not in self.structural}
            raise PluginError(
                f"{self.singular} plugin {name!r} rejected its parameters {own}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def _signature(self, factory: Callable[..., Any]) -> inspect.Signature | None:
        try:
            return inspect.signature(factory)
        except (TypeError, ValueError):
            return None

    def _own_parameters(self, sig: inspect.Signature) -> list[inspect.Parameter]:
        """Parameters a user may set: not positional-by-ganlab, structural, or ``*args``."""
        out: list[inspect.Parameter] = []
        skipped = 0
        for p in sig.parameters.values():
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if skipped < self.positional and p.kind in (p.POSITIONAL_ONLY,
                                                         p.POSITIONAL_OR_KEYWORD):
                skipped += 1
                continue
            if p.name in self.structural or p.kind is p.POSITIONAL_ONLY:
                continue
            out.append(p)
        return out

    def _check_params(self, name: str, factory: Callable[..., Any], kwargs: dict) -> None:
        sig = self._signature(factory)
        if sig is None:
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
            return
        accepted = {p.name for p in self._own_parameters(sig)} | set(self.structural)
        unknown = sorted(set(kwargs) - accepted)
        if unknown:
            own = sorted(accepted - set(self.structural))
            raise PluginError(
                f"{self.singular} plugin {name!r} has no parameter "
                f"{', '.join(map(repr, unknown))}. Its parameters: {', '.join(own) or 'none'}."
            )

    def accepts_any_keyword(self, name: str) -> bool:
        """Whether the factory takes ``**kwargs`` (its parameters cannot be checked)."""
        sig = self._signature(self.load(name))
        return sig is None or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()
        )

    def parameters(self, name: str) -> list[ParamInfo]:
        """The plugin's own keyword parameters (structural and positional ones excluded)."""
        sig = self._signature(self.load(name))
        if sig is None:
            return []
        out: list[ParamInfo] = []
        for p in self._own_parameters(sig):
            ann = p.annotation
            ann_text = "" if ann is inspect.Parameter.empty else getattr(ann, "__name__", str(ann))
            required = p.default is inspect.Parameter.empty
            out.append(ParamInfo(p.name, ann_text, None if required else p.default, required))
        return out

    def search_space(self, name: str) -> dict[str, dict[str, Any]]:
        """The plugin's declared default search space (``factory.search_space``), or ``{}``."""
        factory = self.load(name)
        space = factory.search_space if isinstance(factory, DeclaresSearchSpace) else {}
        space = space or {}
        if not isinstance(space, dict):
            info = self.info(name)
            raise PluginError(
                f"{self.singular} plugin {name!r} ({info.package}) declares search_space as "
                f"{type(space).__name__}; it must be a dict of parameter -> spec."
            )
        return dict(space)

    def describe(self, name: str) -> str:
        """First paragraph of the factory's docstring, read from its source without running it.

        Nothing is imported: the module's file is located and parsed, not executed, so a
        broken plugin still gets listed.
        """
        return _static_summary(self.info(name).value)


def _module_file(module_name: str) -> str | None:
    """Source file of a module, found without importing it or its parent packages."""
    from importlib.machinery import PathFinder

    parts = module_name.split(".")
    spec = importlib.util.find_spec(parts[0])  # a top-level lookup imports nothing
    for i in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = PathFinder.find_spec(".".join(parts[: i + 1]), spec.submodule_search_locations)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return spec.origin


def _first_paragraph(doc: str) -> str:
    """The docstring's first paragraph as one line (a sentence may wrap over lines)."""
    lines = []
    for line in doc.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def _static_summary(value: str) -> str:
    module_name, _, attr = value.partition(":")
    try:
        origin = _module_file(module_name.strip())
        if origin is None:
            return ""
        with open(origin, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except Exception:  # noqa: BLE001 - a summary is best effort; loading reports real errors
        return ""
    target = attr.strip().split(".")[0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == target:
            return _first_paragraph(ast.get_docstring(node) or "")
    return ""
