"""The search space of a study: ``[search]`` specs, plugins' declared spaces, conditions.

``"data.filters.bilateral" = "declared"`` expands to every parameter the ``bilateral`` filter
declares (``FILTERS.search_space("bilateral")``), as ``data.filters.bilateral.<param>``. When the
plugin's name is itself searched (``"gan.loss.name" = ["bce", "wgan_gp"]`` with
``"gan.loss" = "declared"``), each choice brings its own declared parameters, sampled only when
that choice is drawn (``wgan_gp`` brings ``n_critic``-like parameters only for ``wgan_gp``).

A trial's config is built on the dict form of the study: ``config_to_dict`` -> ``set_path`` of
each sampled value -> ``config_from_dict``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ganlab.config import (
    PLUGIN_FIELDS,
    config_from_dict,
    config_to_dict,
    get_path,
    set_path,
    show,
    validate_search,
)
from ganlab.errors import ConfigError, GanlabError
from ganlab.registry import ParamSpec, Registry, parse_spec, registry_for

if TYPE_CHECKING:
    from ganlab.config import Config

# config path of a plugin table (or list of plugin tables) -> registry of its kind
_PLUGIN_LISTS: dict[str, Registry] = {
    p: registry_for(k) for p, k in PLUGIN_FIELDS.items() if p.startswith("data.")
}
_PLUGIN_TABLES: dict[str, Registry] = {
    p: registry_for(k)
    for p, k in PLUGIN_FIELDS.items()
    if p not in _PLUGIN_LISTS and not p.startswith("baselines.")
}


@dataclass(frozen=True)
class SearchParam:
    """One parameter of the expanded space.

    Attributes:
        path: Config path the sampled value is written to.
        spec: Its distribution and conditions.
        name: Optuna parameter name (the path, or ``path[choice]`` for per-plugin spaces).
    """

    path: str
    spec: ParamSpec
    name: str


def expand_search_space(cfg: Config) -> list[SearchParam]:
    """Expand ``cfg.search`` into parameters, declared spaces included, in sampling order."""
    validate_search(cfg)
    where = f"{cfg.source}: search"
    out: list[SearchParam] = []
    for path, spec in cfg.search.items():
        if spec != "declared":
            out.append(SearchParam(path, spec, path))  # type: ignore[arg-type]
            continue
        registry, names = _declared_plugins(cfg, path, where)
        searched_name = cfg.search.get(f"{path}.name")
        for plugin in names:
            space = registry.search_space(plugin)
            if not space:
                raise ConfigError(
                    f'{where}."{path}" = "declared": the {registry.singular} plugin {plugin!r} '
                    f"declares no search space; give the parameters explicitly instead"
                )
            for param, raw in space.items():
                p_spec = parse_spec(raw, where=f"{registry.kind} plugin {plugin!r}: {param}")
                name = f"{path}.{param}"
                if isinstance(searched_name, ParamSpec):
                    p_spec = _with_condition(p_spec, f"{path}.name", plugin)
                    name = f"{path}[{plugin}].{param}"
                out.append(SearchParam(f"{path}.{param}", p_spec, name))
    _check_conditions(out, cfg, where)
    return out


def _with_condition(spec: ParamSpec, path: str, value: Any) -> ParamSpec:
    from dataclasses import replace

    return replace(spec, when=(*spec.when, (path, value)))


def _declared_plugins(cfg: Config, path: str, where: str) -> tuple[Registry, list[str]]:
    raw = config_to_dict(cfg)
    if path in _PLUGIN_TABLES:
        registry = _PLUGIN_TABLES[path]
        searched = cfg.search.get(f"{path}.name")
        if isinstance(searched, ParamSpec):
            if searched.type != "categorical":
                raise ConfigError(f'{where}."{path}.name": a plugin name must be categorical')
            return registry, [str(c) for c in searched.choices]
        name = get_path(raw, f"{path}.name")
        if name is None:
            raise ConfigError(f'{where}."{path}": no plugin is set at {path} in the study file')
        return registry, [name]
    parent, _, plugin = path.rpartition(".")
    if parent in _PLUGIN_LISTS:
        if get_path(raw, path) is None:
            raise ConfigError(
                f'{where}."{path}" = "declared": {plugin!r} is not in {parent}; add '
                f'{{name = "{plugin}"}} to {parent} first'
            )
        return _PLUGIN_LISTS[parent], [plugin]
    allowed = ", ".join([*_PLUGIN_TABLES, *(f"{p}.<plugin>" for p in _PLUGIN_LISTS)])
    raise ConfigError(f'{where}."{path}" = "declared": not a plugin table; allowed: {allowed}')


def _check_conditions(params: list[SearchParam], cfg: Config, where: str) -> None:
    raw = config_to_dict(cfg)
    searched = {p.path for p in params}
    for p in params:
        for cond_path, _ in p.spec.when:
            if cond_path not in searched and get_path(raw, cond_path) is None:
                raise ConfigError(
                    f'{where}."{p.path}".when: {cond_path!r} is neither searched nor set in the '
                    "study file, so the condition can never hold"
                )


def _conditions_hold(spec: ParamSpec, raw: dict[str, Any]) -> bool:
    return all(get_path(raw, path) == value for path, value in spec.when)


def _entry_missing(raw: dict[str, Any], path: str) -> bool:
    """A parameter of a filter/augmentation step that is switched off has nowhere to go."""
    parts = path.split(".")
    if len(parts) >= 4 and ".".join(parts[:2]) in _PLUGIN_LISTS:
        return get_path(raw, ".".join(parts[:3])) is None
    return False


def check_search_values(
    cfg: Config, params: list[SearchParam], check: Callable[[Config], None]
) -> None:
    """Build the study with each parameter at each choice (or at its bounds) and ``check`` it,
    as a trial would: a path that is no config key, a choice naming an unknown plugin or a
    value the rest of the study cannot take fails here, naming the ``[search]`` key, instead
    of in every trial that draws it."""
    import copy

    where = f"{cfg.source}: search"
    for p in params:
        base = config_to_dict(cfg)
        for cond_path, cond_value in p.spec.when:
            set_path(base, cond_path, cond_value, where=where)
        if _entry_missing(base, p.path):
            continue
        if p.spec.type == "categorical":
            values = list(p.spec.choices)
        else:
            cast = int if p.spec.type == "int" else float
            values = [cast(p.spec.low), cast(p.spec.high)]  # type: ignore[arg-type]
        for value in values:
            raw = copy.deepcopy(base)
            try:
                set_path(raw, p.path, value, where=where)
                check(config_from_dict(raw, source=cfg.source))
            except GanlabError as exc:
                why = str(exc).removeprefix(f"{cfg.source}: ").removeprefix("search: ")
                raise ConfigError(f'{where}."{p.path}": with the value {show(value)}, {why}'
                                  ) from None


def sample_config(trial: Any, cfg: Config, params: list[SearchParam]) -> tuple[Config, dict]:
    """Sample every active parameter of ``params`` from ``trial`` and build the trial's config.

    Parameters are sampled in passes so that a condition may depend on a sampled value.

    Returns:
        The trial's config and ``{config path: value}`` of what was sampled.
    """
    raw = config_to_dict(cfg)
    sampled: dict[str, Any] = {}
    pending = list(params)
    while pending:
        progressed, waiting = False, []
        for p in pending:
            deps = [c for c, _ in p.spec.when if any(q.path == c for q in pending if q is not p)]
            if deps:
                waiting.append(p)
                continue
            progressed = True
            if not _conditions_hold(p.spec, raw) or _entry_missing(raw, p.path):
                continue
            value = p.spec.suggest(trial, p.name)
            set_path(raw, p.path, value, where=f"{cfg.source}: search")
            sampled[p.path] = value
        if not progressed:
            cycle = ", ".join(p.path for p in waiting)
            raise ConfigError(f"{cfg.source}: search: conditions depend on each other: {cycle}")
        pending = waiting
    return config_from_dict(raw, source=cfg.source), sampled


def apply_values(cfg: Config, values: dict[str, Any]) -> Config:
    """``cfg`` with ``{config path: value}`` applied (ablation cells, baselines)."""
    raw = config_to_dict(cfg)
    for path, value in values.items():
        set_path(raw, path, value, where=f"{cfg.source}")
    return config_from_dict(raw, source=cfg.source)
