"""Search-space specs shared by plugins' declared spaces and study files.

A spec is a small dict, written the same way in a plugin (``factory.search_space``) and in a
study file's ``[search]`` table::

    {"type": "float", "low": 1e-4, "high": 1e-2, "log": true}
    {"type": "int", "low": 3, "high": 15, "step": 2}
    {"type": "categorical", "choices": ["adam", "sgd"]}

A plugin that declares its space needs no ganlab import: the attribute is a plain dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ganlab.errors import ConfigError

_ALLOWED_KEYS = {
    "float": {"type", "low", "high", "log", "step", "when"},
    "int": {"type", "low", "high", "log", "step", "when"},
    "categorical": {"type", "choices", "when"},
}


@dataclass(frozen=True)
class ParamSpec:
    """One searchable parameter. ``when`` maps a config path to the value that enables it."""

    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    when: tuple[tuple[str, Any], ...] = ()

    def suggest(self, trial: Any, name: str) -> Any:
        """Ask an Optuna trial for a value of this parameter."""
        if self.type == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)
        if self.type == "int":
            step = int(self.step or 1)
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log, step=step)
        return trial.suggest_categorical(name, list(self.choices))

    def as_dict(self) -> dict[str, Any]:
        """The spec in its file form."""
        if self.type == "categorical":
            out: dict[str, Any] = {"type": "categorical", "choices": list(self.choices)}
        else:
            out = {"type": self.type, "low": self.low, "high": self.high}
            if self.log:
                out["log"] = True
            if self.step is not None:
                out["step"] = self.step
        if self.when:
            out["when"] = dict(self.when)
        return out


def parse_spec(raw: Any, *, where: str) -> ParamSpec:
    """Validate one spec; ``where`` names its origin (file and key path) for error messages."""
    if isinstance(raw, list):
        raw = {"type": "categorical", "choices": raw}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where}: expected a table such as {{type = \"float\", low = 0.0001, high = 0.01}} "
            f"or a list of choices, got {raw!r}"
        )
    kind = raw.get("type")
    if kind not in _ALLOWED_KEYS:
        raise ConfigError(
            f"{where}.type: expected one of float, int, categorical, got {kind!r}"
        )
    unknown = sorted(set(raw) - _ALLOWED_KEYS[kind])
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} for a {kind} parameter; allowed: "
            f"{', '.join(sorted(_ALLOWED_KEYS[kind]))}"
        )
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise ConfigError(f"{where}.when: expected a table of config path = value, got {when!r}")
    if kind == "categorical":
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}.choices: expected a non-empty list, got {choices!r}")
        return ParamSpec("categorical", choices=tuple(choices), when=tuple(when.items()))
    low, high = raw.get("low"), raw.get("high")
    for key, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
    if low >= high:
        raise ConfigError(f"{where}: low ({low}) must be below high ({high})")
    log = bool(raw.get("log", False))
    if log and low <= 0:
        raise ConfigError(f"{where}: a log-scaled range needs low > 0, got {low}")
    if kind == "int" and (int(low) != low or int(high) != high):
        raise ConfigError(f"{where}: an int range needs whole-number bounds, got {low}..{high}")
    return ParamSpec(kind, low=low, high=high, log=log, step=raw.get("step"),
                     when=tuple(when.items()))
