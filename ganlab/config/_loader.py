"""Turn a TOML study file into a validated :class:`~ganlab.config.Config`.

Errors name the file, the key path, what is wrong and what is allowed, e.g.
``studies/x.toml: gan.optimizer.lr: expected a number > 0, got "fast"``.

A study file may hold ``[profiles.<name>]`` tables of ``"config.path" = value`` overrides, picked
with ``--profile NAME`` (e.g. a ``gpu`` profile with the paper's full schedule).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from ganlab.config._overrides import Override, attribute, override_pairs
from ganlab.config._paths import apply_overrides
from ganlab.config._schema import LOADER_FIELDS, Config, PluginRef
from ganlab.config._text import show
from ganlab.config._validate import validate_plugins
from ganlab.errors import ConfigError, GanlabError
from ganlab.registry import ParamSpec, parse_spec

_POSITIVE = {
    "n", "image_size", "batch_size", "epochs", "n_critic", "sample_every", "checkpoint_every",
    "nz", "n_trials", "n_fake", "top_k", "bootstrap", "hash_distance", "every",
    "n_per_class", "k", "feature_epochs", "tstr_epochs", "collapse_ratio", "weight",
    "heartbeat_seconds",
}
_NON_NEGATIVE = {
    "patience", "workers", "folds", "synthetic_ratio", "timeout", "difficulty", "gamma",
    "feature_seed", "checkpoint_minutes",
}
_FRACTIONS = {"val", "test", "fixed_threshold", "decay"}
MAX_IMAGE_SIZE = 2048
"""The largest image side a study (or a checkpoint's meta) may ask for, in pixels: a sane
upper bound (a side of 100000 px would need 30 GB per image)."""
_AT_MOST = {"image_size": MAX_IMAGE_SIZE}
# what a checkpoint's meta may hold, checked before anything is allocated from it
_META_BOUNDS = {"image_size": (1, MAX_IMAGE_SIZE), "channels": (1, 4), "num_classes": (0, 1000),
                "nz": (1, 65536)}


def validate_checkpoint_meta(path: str | Path, meta: Any, *, what: str) -> None:
    """Raise :class:`ConfigError` (one line) if a checkpoint's ``meta`` holds a size ganlab
    would allocate from that is not a whole number in its sane range (a tampered file with
    ``image_size = 100000`` would make OpenCV and torch allocate tens of GB)."""
    if not isinstance(meta, dict):
        raise ConfigError(f"{path}: not a ganlab {what}: its meta is not a table")
    for key, (low, high) in _META_BOUNDS.items():
        if key not in meta:
            continue
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{path}: refused: its meta {key} = {show(value)} is not a whole "
                              f"number in [{low}, {high}]; the {what} was damaged or tampered "
                              "with (retrain it, or use the file it was saved as)")
# Values that older study files (and the config records of older runs) hold, read as today's:
# gan.channels_last was "auto" | "on" | "off", where "auto" meant "on" on every device.
_LEGACY_VALUES = {("gan", "channels_last"): {"auto": True, "on": True, "off": False}}


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing file or a syntax error into a :class:`ConfigError`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{path}: no such study file. Check the path, or list studies/.")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte "
                          f"0x{exc.object[exc.start]:02x}); a study file is UTF-8: save it as "
                          "UTF-8") from None


def load_config(
    path: str | Path,
    *,
    profile: str | None = None,
    overrides: Mapping[str, Any] | Iterable[Override] | None = None,
    check_plugins: bool = True,
) -> Config:
    """Load and validate a study file: the file, then the profile, then ``overrides``.

    Args:
        path: The TOML file.
        profile: Name of a ``[profiles.<name>]`` table of overrides to apply.
        overrides: ``(config path, value)`` pairs (or a ``{path: value}`` mapping) applied
            last, in order, validated like the file; recorded in ``Config.overrides``.
        check_plugins: Also check every plugin reference against the registry
            (:func:`validate_plugins`; this imports the plugins named). Off only in tests.
    """
    raw = read_toml(path)
    cfg = config_from_dict(raw, source=str(path), profile=profile, overrides=overrides)
    if check_plugins:
        try:
            validate_plugins(cfg)
        except GanlabError as exc:
            raise attribute(exc, cfg.overrides) from None
    return cfg


def config_from_dict(
    raw: dict[str, Any],
    *,
    source: str = "<dict>",
    profile: str | None = None,
    overrides: Mapping[str, Any] | Iterable[Override] | None = None,
) -> Config:
    """Validate an already parsed study (the dict form of a TOML file)."""
    pairs = override_pairs(overrides)
    try:
        cfg = _config_from_dict(raw, source, profile, pairs)
    except ConfigError as exc:
        raise attribute(exc, pairs) from None
    return dataclasses.replace(cfg, profile=profile, overrides=pairs)


def _config_from_dict(
    raw: dict[str, Any], source: str, profile: str | None, overrides: tuple[Override, ...]
) -> Config:
    raw = copy.deepcopy(raw)
    profiles = raw.pop("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{source}: profiles: expected tables of overrides")
    if profile is not None:
        if profile not in profiles:
            known = ", ".join(profiles) or "none defined"
            raise ConfigError(f"{source}: no profile {profile!r}; profiles in this file: {known}")
        raw = apply_overrides(raw, profiles[profile], where=f"{source}: profiles.{profile}")
    for path, value in overrides:
        raw = apply_overrides(raw, {path: value}, where=f"{source}: override")
    if "study" not in raw:
        raise ConfigError(f"{source}: missing the [study] table (at least: name = \"...\")")
    search_raw = raw.pop("search", {})
    if not isinstance(search_raw, dict):
        raise ConfigError(f"{source}: search: expected a table of \"config.path\" = spec")
    _read_legacy_values(raw)
    cfg = _convert(raw, Config, f"{source}: ", "")
    if cfg.gan.aux_classifier is not None and not cfg.gan.conditional:
        raise ConfigError(
            f"{source}: gan.aux_classifier: the class head needs a class-conditional GAN; set "
            "gan.conditional = true, or remove gan.aux_classifier"
        )
    if cfg.data.split.folds == 1 or cfg.data.split.folds < 0:
        raise ConfigError(
            f"{source}: data.split.folds: {cfg.data.split.folds} is no cross-validation; set 0 "
            "(one train/validation/test split) or K >= 2 (K models, each validated on its fold)"
        )
    split = cfg.data.split
    if split.folds < 2 and split.val + split.test >= 1:
        raise ConfigError(
            f"{source}: data.split: val + test = {show(split.val + split.test)} leaves no "
            "training images; make val + test < 1 (e.g. val = 0.15, test = 0.15)")
    search = _convert_search(search_raw, source)
    base_dir = str(Path(source).resolve().parent) if source != "<dict>" else str(Path.cwd())
    return dataclasses.replace(cfg, search=search, source=source, base_dir=base_dir)


def _read_legacy_values(raw: dict[str, Any]) -> None:
    """Replace, in place, the old spellings of :data:`_LEGACY_VALUES` by today's values."""
    for (table, key), values in _LEGACY_VALUES.items():
        section = raw.get(table)
        if isinstance(section, dict) and isinstance(section.get(key), str):
            section[key] = values.get(section[key], section[key])


def _convert_search(raw: dict[str, Any], source: str) -> dict[str, ParamSpec | str]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{source}: search.\"{key}\""
        if value == "declared":  # the plugin's own declared space, expanded per trial
            out[key] = "declared"
        else:
            out[key] = parse_spec(value, where=where)
    return out


# -- generic dataclass conversion ---------------------------------------------------------------
def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if all(a is bool or get_origin(a) is Literal for a in args):  # true, false or 'x'
            words = [w for a in args
                     for w in (("true", "false") if a is bool else map(repr, get_args(a)))]
            return ", ".join(words[:-1]) + " or " + words[-1]
        return " or ".join(_describe(a) for a in args)
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a table"
    if tp is PluginRef:
        return 'a plugin table such as {name = "..."}'
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _fail(prefix: str, path: str, tp: Any, value: Any, extra: str = "") -> typing.NoReturn:
    raise ConfigError(f"{prefix}{path}: expected {_describe(tp)}{extra}, got {show(value)}")


def _check_range(prefix: str, path: str, name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if name in _POSITIVE and not value > 0:  # nan too
        raise ConfigError(f"{prefix}{path}: expected a number > 0, got {show(value)}")
    if name in _POSITIVE and value == math.inf:
        raise ConfigError(f"{prefix}{path}: expected a finite number > 0, got {show(value)}")
    if name in _NON_NEGATIVE and value < 0:
        raise ConfigError(f"{prefix}{path}: expected a number >= 0, got {show(value)}")
    if name in _FRACTIONS and not 0 <= value < 1:
        raise ConfigError(f"{prefix}{path}: expected a fraction in [0, 1), got {show(value)}")
    if name in _AT_MOST and value > _AT_MOST[name]:
        raise ConfigError(f"{prefix}{path}: expected at most {_AT_MOST[name]} (pixels per side), "
                          f"got {show(value)}")


def _convert(value: Any, tp: Any, prefix: str, path: str) -> Any:
    origin = get_origin(tp)
    name = path.rsplit(".", 1)[-1]
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg, prefix, path)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        _fail(prefix, path, tp, value)
    if origin is Literal:
        if value not in get_args(tp):
            _fail(prefix, path, tp, value)
        return value
    if tp is PluginRef:
        return _plugin_ref(value, prefix, path)
    if dataclasses.is_dataclass(tp):
        return _dataclass(value, tp, prefix, path)
    if origin in (tuple, list):
        if not isinstance(value, list):
            _fail(prefix, path, tp, value)
        item_tp = get_args(tp)[0] if get_args(tp) else Any
        return tuple(_convert(v, item_tp, prefix, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            _fail(prefix, path, tp, value)
        val_tp = get_args(tp)[1] if get_args(tp) else Any
        return {k: _convert(v, val_tp, prefix, f"{path}.{k}") for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            _fail(prefix, path, tp, value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(prefix, path, tp, value, " > 0" if name in _POSITIVE else "")
        _check_range(prefix, path, name, value)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(prefix, path, tp, value)
        _check_range(prefix, path, name, value)
        return value
    if tp is str:
        if not isinstance(value, str):
            _fail(prefix, path, tp, value)
        return value
    raise TypeError(f"unsupported config type {tp!r} at {path}")  # a bug in the schema


def _plugin_ref(value: Any, prefix: str, path: str) -> PluginRef:
    if isinstance(value, str):
        return PluginRef(value)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise ConfigError(
            f'{prefix}{path}: expected a plugin table such as {{name = "adam", lr = 0.0002}} '
            f"or a plugin name, got {value!r}"
        )
    return PluginRef.from_dict(value)


def _dataclass(value: Any, tp: type, prefix: str, path: str) -> Any:
    if not isinstance(value, dict):
        _fail(prefix, path or tp.__name__, tp, value)
    hints = get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp) if f.name not in LOADER_FIELDS}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ConfigError(
            f"{prefix}{where}: unknown key; allowed keys{' in ' + path if path else ''}: "
            f"{', '.join(fields)}"
        )
    kwargs = {}
    for key, val in value.items():
        kwargs[key] = _convert(val, hints[key], prefix, f"{path}.{key}" if path else key)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        where = f"{path}.{missing[0]}" if path else missing[0]
        raise ConfigError(f"{prefix}{where}: required key is missing")
    return tp(**kwargs)
