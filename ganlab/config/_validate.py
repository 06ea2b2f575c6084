"""Check the plugins a study names against the registry, at load time.

Every plugin reference must name a registered plugin of the right kind, set only parameters its
factory accepts (never the structural keywords ganlab passes itself), give every required one,
and give values of the annotated simple type (number, integer, boolean, string, list). Search
paths into a plugin (``gan.optimizer.lr``) must name a real parameter of it (checked where
the search space is used).
"""

from __future__ import annotations

import ast
import difflib
import inspect
from typing import Any

from ganlab.config._schema import PLUGIN_FIELDS, Config, PluginRef
from ganlab.config._text import show
from ganlab.contracts import DeclaresImageSizes
from ganlab.errors import ConfigError, PluginError
from ganlab.registry import REGISTRIES

# Where the value of each structural keyword comes from, for the error message.
_STRUCTURAL_SOURCE = {
    "nz": "gan.nz",
    "image_size": "data.image_size",
    "num_classes": "gan.conditional (generators, discriminators) or the data's classes",
    "channels": "the data (RGB, 3 channels)",
    "params": "the network being trained",
}

_SIMPLE = {"float": "a number", "int": "an integer", "bool": "true or false", "str": "a string"}


def _get(cfg: Config, path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


def plugin_refs(cfg: Config) -> list[tuple[str, str, PluginRef]]:
    """Every plugin reference in ``cfg`` as ``(config path, kind, ref)``.

    A list entry's path names the plugin (``data.filters.bilateral``), like config paths do.
    """
    out: list[tuple[str, str, PluginRef]] = []
    for path, kind in PLUGIN_FIELDS.items():
        value = _get(cfg, path)
        if value is None:
            continue
        if isinstance(value, PluginRef):
            out.append((path, kind, value))
        else:
            out.extend((f"{path}.{ref.name}", kind, ref) for ref in value)
    return out


def validate_plugins(cfg: Config) -> None:
    """Raise :class:`ConfigError` naming the file and key path of the first bad plugin use.

    ``[search]`` is checked by :func:`validate_search`, only where it is used (a study run),
    so a command that ignores it keeps working after a model swap.
    """
    prefix = f"{cfg.source or '<config>'}: "
    for path, kind, ref in plugin_refs(cfg):
        reg = REGISTRIES[kind]
        try:
            reg.info(ref.name)
            reg.load(ref.name)
        except PluginError as exc:
            raise ConfigError(f"{prefix}{path}.name: {exc}") from None
        _check_params(prefix, path, reg, ref)
        if kind in _BUILT_AT_CHECK:
            _check_build(prefix, path, reg, ref)
    _check_synthesis(cfg, prefix)


def _check_synthesis(cfg: Config, prefix: str) -> None:
    """``classifier.synthesis`` against the rest: not with ``mode``, a GAN when it needs one."""
    clf = cfg.classifier
    if clf.synthesis is None or not clf.enabled:
        return
    if clf.mode != "real":
        raise ConfigError(
            f"{prefix}classifier.synthesis: set together with classifier.mode = {clf.mode!r}; "
            "keep one: remove mode and synthetic_ratio (mode = \"real+synthetic\" with "
            "synthetic_ratio = r is synthesis = {name = \"mix\", ratio = r})")
    strategy = REGISTRIES["synthesis"].create(clf.synthesis.name, **clf.synthesis.params)
    if strategy.needs_gan and not (cfg.gan.enabled and cfg.gan.conditional):
        raise ConfigError(
            f"{prefix}classifier.synthesis: strategy {clf.synthesis.name!r} draws images from "
            "a class-conditional GAN, and this study has none; set [gan] enabled = true and "
            "conditional = true, or remove classifier.synthesis")


# Kinds cheap enough to build at load time, so a bad parameter value (an ADA target of 1.5)
# fails at `ganlab config check` with the factory's own message rather than in a trial.
_BUILT_AT_CHECK = {"gan_augmentations", "synthesis"}


def _check_build(prefix: str, path: str, reg: Any, ref: PluginRef) -> None:
    try:
        reg.create(ref.name, **ref.params)
    except (PluginError, ValueError, TypeError) as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, (ValueError, TypeError)) else exc
        text = str(cause)
        key = text.split(" ", 1)[0]
        where = f"{path}.{key}" if key in ref.params else path
        raise ConfigError(f"{prefix}{where}: {text}") from None


