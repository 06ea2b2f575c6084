"""Hand-built distributions and entry points, for testing discovery without installing.

``importlib.metadata.Distribution`` is subclassed to serve ``METADATA`` and
``entry_points.txt`` from memory, so its entry points carry a real ``.dist`` (package name and
version) exactly like installed ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from ganlab.registry import REGISTRIES


class FakeDistribution(metadata.Distribution):
    """A distribution that exists only in memory.

    Args:
        name: Distribution name, e.g. ``"acme-plugins"``.
        version: Its version string.
        entry_points: ``{group: {name: "module:attr"}}``.
    """

    def __init__(
        self,
        name: str,
        version: str = "1.0",
        entry_points: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self._name = name
        self._version = version
        self._eps = entry_points or {}

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return f"Metadata-Version: 2.1\nName: {self._name}\nVersion: {self._version}\n"
        if filename == "entry_points.txt":
            return "".join(
                f"[{group}]\n" + "".join(f"{n} = {v}\n" for n, v in eps.items())
                for group, eps in self._eps.items()
            )
        return None

    def locate_file(self, path: Any) -> Path:
        return Path(str(path))


def fake_entry_point(
    group: str, name: str, value: str, *, package: str = "fake-plugins", version: str = "1.0"
) -> metadata.EntryPoint:
    """One entry point of a :class:`FakeDistribution` named ``package``."""
    dist = FakeDistribution(package, version, {group: {name: value}})
    (ep,) = dist.entry_points
    return ep


@contextmanager
def extra_entry_points(*eps: metadata.EntryPoint) -> Iterator[None]:
    """Add entry points to the global registries (by group) for the duration of a block."""
    by_group = {reg.group: reg for reg in REGISTRIES.values()}
    added = []
    try:
        for ep in eps:
            by_group[ep.group].add_entry_point(ep)
            added.append(ep)
        yield
    finally:
        for ep in added:
            by_group[ep.group].remove_entry_point(ep)
