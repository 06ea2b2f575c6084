"""Study files: typed loading, error messages with file and key path, profiles, round trips."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ganlab.config import (
    Config,
    PluginRef,
    config_from_dict,
    config_to_dict,
    config_to_toml,
    load_config,
)
from ganlab.errors import ConfigError


def _write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_minimal_file_gets_the_papers_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[study]\nname = "s"\n'), check_plugins=False)
    assert isinstance(cfg, Config)
    assert cfg.study.name == "s"
    assert cfg.gan.optimizer == PluginRef("adam", {"lr": 2e-4, "betas": [0.5, 0.999]})
    assert cfg.gan.batch_size == 128 and cfg.data.image_size == 64
    assert cfg.source.endswith("x.toml") and cfg.base_dir == str(tmp_path.resolve())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[study]\nname = "s"\nnam = 1\n', "x.toml: study.nam: unknown key; allowed keys in "
                                           "study: name, output"),
        ('[study]\nname = "s"\n[gann]\nepochs = 1\n', "x.toml: gann: unknown key; allowed keys: "
                                                      "study, data, gan"),
        ('[study]\nname = "s"\n[gan]\nepochs = "ten"\n',
         'x.toml: gan.epochs: expected an integer, got "ten"'),
        ('[study]\nname = "s"\n[gan]\nepochs = 0\n', "x.toml: gan.epochs: expected a number > 0, "
                                                     "got 0"),
        ('[study]\nname = "s"\n[gan]\nepochs = 2.5\n', "gan.epochs: expected an integer, got 2.5"),
        ('[study]\nname = "s"\n[gan]\ncompile = "bogus"\n',
         "x.toml: gan.compile: expected true, false or 'reduce-overhead', got \"bogus\""),
        ('[study]\nname = "s"\n[classifier]\ntta = "x"\n',
         "classifier.tta: expected true, false, 'flips' or 'dihedral', got \"x\""),
        ('[study]\nname = "s"\n[gan]\namp = "fp8"\n',
         "gan.amp: expected one of 'auto', 'off', 'bf16', got \"fp8\""),
        ('[study]\nname = "s"\n[data.split]\nval = 1.5\n',
         r"data.split.val: expected a fraction in [0, 1), got 1.5"),
        ('[study]\nname = "s"\n[classifier]\npatience = -1\n',
         "classifier.patience: expected a number >= 0, got -1"),
        ('[study]\nname = "s"\n[gan]\ncheckpoint_minutes = -1\n',
         "x.toml: gan.checkpoint_minutes: expected a number >= 0, got -1"),
        ('[study]\nname = "s"\n[classifier]\ncheckpoint_every = 0\n',
         "x.toml: classifier.checkpoint_every: expected a number > 0, got 0"),
        ('[study]\nname = "s"\n[gan]\noptimizer = 3\n',
         "gan.optimizer: expected a plugin table such as"),
        ('[study]\nname = "s"\n[data]\nfilters = "bilateral"\n', "data.filters: expected a list"),
        ('[study]\nname = "s"\n[[study.objectives]]\nmetric = "val.f1"\ndirection = "up"\n',
         "study.objectives[0].direction: expected one of 'maximize', 'minimize'"),
        ("[gan]\nepochs = 1\n", "x.toml: missing the [study] table"),
        ("[study]\n", "x.toml: study.name: required key is missing"),
        ('[study]\nname = "s"\n[search]\n"gan.nz" = {type = "int", low = 8, high = 4}\n',
         'x.toml: search."gan.nz": low (8) must be below high (4)'),
        ('[study]\nname = \n', "x.toml: not valid TOML"),
        ('[study]\nname = "s"\n[gan.aux_classifier]\nweight = 0\n',
         "x.toml: gan.aux_classifier.weight: expected a number > 0, got 0"),
        ('[study]\nname = "s"\nheartbeat_seconds = 0\n',
         "x.toml: study.heartbeat_seconds: expected a number > 0, got 0"),
        ('[study]\nname = "s"\nheartbeat_seconds = nan\n',
         "x.toml: study.heartbeat_seconds: expected a number > 0, got nan"),
        ('[study]\nname = "s"\nheartbeat_seconds = inf\n',
         "x.toml: study.heartbeat_seconds: expected a finite number > 0, got inf"),
        ('[study]\nname = "s"\nheartbeat_seconds = "10s"\n',
         'x.toml: study.heartbeat_seconds: expected a number > 0, got "10s"'),
        ('[study]\nname = "s"\n[gan]\nconditional = false\n[gan.aux_classifier]\n',
         "x.toml: gan.aux_classifier: the class head needs a class-conditional GAN; set "
         "gan.conditional = true"),
    ],
)
def test_errors_name_file_path_and_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text), check_plugins=False)
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "x.toml"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such study file"):
        load_config(tmp_path / "nope.toml")


def test_plugin_refs_by_name_or_table(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, (
        '[study]\nname = "s"\n[data]\nfilters = ["gamma", {name = "bilateral", d = 9}]\n'
        '[gan]\nloss = "hinge"\n'
    )), check_plugins=False)
    assert cfg.data.filters == (PluginRef("gamma"), PluginRef("bilateral", {"d": 9}))
    assert cfg.gan.loss == PluginRef("hinge")


PROFILED = """
[study]
name = "s"

