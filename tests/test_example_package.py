"""The third-party example package, installed with pip and found through entry points only.

Also: the autoload switch, broken plugins and duplicate names across packages, with entry
points built by hand (``ganlab.testing.FakeDistribution``) like flake8's tests do.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import config_from_dict, load_config, validate_plugins
from ganlab.contracts import capabilities
from ganlab.errors import ConfigError, PluginError
from ganlab.registry import ALLOW_ENV, DISABLE_AUTOLOAD_ENV, REGISTRIES, Registry
from ganlab.testing import (
    FakeDistribution,
    check_capabilities,
    check_classifier,
    check_discriminator,
    check_filter,
    check_optimizer,
    check_search_space,
    fake_entry_point,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "plugins" / "ganlab-example"
EXPECTED = {("filters", "sharpen"), ("optimizers", "nadam"), ("classifiers", "tiny_mlp"),
            ("losses", "softplus"), ("classifiers", "gan_stem"),
            ("gan_augmentations", "adaptive_flip"), ("discriminators", "patch_projection"),
            ("synthesis", "balance")}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("*.py"))
    }


def _installed_is_current() -> bool:
    """The installed ganlab-example (editable or not) has the source's modules, byte for byte."""
    try:
        dist = metadata.distribution("ganlab-example")
    except metadata.PackageNotFoundError:
        return False
    spec = importlib.util.find_spec("ganlab_example")
    if spec is None or not spec.submodule_search_locations:
        return False
    installed = Path(next(iter(spec.submodule_search_locations)))
    eps = {(ep.group, ep.name) for ep in dist.entry_points}
    want = {(f"ganlab.{k}", n) for k, n in EXPECTED}
    return _digest(installed) == _digest(EXAMPLE / "ganlab_example") and want <= eps


@pytest.fixture(scope="session")
def example_installed(tmp_path_factory: pytest.TempPathFactory) -> None:
    """plugins/ganlab-example, pip-installed into a temporary target folder put on the path.

    The user's environment is left as it was: nothing is installed into it (an up-to-date
    ganlab-example already installed there is used as is), and the folder leaves ``sys.path``
    and ``PYTHONPATH`` afterwards.
    """
    importlib.invalidate_caches()
    target: str | None = None
    old_pythonpath = os.environ.get("PYTHONPATH")
    if not _installed_is_current():
        work = tmp_path_factory.mktemp("example")
        src = work / "ganlab-example"
        shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("*.egg-info", "build"))
        target = str(work / "site")
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--no-build-isolation", "--target", target, str(src)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        sys.path.insert(0, target)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (target, old_pythonpath) if p)
        importlib.invalidate_caches()
    for reg in REGISTRIES.values():
        reg.refresh()
    yield
    if target is not None:
        sys.path.remove(target)
        if old_pythonpath is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_pythonpath
        for name in [m for m in sys.modules if m.split(".")[0] == "ganlab_example"]:
            del sys.modules[name]
        importlib.invalidate_caches()
    for reg in REGISTRIES.values():
        reg.refresh()


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch):
    """Switch third-party autoload off; registries forget what they discovered before and after."""
    monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "1")
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    for reg in REGISTRIES.values():
        reg.refresh()
    yield monkeypatch
    monkeypatch.undo()
    for reg in REGISTRIES.values():
        reg.refresh()


