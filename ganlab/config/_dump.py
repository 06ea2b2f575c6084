"""Turn a :class:`~ganlab.config.Config` back into its dict (TOML) form."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from ganlab.config._schema import LOADER_FIELDS, Config, PluginRef
from ganlab.config._secrets import redact_url
from ganlab.registry import ParamSpec

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def to_plain(value: Any) -> Any:
    """JSON/TOML-ready form of a config value (plugin refs become ``{name = ..., ...}``)."""
    if isinstance(value, PluginRef):
        return value.as_dict()
    if isinstance(value, ParamSpec):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def config_to_dict(cfg: Config) -> dict[str, Any]:
    """The study-file dict of ``cfg`` (without loader bookkeeping, ``None`` values dropped).

    A password in ``study.storage`` is replaced by ``***``: this dict is what gets written.
    """
    out = to_plain(cfg)
    for name in LOADER_FIELDS:
        out.pop(name, None)
    study = out.get("study")
    if isinstance(study, dict) and study.get("storage"):
        study["storage"] = redact_url(study["storage"])
    return _drop_none(out)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def config_to_toml(cfg: Config) -> str:
    """``cfg`` as a TOML study file (what ``ganlab config check`` prints); loads back equal."""
    lines: list[str] = []
    _table(config_to_dict(cfg), [], lines)
    return "\n".join(lines).strip() + "\n"


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict) and v}
    if path and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
    for key, sub in tables.items():
        _table(sub, [*path, key], lines)


def config_record(cfg: Config) -> dict[str, Any]:
    """What a run records of its config: the file, the profile, the overrides applied on top
    (in order) and the resolved study (``config``, which loads back with ``config_from_dict``)."""
    return {
        "source": cfg.source,
        "profile": cfg.profile,
        "overrides": [[path, _no_password(to_plain(value))] for path, value in cfg.overrides],
        "config": config_to_dict(cfg),
    }


def _no_password(value: Any) -> Any:
    """An override value with the password of any URL in it replaced by ``***``."""
    return redact_url(value) if isinstance(value, str) else value