def _check_params(prefix: str, path: str, reg: Any, ref: PluginRef) -> None:
    what = f"{reg.singular} plugin {ref.name!r}"
    for key in ref.params:
        if key in reg.structural or (key == "params" and reg.positional):
            source = _STRUCTURAL_SOURCE.get(key, "ganlab")
            raise ConfigError(
                f"{prefix}{path}.{key}: {key!r} is passed to every {reg.singular} by ganlab "
                f"(from {source}); remove it from the plugin table"
            )
    params = {p.name: p for p in reg.parameters(ref.name)}
    open_kwargs = reg.accepts_any_keyword(ref.name)
    for key, value in ref.params.items():
        if key not in params:
            if open_kwargs:
                continue
            close = difflib.get_close_matches(key, list(params), n=3, cutoff=0.6)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{prefix}{path}.{key}: unknown parameter of {what}.{hint} Its parameters: "
                f"{', '.join(params) or 'none'} (see `ganlab plugins show {ref.name}`)"
            )
        if value is None:
            continue
        expected = _mismatch(_annotation_text(reg.load(ref.name), key), value)
        if expected:
            raise ConfigError(f"{prefix}{path}.{key}: expected {expected}, got {show(value)}")
    missing = [p.name for p in params.values() if p.required and p.name not in ref.params]
    if missing:
        raise ConfigError(
            f"{prefix}{path}: {what} needs parameter(s) {', '.join(missing)}; add them to its "
            f"table, e.g. {{name = \"{ref.name}\", {missing[0]} = ...}}"
        )


def validate_image_sizes(cfg: Config, *, gan: bool = True) -> None:
    """Every network plugin that declares its image sizes (``DeclaresImageSizes``) supports
    the side ganlab would build it for; ``gan`` False skips the GAN's (a study that trains none).

    The side is ``data.image_size``, or ``classifier.image_size`` for the classifier when set.
    """
    prefix = f"{cfg.source or '<config>'}: "
    for path, kind, ref in plugin_refs(cfg):
        if path.startswith("gan.") and not gan:
            continue
        if path.startswith("classifier."):
            key = "classifier.image_size" if cfg.classifier.image_size else "data.image_size"
        elif path.startswith("gan."):
            key = "data.image_size"
        else:  # baselines are prepared at each model's own size
            continue
        factory = REGISTRIES[kind].load(ref.name)
        if not isinstance(factory, DeclaresImageSizes):
            continue
        size = _get(cfg, key)
        problem = factory.unsupported_image_size(size)
        if problem:
            raise ConfigError(f"{prefix}{key}: {size} does not fit {path} ({ref.name!r}): "
                              f"{problem}")


def validate_search(cfg: Config) -> None:
    """Every ``[search]`` path into a plugin names a real parameter of that plugin."""
    prefix = f"{cfg.source or '<config>'}: "
    refs = {path: (kind, ref) for path, kind, ref in plugin_refs(cfg)}
    for key in cfg.search:
        parent, _, param = key.rpartition(".")
        if parent not in refs or param == "name" or f"{parent}.name" in cfg.search:
            continue
        kind, ref = refs[parent]
        reg = REGISTRIES[kind]
        names = [p.name for p in reg.parameters(ref.name)]
        if param not in names and not reg.accepts_any_keyword(ref.name):
            raise ConfigError(
                f'{prefix}search."{key}": {param!r} is not a parameter of {reg.singular} plugin '
                f"{ref.name!r}; its parameters: {', '.join(names) or 'none'}"
            )


# -- annotations --------------------------------------------------------------------------------
def _annotation_text(factory: Any, name: str) -> str:
    try:
        param = inspect.signature(factory).parameters[name]
    except (TypeError, ValueError, KeyError):
        return ""
    ann = param.annotation
    if ann is inspect.Parameter.empty:
        return ""
    text = ann if isinstance(ann, str) else inspect.formatannotation(ann)
    return text.replace("typing.", "")


def _mismatch(annotation: str, value: Any) -> str:
    """What ``value`` should have been, or ``""`` if it fits (unknown annotations always fit)."""
    if not annotation:
        return ""
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return ""
    options = _options(node)
    if options is None:  # an annotation too rich to check here; the factory will judge
        return ""
    if any(_fits(opt, value) for opt in options):
        return ""
    return " or ".join(dict.fromkeys(_describe(opt) for opt in options if opt != "None"))


def _options(node: ast.expr) -> list[Any] | None:
    """Flatten unions/Optional into simple options: a type name, ("list", item) or ("lit", v)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _options(node.left), _options(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Constant) and node.value is None:
        return ["None"]
    if isinstance(node, ast.Name):
        return [node.id] if node.id in (*_SIMPLE, "None") else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute)):
        head = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
        inner = node.slice
        if head == "Optional":
            sub = _options(inner)
            return None if sub is None else [*sub, "None"]
        if head == "Union" and isinstance(inner, ast.Tuple):
            subs = [_options(e) for e in inner.elts]
            return None if any(s is None for s in subs) else [o for s in subs for o in s]
        if head == "Literal":
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if all(isinstance(e, ast.Constant) for e in elts):
                return [("lit", tuple(e.value for e in elts))]
            return None
        if head in ("tuple", "list", "Tuple", "List", "Sequence"):
            return [("list", None)]
    return None


def _fits(option: Any, value: Any) -> bool:
    if option == "None":
        return value is None
    if option == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if option == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if option == "bool":
        return isinstance(value, bool)
    if option == "str":
        return isinstance(value, str)
    if option[0] == "lit":
        return value in option[1]
    return isinstance(value, (list, tuple))


def _describe(option: Any) -> str:
    if isinstance(option, str):
        return _SIMPLE[option]
    if option[0] == "lit":
        return "one of " + ", ".join(show(v) for v in option[1])
    return "a list"
