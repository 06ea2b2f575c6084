"""Turn a :class:`~ganlab.config.Config` back into its dict (TOML) form."""

from __future__ import annotations

import dataclasses
from typing import Any

from ganlab.config._schema import Config, PluginRef
from ganlab.registry._space import ParamSpec


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
    """The study-file dict of ``cfg`` (without loader bookkeeping, ``None`` values dropped)."""
    out = to_plain(cfg)
    out.pop("source", None)
    out.pop("base_dir", None)
    return _drop_none(out)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
