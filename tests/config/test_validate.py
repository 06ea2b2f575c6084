"""Plugin references in a study, checked against the registry at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.config import (
    config_from_dict,
    load_config,
    plugin_refs,
    validate_plugins,
    validate_search,
)
from ganlab.config._validate import _mismatch
from ganlab.errors import ConfigError
from ganlab.registry import FILTERS
from ganlab.testing import fake_entry_point

PLUGINS = '''
def typed(*, size: int = 3, rate: float = 0.5, flag: bool = False, mode: str = "a",
          pair: tuple[float, float] = (1.0, 2.0), maybe: float | None = None,
          kind: "Literal['x', 'y']" = "x", free=None):
    """A filter with typed parameters."""
    return lambda image: image


def required(*, kernel: int):
    """A filter with a required parameter."""
    return lambda image: image
'''


@pytest.fixture
def typed_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "validate_test_plugins.py").write_text(PLUGINS)
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [fake_entry_point("ganlab.filters", name, f"validate_test_plugins:{name}",
                            package="acme-validate") for name in ("typed", "required")]
    for ep in eps:
        FILTERS.add_entry_point(ep)
    yield
    for ep in eps:
        FILTERS.remove_entry_point(ep)


def _check(tmp_path: Path, body: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text('[study]\nname = "s"\n' + body)
    validate_search(load_config(path))


def test_default_study_validates(tmp_path: Path) -> None:
    _check(tmp_path, "")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[gan]\noptimizer = {name = "adam", lr = "fast"}\n',
         'x.toml: gan.optimizer.lr: expected a number, got "fast"'),
        ('[gan]\noptimizer = {name = "adamm"}\n',
         "x.toml: gan.optimizer.name: unknown optimizer plugin 'adamm'. Did you mean: adam"),
        ('[gan]\nloss = "dcgan"\n', "gan.loss.name: unknown loss plugin 'dcgan'"),
        ('[gan]\noptimizer = {name = "adam", lrr = 0.1}\n',
         "gan.optimizer.lrr: unknown parameter of optimizer plugin 'adam'. Did you mean: lr?"),
        ('[gan]\ngenerator = {name = "dcgan", nz = 64}\n',
         "gan.generator.nz: 'nz' is passed to every generator by ganlab (from gan.nz)"),
        ('[classifier]\nmodel = {name = "compact_cnn", num_classes = 3}\n',
         "classifier.model.num_classes: 'num_classes' is passed to every classifier"),
        ('[classifier]\noptimizer = {name = "sgd", params = []}\n',
         "classifier.optimizer.params: 'params' is passed to every optimizer by ganlab"),
        ('[data]\nfilters = [{name = "bilaterall"}]\n',
         "data.filters.bilaterall.name: unknown filter plugin 'bilaterall'. Did you mean: "
         "bilateral"),
        ('[search]\n"gan.optimizer.momentum" = {type = "float", low = 0.1, high = 0.9}\n',
         "search.\"gan.optimizer.momentum\": 'momentum' is not a parameter of optimizer plugin "
         "'adam'"),
        ('[baselines]\nmodels = [{name = "resnet"}]\n',
         "baselines.models.resnet.name: unknown classifier plugin 'resnet'"),
    ],
)
def test_bad_plugin_use(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _check(tmp_path, body)
    assert message in str(err.value)


def test_search_is_checked_only_where_it_is_used(tmp_path: Path) -> None:
    """A search path left behind by a model swap does not stop loading (classify train and
    gan train do not use [search]); the search check, run by study run, still catches it."""
    path = tmp_path / "x.toml"
    path.write_text('[study]\nname = "s"\n[search]\n'
                    '"classifier.model.width" = {type = "int", low = 16, high = 64}\n')
    assert load_config(path).classifier.model.name == "compact_cnn"
    swapped = load_config(path, overrides=[("classifier.model", {"name": "timm"})])
    with pytest.raises(ConfigError, match="'width' is not a parameter of classifier plugin"):
        validate_search(swapped)


def test_searching_the_plugin_name_skips_the_parameter_check(tmp_path: Path) -> None:
    _check(tmp_path, '[search]\n"gan.optimizer.name" = ["adam", "sgd"]\n'
                     '"gan.optimizer.momentum" = {type = "float", low = 0.1, high = 0.9}\n')


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("size = 2.5", "typed.size: expected an integer, got 2.5"),
        ("size = true", "typed.size: expected an integer, got true"),
        ('rate = "x"', 'typed.rate: expected a number, got "x"'),
        ("flag = 1", "typed.flag: expected true or false, got 1"),
        ("mode = 3", "typed.mode: expected a string, got 3"),
        ("pair = 1.0", "typed.pair: expected a list, got 1.0"),
        ('maybe = "no"', 'typed.maybe: expected a number, got "no"'),
        ('kind = "z"', "typed.kind: expected one of \"x\", \"y\", got \"z\""),
    ],
)
def test_values_match_simple_annotations(
    typed_filters: None, tmp_path: Path, params: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _check(tmp_path, f'[data]\nfilters = [{{name = "typed", {params}}}]\n')


def test_good_values_and_unannotated_pass(typed_filters: None, tmp_path: Path) -> None:
    _check(tmp_path, '[data]\nfilters = [{name = "typed", size = 5, rate = 1, flag = true, '
                     'mode = "b", pair = [1, 2], maybe = 0.1, kind = "y", free = [1]}]\n')


def test_required_parameters(typed_filters: None, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="data.filters.required: filter plugin 'required' "
                                          "needs parameter.s. kernel"):
        _check(tmp_path, '[data]\nfilters = ["required"]\n')
    _check(tmp_path, '[data]\nfilters = [{name = "required", kernel = 3}]\n')


def test_broken_plugin_in_a_study(tmp_path: Path) -> None:
    ep = fake_entry_point("ganlab.filters", "broken", "no_such_mod_abc:f", package="acme-bad")
    FILTERS.add_entry_point(ep)
    try:
        with pytest.raises(ConfigError, match=r"data.filters.broken.name: filter plugin 'broken' "
                                              r"from package acme-bad 1.0 failed to load"):
            _check(tmp_path, '[data]\nfilters = ["broken"]\n')
    finally:
        FILTERS.remove_entry_point(ep)


def test_opt_out_and_explicit_call(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('[study]\nname = "s"\n[gan]\nloss = "nope"\n')
    cfg = load_config(path, check_plugins=False)
    with pytest.raises(ConfigError, match="gan.loss.name: unknown loss plugin 'nope'"):
        validate_plugins(cfg)


def test_plugin_refs_lists_every_reference() -> None:
    cfg = config_from_dict({"study": {"name": "s"}, "data": {"filters": ["gamma", "clahe"]},
                            "baselines": {"models": ["compact_cnn"]}})
    paths = {path: kind for path, kind, _ in plugin_refs(cfg)}
    assert paths["data.filters.gamma"] == "filters"
    assert paths["baselines.models.compact_cnn"] == "classifiers"
    assert paths["gan.loss"] == "losses" and "gan.d_optimizer" not in paths


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        ("float", 1, ""),
        ("int", 1.0, "an integer"),
        ("Optional[int]", "a", "an integer"),
        ("Union[int, str]", [1], "an integer or a string"),
        ("torch.Tensor", "anything", ""),
        ("Sequence[float]", (1, 2), ""),
        ("", 3, ""),
    ],
)
def test_annotation_matching(annotation: str, value: object, expected: str) -> None:
    assert _mismatch(annotation, value) == expected