def _listed() -> list[dict]:
    result = CliRunner().invoke(app, ["plugins", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_listed_through_entry_points(example_installed: None) -> None:
    rows = {(r["kind"], r["name"]): r for r in _listed()}
    for key in EXPECTED:
        assert rows[key]["package"] == "ganlab-example"
        assert rows[key]["version"] == "0.1.0"
        assert rows[key]["entry_point"].startswith("ganlab_example.")
        assert rows[key]["description"]  # read from the docstring without importing
    assert {kind for kind, _ in rows} == set(REGISTRIES)


def test_listing_imports_nothing(example_installed: None) -> None:
    code = (
        "import sys, json; from ganlab.registry import REGISTRIES\n"
        "[r.list() for r in REGISTRIES.values()]\n"
        "print(json.dumps([m for m in ('ganlab_example', 'ganlab_plugins.optimizers', 'torch')"
        " if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_contract_suites_pass(example_installed: None) -> None:
    check_filter("sharpen", amount=1.5)
    check_optimizer("nadam", lr=1e-2)
    check_classifier("tiny_mlp", hidden=16)
    check_discriminator("patch_projection", num_classes=2, width=8)
    check_discriminator("patch_projection", num_classes=0, width=8)
    for kind, name in EXPECTED:
        check_search_space(kind, name)


def test_the_package_uses_every_declared_capability(example_installed: None) -> None:
    """Third-party plugins can use every capability of ganlab.contracts (no change to ganlab)."""
    found = {cap for kind, name in EXPECTED for cap in check_capabilities(kind, name)}
    assert found == {c.name for c in capabilities()}


@pytest.mark.slow
def test_a_run_pretrains_the_third_party_classifier_on_its_gan(
    example_installed: None, tmp_path: Path
) -> None:
    """The pipeline trains a GAN for ``gan_stem`` (real mode) and hands it the checkpoint."""
    import torch

    from ganlab.study import needs_gan, run_pipeline

    study, synth = tmp_path / "pretrain.toml", tmp_path / "synth"
    study.write_text(
        '[study]\nname = "pretrain"\ndevice = "cpu"\n'
        f'[data]\nroot = "{synth}"\nsynth = {{n = 40, image_size = 20}}\n'
        'image_size = 16\nfilters = [{name = "resize", size = 16}]\nworkers = 1\n'
        '[gan]\nenabled = true\ngenerator = {name = "dcgan", ngf = 8}\n'
        'discriminator = {name = "dcgan", ndf = 8}\nloss = {name = "softplus"}\nnz = 16\n'
        'epochs = 1\nbatch_size = 32\nfid = {enabled = false}\n'
        '[classifier]\nmodel = {name = "gan_stem", freeze_epochs = 5}\nepochs = 1\n'
        'batch_size = 32\nmode = "real"\nbootstrap = 10\n'
    )
    cfg = load_config(study)
    assert needs_gan(cfg)  # real mode, but the classifier asks for the run's GAN
    res = run_pipeline(cfg, out_dir=tmp_path / "run", work_dir=tmp_path,
                       device=torch.device("cpu"), seed=0)
    gan = torch.load(res.gan_checkpoint, weights_only=True)
    clf = torch.load(tmp_path / "run" / "classifier" / "model.pt", weights_only=True)
    first_conv = next(v for v in gan["discriminator"].values() if v.ndim == 4)
    assert torch.equal(clf["model"]["stem.weight"], first_conv)  # frozen stem = GAN's layer
    assert clf["meta"]["classifier"]["width"] == first_conv.shape[0]  # RebuildsParams
    assert "gan_checkpoint" not in clf["meta"]["classifier"]


@pytest.mark.slow
def test_the_packages_own_tests_pass(example_installed: None) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           str(EXAMPLE / "tests")]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "27 passed" in done.stdout


def test_a_study_uses_them_by_name(example_installed: None, tmp_path: Path) -> None:
    study = tmp_path / "example.toml"
    study.write_text(
        '[study]\nname = "example"\n'
        '[data]\nfilters = [{name = "sharpen", amount = 0.5}]\n'
        '[classifier]\nmodel = {name = "tiny_mlp", hidden = 32}\n'
        'optimizer = {name = "nadam", lr = 0.001}\n'
        '[search]\n"classifier.optimizer.lr" = {type = "float", low = 1e-4, high = 1e-2}\n'
    )
    cfg = load_config(study)
    assert cfg.classifier.model.name == "tiny_mlp"
    bad = study.read_text().replace("hidden = 32", 'hidden = "wide"')
    study.write_text(bad)
    with pytest.raises(ConfigError, match=r'classifier\.model\.hidden: expected an integer, '
                                          r'got "wide"'):
        load_config(study)


def test_autoload_switch_hides_and_allow_list_readmits(
    example_installed: None, hermetic: pytest.MonkeyPatch
) -> None:
    names = {(r["kind"], r["name"]) for r in _listed()}
    assert not EXPECTED & names
    assert ("generators", "dcgan") in names  # built-ins stay
    cfg = config_from_dict({"study": {"name": "x"}, "classifier": {"model": "tiny_mlp"}})
    with pytest.raises(ConfigError, match="unknown classifier plugin 'tiny_mlp'"):
        validate_plugins(cfg)
    hermetic.setenv(ALLOW_ENV, "ganlab-example")
    for reg in REGISTRIES.values():
        reg.refresh()
    names = {(r["kind"], r["name"]) for r in _listed()}
    assert EXPECTED <= names


# -- hand-built entry points: broken plugins and duplicates -----------------------------------
def test_broken_plugin_is_named_and_isolated() -> None:
    reg = Registry("filters")
    ep = fake_entry_point("ganlab.filters", "broken_blur", "no_such_module_xyz:blur",
                          package="acme-broken", version="3.1")
    reg.add_entry_point(ep)
    infos = {i.name: i for i in reg.list()}
    assert infos["broken_blur"].package == "acme-broken"
    assert infos["broken_blur"].summary() == ""  # listing survives an unimportable module
    with pytest.raises(PluginError) as err:
        reg.load("broken_blur")
    message = str(err.value)
    for part in ("acme-broken", "3.1", "ganlab.filters", "broken_blur",
                 "no_such_module_xyz:blur", "ModuleNotFoundError"):
        assert part in message
    others = [n for n in reg.names() if n != "broken_blur"]
    assert others  # other plugins are still listed and a working one still loads
    assert callable(Registry("optimizers").load("adam"))


def test_broken_plugin_in_cli_listing_and_show() -> None:
    from ganlab.registry import FILTERS

    ep = fake_entry_point("ganlab.filters", "broken_blur", "no_such_module_xyz:blur",
                          package="acme-broken")
    FILTERS.add_entry_point(ep)
    try:
        rows = {r["name"]: r for r in _listed()}
        assert rows["broken_blur"]["package"] == "acme-broken"
        result = CliRunner().invoke(app, ["plugins", "show", "broken_blur"])
        assert result.exit_code == 1
        assert "acme-broken" in result.output and "Traceback" not in result.output
    finally:
        FILTERS.remove_entry_point(ep)


def test_duplicate_names_across_packages_name_both() -> None:
    reg = Registry("optimizers")
    dists = [
        FakeDistribution("acme-one", "1.0", {"ganlab.optimizers": {"lion": "acme_one:lion"}}),
        FakeDistribution("acme-two", "2.0", {"ganlab.optimizers": {"lion": "acme_two:lion"}}),
    ]
    for dist in dists:
        for ep in dist.entry_points:
            reg.add_entry_point(ep)
    assert [i.package for i in reg.list("lion")] == ["acme-one", "acme-two"]
    with pytest.raises(PluginError, match="acme-one.*acme-two"):
        reg.load("lion")
    assert callable(reg.load("adam"))  # the rest of the kind still works