[gan]
epochs = 25
optimizer = {name = "adam", lr = 0.0002}

[profiles.smoke]
"gan.epochs" = 1
"gan.optimizer.lr" = 0.001

[profiles.gpu.gan]
epochs = 200
batch_size = 256
"""


def test_profiles_and_overrides(tmp_path: Path) -> None:
    path = _write(tmp_path, PROFILED)
    base = load_config(path, check_plugins=False)
    assert base.gan.epochs == 25
    smoke = load_config(path, profile="smoke", check_plugins=False)
    assert smoke.gan.epochs == 1 and smoke.gan.optimizer.params["lr"] == 0.001
    gpu = load_config(path, profile="gpu", overrides={"gan.epochs": 7}, check_plugins=False)
    assert (gpu.gan.epochs, gpu.gan.batch_size) == (7, 256)
    with pytest.raises(ConfigError, match="no profile 'fast'; profiles in this file: smoke, gpu"):
        load_config(path, profile="fast", check_plugins=False)
    with pytest.raises(ConfigError, match="gan.epochs: expected an integer"):
        load_config(path, overrides={"gan.epochs": "x"}, check_plugins=False)


def test_search_table(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, (
        '[study]\nname = "s"\n[search]\n'
        '"gan.optimizer.lr" = {type = "float", low = 1e-5, high = 1e-3, log = true}\n'
        '"gan.loss.name" = ["bce", "hinge"]\n"gan.loss" = "declared"\n'
    )), check_plugins=False)
    assert cfg.search["gan.optimizer.lr"].log
    assert cfg.search["gan.loss.name"].choices == ("bce", "hinge")
    assert cfg.search["gan.loss"] == "declared"


def test_round_trip_through_dict_and_toml(tmp_path: Path) -> None:
    raw = tomllib.loads(PROFILED.split("[profiles")[0])
    raw["data"] = {"filters": [{"name": "bilateral", "d": 9}, "gamma"], "root": "imgs"}
    raw["search"] = {"gan.nz": {"type": "int", "low": 64, "high": 128, "step": 64}}
    raw["ablation"] = {"factors": {"data.filters.gamma": [True, False]}}
    cfg = config_from_dict(raw)
    assert config_from_dict(config_to_dict(cfg)) == cfg
    text = config_to_toml(cfg)
    assert config_from_dict(tomllib.loads(text)) == cfg
    assert '"data.filters.gamma" = [true, false]' in text


@pytest.mark.parametrize(("old", "value"), [("auto", True), ("on", True), ("off", False)])
def test_old_channels_last_strings_load_as_booleans(tmp_path: Path, old: str,
                                                     value: bool) -> None:
    text = f'[study]\nname = "s"\n[gan]\nchannels_last = "{old}"\n'
    assert load_config(_write(tmp_path, text), check_plugins=False).gan.channels_last is value
    record = config_from_dict({"study": {"name": "s"}, "gan": {"channels_last": old}})
    assert record.gan.channels_last is value  # the config record of an older run
    assert config_to_dict(record)["gan"]["channels_last"] is value


def test_channels_last_is_true_or_false(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[study]\nname = "s"\n'), check_plugins=False)
    assert cfg.gan.channels_last is True
    with pytest.raises(ConfigError, match='gan.channels_last: expected true or false, got "yes"'):
        load_config(_write(tmp_path, '[study]\nname = "s"\n[gan]\nchannels_last = "yes"\n'),
                    check_plugins=False)
