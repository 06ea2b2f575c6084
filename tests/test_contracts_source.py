"""ganlab/contracts.py is the single source of plugin kinds and capabilities: nothing drifts.

The registries, the tables of docs/plugins.md, the contract suites of ganlab.testing and the
core's call sites are checked against ``KINDS`` and ``capabilities()`` here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Protocol, runtime_checkable

import pytest

import ganlab.testing as testing
from ganlab import contracts
from ganlab.contracts import KINDS, capabilities
from ganlab.registry import REGISTRIES
from ganlab.registry._reference import BEGIN, END, render_doc, update_doc

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "plugins.md"


def test_registries_are_built_from_the_kinds() -> None:
    assert list(REGISTRIES) == [k.name for k in KINDS]
    for k in KINDS:
        reg = REGISTRIES[k.name]
        assert (reg.group, reg.singular, reg.structural, reg.positional, reg.contract) == (
            k.group, k.singular, k.structural, len(k.positional), k.contract)
        assert k.protocol.__name__ in reg.contract


def test_every_entry_point_group_is_a_kind_and_every_kind_has_builtins() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    groups = {g for g in meta["project"]["entry-points"] if g.startswith("ganlab.")}
    assert groups == {k.group for k in KINDS}


def test_contract_suites_cover_every_kind_and_capability() -> None:
    assert set(testing.CHECKS) == {k.name for k in KINDS}
    suites = {cls.kind for cls in vars(testing).values()
              if isinstance(cls, type) and issubclass(cls, testing.PluginContract) and cls.kind}
    assert suites == {k.name for k in KINDS}
    assert set(testing.CAPABILITY_CHECKS) == {c.name for c in capabilities()}, (
        "every capability in ganlab/contracts.py needs a check in "
        "ganlab/testing/_capabilities.py CAPABILITY_CHECKS"
    )


def test_capabilities_are_found_with_their_kind_and_members() -> None:
    caps = {c.name: c for c in capabilities()}
    assert caps["UsesGanCheckpoint"].kind == "classifiers"
    assert caps["UsesGanCheckpoint"].on_factory
    assert caps["UsesGanCheckpoint"].members == ("gan_checkpoint_param",)
    assert caps["EpochHook"].members == ("on_epoch_start",) and not caps["EpochHook"].on_factory
    assert caps["ReportsDiscriminatorCollapse"].kind == "losses"
    assert caps["DeclaresSearchSpace"].kind == "*"
    assert not {k.protocol.__name__ for k in KINDS} & set(caps)


def test_a_capability_must_declare_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    @runtime_checkable
    class Vague(Protocol):
        """A classifier with a hook (its docstring does not declare the kind)."""

        def hook(self) -> None: ...

    Vague.__module__ = contracts.__name__
    monkeypatch.setattr(contracts, "Vague", Vague, raising=False)
    with pytest.raises(ValueError, match=r"Vague: declare its kind with @capability\(kind="):
        capabilities()
    declared = contracts.capability(kind="classifiers", on="object")(Vague)
    monkeypatch.setattr(contracts, "Vague", declared, raising=False)
    try:
        found = {c.name: c for c in capabilities()}["Vague"]
        assert (found.kind, found.on_factory, found.members) == ("classifiers", False, ("hook",))
        contracts.capability(kind="classifier", on="object")(Vague)  # a singular: no kind
        with pytest.raises(ValueError, match="Vague: declare its kind"):
            capabilities()
    finally:
        contracts._DECLARED.pop(Vague, None)


@pytest.mark.parametrize("doc", [DOC, REPO / "docs" / "architecture.md"], ids=lambda p: p.name)
def test_doc_tables_are_current(doc: Path) -> None:
    assert not update_doc(doc, check=True), (
        f"docs/{doc.name} is out of date with ganlab/contracts.py; regenerate it with "
        "`python docs/gen_plugin_tables.py`"
    )
    text = doc.read_text()
    for cap in capabilities():
        assert f"| `{cap.name}` |" in text
    for k in KINDS:
        assert f"| `{k.group}` |" in text


def test_architecture_doc_lists_the_enforced_layers() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    layers = next(c for c in meta["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    text = (REPO / "docs" / "architecture.md").read_text()
    for layer in layers["layers"]:
        first = layer.split("|")[0].strip()
        assert f"\n{first}" in text, f"docs/architecture.md does not show the layer {layer!r}"


def test_stale_tables_are_detected_and_rewritten(tmp_path: Path) -> None:
    doc = tmp_path / "plugins.md"
    doc.write_text(f"# intro\n\n{BEGIN}\n| `ganlab.old` | stale |\n{END}\nfooter\n")
    assert update_doc(doc, check=True) and "stale" in doc.read_text()
    assert update_doc(doc)
    text = doc.read_text()
    assert text.startswith("# intro") and text.endswith("footer\n") and "stale" not in text
    with pytest.raises(ValueError, match="marker"):
        render_doc("no markers")
    done = subprocess.run([sys.executable, str(REPO / "docs" / "gen_plugin_tables.py"),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _core_sources() -> dict[Path, str]:
    return {p: p.read_text() for p in (REPO / "ganlab").rglob("*.py")
            if p.name != "contracts.py"}


def test_core_code_never_probes_a_capability_member_by_name() -> None:
    """The core uses ``isinstance(obj, Capability)``, never ``getattr(obj, "member", ...)``."""
    members = {m for c in capabilities() for m in c.members}
    pattern = re.compile(r"\b(?:getattr|hasattr)\([^)]*[\"'](" + "|".join(members) + r")[\"']")
    hits = [f"{p.relative_to(REPO)}: {m.group(0)}" for p, text in _core_sources().items()
            for m in pattern.finditer(text)]
    assert not hits, hits


def test_core_code_names_no_builtin_plugin() -> None:
    """No ``model.name == "discriminator"``: a declared capability serves every plugin."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    builtin = {n for g, eps in meta["project"]["entry-points"].items()
               if g.startswith("ganlab.") for n in eps}
    pattern = re.compile(r"\.name\s*(?:==|!=)\s*[\"'](\w+)[\"']|\.name\s+(?:not\s+)?in\s*"
                         r"[\(\[{]\s*[\"'](\w+)[\"']")
    hits = []
    for path, text in _core_sources().items():
        for m in pattern.finditer(text):
            if (m.group(1) or m.group(2)) in builtin:
                hits.append(f"{path.relative_to(REPO)}: {m.group(0)}")
    assert not hits, hits


def test_builtin_discriminator_classifier_has_its_capabilities() -> None:
    from ganlab.registry import CLASSIFIERS

    found = testing.check_capabilities("classifiers", "discriminator",
                                       discriminator={"name": "dcgan", "ndf": 8})
    assert set(found) >= {"UsesGanCheckpoint", "EpochHook", "RebuildsParams"}
    assert CLASSIFIERS.load("discriminator").gan_checkpoint_param == "checkpoint"
