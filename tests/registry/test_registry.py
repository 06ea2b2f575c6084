"""The entry-point registry: discovery without imports, errors, parameters, search spaces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.errors import ConfigError, PluginError
from ganlab.registry import REGISTRIES, Registry, parse_spec, registry_for
from ganlab.testing import FakeDistribution, fake_entry_point

PLUGIN_MODULE = '''
"""Hand-made plugins for the registry tests."""


def blur(*, radius: int = 3, strength: float = 1.0, mode: str = "reflect"):
    """Blur an image (test double)."""
    return lambda image: image


blur.search_space = {"radius": {"type": "int", "low": 1, "high": 9, "step": 2}}


def needs_kernel(*, kernel: int):
    """A filter with a required parameter."""
    return lambda image: image


def anything(**params):
    """Accepts any keyword."""
    return params


def bad_space():
    """Declares a list instead of a dict."""
    return lambda image: image


bad_space.search_space = ["radius"]


def gen(nz, image_size, channels, num_classes, *, width: int = 8):
    """Generator double."""
    return {"nz": nz, "width": width}


def opt(params, *, lr: float = 0.1):
    """Optimizer double."""
    return {"params": list(params), "lr": lr}


NOT_CALLABLE = 42
'''


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "reg_test_plugins.py").write_text(PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "reg_test_plugins"


def _registry(kind: str, mod: str, names: dict[str, str], **kwargs) -> Registry:
    reg = Registry(kind, **kwargs)
    dist = FakeDistribution("acme-test", "0.3", {reg.group: {n: f"{mod}:{a}"
                                                             for n, a in names.items()}})
    for ep in dist.entry_points:
        reg.add_entry_point(ep)
    return reg


def test_one_registry_per_kind_of_the_contracts() -> None:
    from ganlab.contracts import KINDS

    assert list(REGISTRIES) == [k.name for k in KINDS]
    assert all(r.group == f"ganlab.{k}" for k, r in REGISTRIES.items())
    with pytest.raises(PluginError, match="kinds are: filters"):
        registry_for("filter")


def test_listing_reads_metadata_and_imports_nothing() -> None:
    code = (
        "import sys, json\n"
        "from ganlab.registry import REGISTRIES\n"
        "rows = [(i.kind, i.name, i.package, i.summary()) for r in REGISTRIES.values()"
        " for i in r.list()]\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in"
        " ('torch', 'timm', 'cv2', 'optuna', 'numpy') or m.startswith('ganlab_plugins.')]\n"
        "print(json.dumps({'rows': rows, 'heavy': heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["heavy"] == []
    kinds = {row[0] for row in data["rows"]}
    assert kinds == set(REGISTRIES)
    dcgan = [r for r in data["rows"] if r[:2] == ["generators", "dcgan"]]
    assert dcgan and dcgan[0][2] == "ganlab" and dcgan[0][3]  # summary from the docstring


def test_list_patterns_and_natural_sort(plugin_module: str) -> None:
    reg = _registry("filters", plugin_module, {"blur10": "blur", "blur2": "blur",
                                               "blurx": "blur"})
    names = [i.name for i in reg.list("blur*")]
    assert names == ["blur2", "blur10", "blurx"]
    assert [i.name for i in reg.list("blur*", exclude=["*x"])] == ["blur2", "blur10"]
    assert "blur2" in reg and "nope" not in reg and 3 not in reg


def test_unknown_name_lists_close_matches(plugin_module: str) -> None:
    reg = _registry("filters", plugin_module, {"gaussian_blur": "blur"})
    with pytest.raises(PluginError, match=r"Did you mean: gaussian_blur[,?]") as err:
        reg.load("gausian_blur")
    assert "ganlab plugins list --kind filters" in str(err.value)
    with pytest.raises(PluginError, match="unknown filter plugin 'zzz'") as err:
        reg.info("zzz")
    assert "Did you mean" not in str(err.value)


def test_duplicate_name_names_both_packages() -> None:
    reg = Registry("losses")
    for package in ("acme-a", "acme-b"):
        reg.add_entry_point(fake_entry_point("ganlab.losses", "focal", f"{package}:f",
                                             package=package))
    with pytest.raises(PluginError, match=r"acme-a \(acme-a:f\) and acme-b \(acme-b:f\)"):
        reg.create("focal")


def test_same_distribution_seen_twice_is_not_a_duplicate() -> None:
    reg = Registry("losses")
    for _ in range(2):
        reg.add_entry_point(fake_entry_point("ganlab.losses", "focal", "os:getcwd",
                                             package="acme-a"))
    assert len(reg.list("focal")) == 1


def test_broken_and_non_callable_plugins(plugin_module: str) -> None:
    reg = _registry("filters", plugin_module, {"ok": "blur", "missing": "no_attr",
                                               "number": "NOT_CALLABLE"})
    with pytest.raises(PluginError, match=r"acme-test 0\.3 failed to load .*AttributeError"):
        reg.load("missing")
    with pytest.raises(PluginError, match="not callable"):
        reg.load("number")
    assert callable(reg.load("ok"))
    assert {"missing", "number", "ok"} <= set(reg.names())  # listing survives both


def test_create_drops_none_and_checks_names(plugin_module: str) -> None:
    reg = _registry("filters", plugin_module, {"blur": "blur", "any": "anything"})
    assert callable(reg.create("blur", radius=None, strength=2.0))
    with pytest.raises(PluginError, match="has no parameter 'radiuss'. Its parameters: "
                                          "mode, radius, strength"):
        reg.create("blur", radiuss=3)
    assert reg.create("any", x=1, y=None) == {"x": 1}


def test_structural_and_positional_arguments(plugin_module: str) -> None:
    gens = _registry("generators", plugin_module, {"g": "gen"},
                     structural=("nz", "image_size", "channels", "num_classes"))
    assert [p.name for p in gens.parameters("g")] == ["width"]
    made = gens.create("g", nz=5, image_size=8, channels=3, num_classes=0, width=4)
    assert made == {"nz": 5, "width": 4}
    opts = _registry("optimizers", plugin_module, {"o": "opt"}, positional=1)
    assert [p.name for p in opts.parameters("o")] == ["lr"]
    assert opts.create("o", [1, 2], lr=0.5) == {"params": [1, 2], "lr": 0.5}
    with pytest.raises(PluginError, match="has no parameter 'params'"):
        opts.create("o", params=[1])


def test_parameters_and_search_space(plugin_module: str) -> None:
    reg = _registry("filters", plugin_module, {"blur": "blur", "req": "needs_kernel",
                                               "bad": "bad_space"})
    params = {p.name: p for p in reg.parameters("blur")}
    assert params["radius"].annotation == "int" and params["radius"].default == 3
    assert not params["radius"].required
    assert reg.parameters("req")[0].required
    assert reg.search_space("blur") == {"radius": {"type": "int", "low": 1, "high": 9,
                                                   "step": 2}}
    assert reg.search_space("req") == {}
    with pytest.raises(PluginError, match="declares search_space as list"):
        reg.search_space("bad")
    assert reg.describe("blur") == "Blur an image (test double)."


def test_builtin_optimizers_are_called_with_params_positionally() -> None:
    import torch

    layer = torch.nn.Linear(2, 2)
    opt = registry_for("optimizers").create("adam", layer.parameters(), lr=1e-3)
    assert isinstance(opt, torch.optim.Adam)
    assert "params" not in {p.name for p in registry_for("optimizers").parameters("adam")}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "float", "low": 1, "high": 1}, "low .1. must be below high"),
        ({"type": "float", "low": 0, "high": 1, "log": True}, "log-scaled range needs low > 0"),
        ({"type": "int", "low": 1.5, "high": 3}, "whole-number bounds"),
        ({"type": "normal", "low": 0, "high": 1}, "expected one of float, int, categorical"),
        ({"type": "categorical", "choices": []}, "non-empty list"),
        ({"type": "float", "low": 0, "high": 1, "choices": [1]}, "unknown key"),
        ({"type": "float", "low": "a", "high": 1}, r"\.low: expected a number"),
        ({"type": "int", "low": 0, "high": 3, "when": 5}, r"\.when: expected a table"),
        (3, "expected a table"),
    ],
)
def test_parse_spec_rejects(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_spec(raw, where="x.toml: search.p")


def test_parse_spec_forms() -> None:
    spec = parse_spec(["a", "b"], where="w")
    assert spec.type == "categorical" and spec.choices == ("a", "b")
    spec = parse_spec({"type": "float", "low": 1e-4, "high": 1e-2, "log": True,
                       "when": {"gan.loss.name": "wgan_gp"}}, where="w")
    assert spec.log and spec.when == (("gan.loss.name", "wgan_gp"),)
    assert parse_spec(spec.as_dict(), where="w") == spec
