"""Ablation designs: one factor at a time around the base, or full factorial."""

from __future__ import annotations

import pytest

from ganlab.config import config_from_dict
from ganlab.errors import ConfigError
from ganlab.study import ablation_cells, apply_values


def _cfg(ablation: dict) -> object:
    return config_from_dict({
        "study": {"name": "a"},
        "data": {"filters": [{"name": "bilateral"}, {"name": "gamma", "gamma": 1.5}]},
        "classifier": {"batch_size": 128},
        "ablation": ablation,
    })


FACTORS = {"classifier.batch_size": [100, 128], "data.filters.gamma": [True, False],
           "gan.optimizer.name": ["adam", "sgd"]}


def test_one_at_a_time_changes_one_factor_per_cell_and_skips_the_base_level() -> None:
    cells = ablation_cells(_cfg({"factors": FACTORS}))
    assert [c.values for c in cells] == [
        {}, {"classifier.batch_size": 100}, {"data.filters.gamma": False},
        {"gan.optimizer.name": "sgd"}]
    assert cells[0].id == "base" and len({c.id for c in cells}) == 4


def test_full_factorial_runs_every_combination_with_the_base_first() -> None:
    cells = ablation_cells(_cfg({"factors": FACTORS, "design": "full_factorial"}))
    assert len(cells) == 8 and cells[0].values == {}
    assert {"classifier.batch_size": 100, "data.filters.gamma": False,
            "gan.optimizer.name": "sgd"} in [c.values for c in cells]


def test_a_cell_applies_its_levels_to_the_base_config() -> None:
    cfg = _cfg({"factors": FACTORS})
    cell_cfg = apply_values(cfg, {"data.filters.gamma": False, "gan.optimizer.name": "sgd"})
    assert [f.name for f in cell_cfg.data.filters] == ["bilateral"]
    assert cell_cfg.gan.optimizer.name == "sgd" and "betas" not in cell_cfg.gan.optimizer.params


def test_missing_ablation_is_a_config_error() -> None:
    cfg = config_from_dict({"study": {"name": "a"}})
    with pytest.raises(ConfigError, match=r"no \[ablation\] factors"):
        ablation_cells(cfg)
