"""``PATH=VALUE`` overrides: their text form, and naming them in the loader's errors.

An override is a ``(config path, value)`` pair applied after the study file and its profile,
with the same path rules as profiles (``classifier.epochs``, ``data.filters.bilateral.d``). Its
text form ``PATH=VALUE`` takes a TOML value: ``classifier.epochs=25``,
``classifier.model={name="timm", model="resnet18"}``, ``study.name="mine"`` (strings quoted).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ganlab.config._dump import _value
from ganlab.config._secrets import redact_url
from ganlab.errors import ConfigError, GanlabError

Override = tuple[str, Any]
"""One ``(config path, value)`` override."""

_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_LOCATION = re.compile(r" \(at (line \d+, column \d+|end of document)\)$")


def parse_override(text: str) -> Override:
    """``"classifier.epochs=25"`` -> ``("classifier.epochs", 25)``; the value is parsed as TOML.

    Raises:
        ConfigError: no ``=``, a path that is not dotted names, or a value that is not TOML.
    """
    path, sep, value = text.partition("=")
    path, value = path.strip(), value.strip()
    if not sep or not _PATH.fullmatch(path):
        raise ConfigError(
            f"override {text!r}: expected PATH=VALUE with a dotted config path, e.g. "
            "classifier.epochs=25 or classifier.model={name=\"timm\", model=\"resnet18\"}"
        )
    try:
        doc = tomllib.loads(f"value = {value}")
    except tomllib.TOMLDecodeError as exc:
        reason = _LOCATION.sub("", str(exc))
        hint = ""
        if _BARE_WORD.fullmatch(value) and value not in ("true", "false", "nan", "inf"):
            hint = f"; a string needs TOML quotes: {path}='\"{value}\"'"
        raise ConfigError(f"override {path}={value}: not valid TOML: {reason}{hint}") from None
    if set(doc) != {"value"}:
        raise ConfigError(f"override {path}={value}: not valid TOML: one value expected")
    return path, doc["value"]


def override_pairs(
    overrides: Mapping[str, Any] | Iterable[Override] | None,
) -> tuple[Override, ...]:
    """Overrides as ``(path, value)`` pairs, from a ``{path: value}`` mapping or pairs."""
    if not overrides:
        return ()
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    out = []
    for item in items:
        if not (isinstance(item, Sequence) and len(item) == 2 and isinstance(item[0], str)):
            raise ConfigError(f"overrides: expected (path, value) pairs, got {item!r}")
        out.append((item[0], item[1]))
    return tuple(out)


def attribute(exc: GanlabError, overrides: Sequence[Override]) -> GanlabError:
    """``exc`` (same type) with the override that set the offending path named, if one did."""
    message = str(exc)
    for path, value in reversed(overrides):
        if re.search(rf"(^|[: \"]){re.escape(path)}([.:\[ \"]|$)", message):
            shown = redact_url(value) if isinstance(value, str) else value
            message = f"{message} (from override {path}={_value(shown)})"
            try:
                return type(exc)(message)
            except TypeError:  # a subclass with another constructor
                return GanlabError(message)
    return exc
