"""Dotted config paths on the dict form of a study."""

from __future__ import annotations

import pytest

from ganlab.config import apply_overrides, get_path, set_path
from ganlab.errors import ConfigError


def _raw() -> dict:
    return {
        "study": {"name": "s"},
        "data": {"filters": [{"name": "bilateral", "d": 9}, "gamma"]},
        "gan": {"optimizer": "adam", "loss": {"name": "wgan_gp", "gp_weight": 10.0}},
    }


def test_get_path_tables_lists_and_defaults() -> None:
    raw = _raw()
    assert get_path(raw, "study.name") == "s"
    assert get_path(raw, "data.filters.bilateral.d") == 9
    assert get_path(raw, "data.filters.gamma") == "gamma"
    assert get_path(raw, "data.filters.median", "off") == "off"
    assert get_path(raw, "study.name.x") is None


def test_set_path_creates_tables_and_promotes_bare_plugin_names() -> None:
    raw = _raw()
    set_path(raw, "gan.optimizer.lr", 0.01)
    assert raw["gan"]["optimizer"] == {"name": "adam", "lr": 0.01}
    set_path(raw, "classifier.epochs", 3)
    assert raw["classifier"] == {"epochs": 3}
    set_path(raw, "data.filters.gamma.gamma", 1.5)
    assert raw["data"]["filters"][1] == {"name": "gamma", "gamma": 1.5}


def test_renaming_a_plugin_drops_its_old_parameters() -> None:
    raw = _raw()
    set_path(raw, "gan.loss.name", "hinge")
    assert raw["gan"]["loss"] == {"name": "hinge"}
    set_path(raw, "gan.loss.name", "hinge")  # same name keeps the table
    assert raw["gan"]["loss"] == {"name": "hinge"}


def test_switching_list_steps_on_and_off() -> None:
    raw = _raw()
    set_path(raw, "data.filters.bilateral", True)
    assert len(raw["data"]["filters"]) == 2
    set_path(raw, "data.filters.bilateral", False)
    assert raw["data"]["filters"] == ["gamma"]
    set_path(raw, "data.filters.bilateral", False)  # already off: no error
    with pytest.raises(ConfigError, match="cannot switch on 'median': not in the file"):
        set_path(raw, "data.filters.median", True, where="x.toml")
    set_path(raw, "data.filters.clahe", {"name": "clahe", "clip": 2.0})
    assert raw["data"]["filters"][-1] == {"name": "clahe", "clip": 2.0}


def test_set_path_errors_name_the_path() -> None:
    raw = _raw()
    with pytest.raises(ConfigError, match="x.toml: data.filters.median.d: no entry named "
                                          "'median' in data.filters; entries: bilateral, gamma"):
        set_path(raw, "data.filters.median.d", 3, where="x.toml")
    with pytest.raises(ConfigError, match="study.name.x.y: study.name is .s., not a table"):
        set_path(raw, "study.name.x.y", 1, where="x.toml")


def test_apply_overrides_copies_and_flattens() -> None:
    raw = _raw()
    out = apply_overrides(raw, {"gan": {"epochs": 2}, "gan.loss": {"name": "bce"}}, where="p")
    assert out["gan"]["epochs"] == 2 and out["gan"]["loss"] == {"name": "bce"}
    assert "epochs" not in raw["gan"]  # the input is untouched
    with pytest.raises(ConfigError, match="expected a table"):
        apply_overrides(raw, ["gan.epochs"], where="p")  # type: ignore[arg-type]
