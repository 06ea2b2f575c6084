"""Result bundles: a study's finished ablation and baseline runs without their checkpoints.

Seeds of one study run on machines that share no disk (or on days far apart, when ``runs/``
was not kept) come together through bundles: ``ganlab study export`` packs each finished run's
result files (config, metrics, summary, predictions, histories, figures; no ``.pt``) and a
manifest into a ``.tar.gz`` of a few hundred kB per seed, and ``ganlab study import`` checks
every run in it against the study file (the same cell or baseline, the same data, GAN and
classifier settings) and adds those the study lacks. ``study ablate`` then reads them as cached
runs: it trains nothing for them, and tables every seed together with the paired bootstrap on
the same test images (a bundle from another split fails that check by sample id).

Trials are not bundled: they live in the Optuna storage, which many machines share directly.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import config_to_dict
from ganlab.errors import GanlabError
from ganlab.io import atomic_write_bytes
from ganlab.provenance import environment
from ganlab.study._layout import StudyLayout
from ganlab.study.experiments._ablation import ablation_cells
from ganlab.study.experiments._baselines import baseline_config, baseline_name
from ganlab.study.optimize._space import apply_values
from ganlab.study.pipeline._run_pipeline import load_run

if TYPE_CHECKING:
    from ganlab.config import Config

BUNDLE_FORMAT = 1
MANIFEST = "manifest.json"
RESULT_SUFFIXES = (".json", ".csv", ".png", ".md", ".txt")
"""Files of a run that a bundle carries; checkpoints and TensorBoard logs stay behind."""

COMPARED_SECTIONS = ("data", "gan", "classifier")
RUNTIME_KEYS = frozenset({
    "data.root",  # the same images may sit elsewhere; the split check compares sample ids
    "data.workers", "gan.sample_every", "gan.checkpoint_every", "gan.checkpoint_minutes",
    "classifier.checkpoint_every", "classifier.checkpoint_minutes",
})
"""Settings that do not change a run's results, so two machines may differ in them."""

_RUN_RE = re.compile(r"^(ablation|baselines)/([A-Za-z0-9_.=+-]+)/seed-(\d+)$")
_FILE_RE = re.compile(r"^[A-Za-z0-9_.=+-]+(/[A-Za-z0-9_.=+-]+)*$")


@dataclass(frozen=True)
class ExportSummary:
    """What ``export_results`` packed: run folders (``ablation/<cell>/seed-<s>``), bytes."""

    path: Path
    runs: tuple[str, ...]
    size: int


@dataclass
class ImportSummary:
    """What ``import_results`` did with each run of the bundles."""

    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # the same results were already here
    outside: list[str] = field(default_factory=list)  # seeds the study file does not list


def export_results(cfg: Config, out: Path, *, seeds: list[int] | None = None,
                   figures: bool = True) -> ExportSummary:
    """Pack the finished ablation and baseline runs of ``cfg``'s study (only ``seeds`` if
    given; without their PNG figures unless ``figures``) into the ``.tar.gz`` bundle ``out``,
    written atomically."""
    layout = StudyLayout.of_config(cfg)
    runs = [r for r in _finished_runs(layout)
            if seeds is None or int(_RUN_RE.match(r).group(3)) in seeds]  # type: ignore[union-attr]
    if not runs:
        which = f" for seeds {seeds}" if seeds else ""
        raise GanlabError(f"{layout.root}: no finished ablation or baseline runs{which} to "
                          f"export; run `ganlab study ablate {cfg.source}` first")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        _add(tar, MANIFEST, json.dumps(_manifest(cfg, runs), indent=2).encode())
        for run in runs:
            for path in _result_files(layout.root / run, figures=figures):
                _add(tar, f"{run}/{path.relative_to(layout.root / run).as_posix()}",
                     path.read_bytes(), mtime=path.stat().st_mtime)
    atomic_write_bytes(out, buffer.getvalue())
    return ExportSummary(out, tuple(runs), len(buffer.getvalue()))


def import_results(cfg: Config, bundles: list[Path]) -> ImportSummary:
    """Add the runs of ``bundles`` that ``cfg``'s study lacks; nothing is written unless every
    run of every bundle belongs to this study file and agrees with what is already here."""
    layout = StudyLayout.of_config(cfg)
    expected = _expected_configs(cfg)
    seeds = _study_seeds(cfg)
    summary = ImportSummary()
    to_write: dict[str, dict[str, bytes]] = {}
    for bundle in bundles:
        for run, files in _read_bundle(bundle, cfg).items():
            where = f"{bundle}: {run}"
            group, seed = run.rsplit("/", 1)[0], int(run.rsplit("-", 1)[1])
            if group not in expected:
                raise GanlabError(f"{where} is not a cell or baseline of {cfg.source}; import "
                                  "it with the study file it was run from")
            _check_same_settings(where, _json(files, "config.json", where), expected[group])
            if "metrics.json" not in files or "run.json" not in files:
                raise GanlabError(f"{where}: metrics.json or run.json missing; export the "
                                  "bundle again from a finished run")
            here = load_run(layout.root / run)
            if here is not None:
                if _json(files, "metrics.json", where) != here["metrics"]:
                    raise GanlabError(
                        f"{where}: {layout.root / run} already holds a finished run with other "
                        "results; move that folder aside to import this one")
                summary.present.append(run)
                continue
            if run in to_write and to_write[run] != files:
                raise GanlabError(f"{where}: another bundle holds other results for this run")
            to_write[run] = files
            if seed not in seeds.get(group.split("/", 1)[0], ()):
                summary.outside.append(run)
    for run, files in to_write.items():
        _write_run(layout.root / run, files)
        summary.added.append(run)
    return summary


def _finished_runs(layout: StudyLayout) -> list[str]:
    found = []
    for kind in ("ablation", "baselines"):
        for run_dir in sorted((layout.root / kind).glob("*/seed-*")):
            run = run_dir.relative_to(layout.root).as_posix()
            if _RUN_RE.match(run) and load_run(run_dir) is not None:
                found.append(run)
    return found


def _result_files(run_dir: Path, *, figures: bool) -> list[Path]:
    suffixes = [s for s in RESULT_SUFFIXES if figures or s != ".png"]
    return sorted(p for p in run_dir.rglob("*")
                  if p.is_file() and not p.is_symlink() and p.suffix in suffixes
                  and p.name != "error.log"
                  and _FILE_RE.match(p.relative_to(run_dir).as_posix()))


def _manifest(cfg: Config, runs: list[str]) -> dict[str, Any]:
    return {
        "format": BUNDLE_FORMAT,
        "study": cfg.study.name,
        "runs": runs,
        # where and with what the bundle was written (each run's own is in its run.json)
        "exported": environment(),
    }


def _add(tar: tarfile.TarFile, name: str, data: bytes, *, mtime: float | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime or time.time()), 0o644
    tar.addfile(info, io.BytesIO(data))


def _read_bundle(bundle: Path, cfg: Config) -> dict[str, dict[str, bytes]]:
    """The runs of ``bundle`` as ``{run folder: {relative file: bytes}}``, after its manifest
    and every member's name were checked (no member is ever extracted by its own path)."""
    if not bundle.is_file():
        raise GanlabError(f"{bundle}: no such bundle; `ganlab study export` writes one")
    try:
        with tarfile.open(bundle, mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise GanlabError(f"{bundle}: not a ganlab result bundle (no {MANIFEST}); "
                                  "`ganlab study export` writes one")
            manifest = json.loads(_member(tar, members[MANIFEST], bundle))
            runs: dict[str, dict[str, bytes]] = {}
            for name, member in members.items():
                if name == MANIFEST or member.isdir():
                    continue
                run, rel = _split_member(name, member, bundle)
                runs.setdefault(run, {})[rel] = _member(tar, member, bundle)
    except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise GanlabError(f"{bundle}: unreadable result bundle ({exc}); export it "
                          "again") from None
    if manifest.get("format") != BUNDLE_FORMAT:
        raise GanlabError(f"{bundle}: bundle format {manifest.get('format')!r}, this ganlab "
                          f"reads {BUNDLE_FORMAT}; export it again with this version")
    if manifest.get("study") != cfg.study.name:
        raise GanlabError(f"{bundle}: holds study {manifest.get('study')!r}, not "
                          f"{cfg.study.name!r}; import it with that study's file")
    return runs


def _split_member(name: str, member: tarfile.TarInfo, bundle: Path) -> tuple[str, str]:
    parts = name.split("/")
    run, rel = "/".join(parts[:3]), "/".join(parts[3:])
    if not (member.isfile() and _RUN_RE.match(run) and rel and _FILE_RE.match(rel)
            and ".." not in parts and Path(rel).suffix in RESULT_SUFFIXES):
        raise GanlabError(f"{bundle}: unexpected member {name!r} (a bundle holds only the "
                          "result files of ablation/<cell>/seed-<s> and baselines/<model>/"
                          "seed-<s>); it was not written by `ganlab study export`")
    return run, rel


def _member(tar: tarfile.TarFile, member: tarfile.TarInfo, bundle: Path) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise GanlabError(f"{bundle}: member {member.name!r} is not a file")
    return handle.read()


def _json(files: dict[str, bytes], name: str, where: str) -> Any:
    if name not in files:
        raise GanlabError(f"{where}: {name} missing; export the bundle again from a finished "
                          "run")
    try:
        return json.loads(files[name])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GanlabError(f"{where}/{name}: not valid JSON ({exc}); export it again") from None


def _expected_configs(cfg: Config) -> dict[str, dict[str, Any]]:
    """``{"ablation/<cell>" | "baselines/<model>": the settings its runs must have}``."""
    expected = {}
    if cfg.ablation is not None and cfg.ablation.factors:
        for cell in ablation_cells(cfg):
            expected[f"ablation/{cell.id}"] = _settings(config_to_dict(
                apply_values(cfg, cell.values)))
    if cfg.baselines is not None:
        for ref in cfg.baselines.models:
            expected[f"baselines/{baseline_name(ref)}"] = _settings(config_to_dict(
                baseline_config(cfg, ref)))
    return expected


def _study_seeds(cfg: Config) -> dict[str, tuple[int, ...]]:
    return {"ablation": tuple(cfg.ablation.seeds) if cfg.ablation else (),
            "baselines": tuple(cfg.baselines.seeds) if cfg.baselines else ()}


def _settings(raw: dict[str, Any]) -> dict[str, Any]:
    """The result-bearing settings of a run's config, flattened to ``section.key`` paths."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and prefix.count(".") < 1:
            for key, sub in value.items():
                walk(f"{prefix}.{key}", sub)
        elif prefix not in RUNTIME_KEYS:
            flat[prefix] = value

    for section in COMPARED_SECTIONS:
        walk(section, raw.get(section) or {})
    return flat


def _check_same_settings(where: str, bundled: Any, expected: dict[str, Any]) -> None:
    if not isinstance(bundled, dict):
        raise GanlabError(f"{where}/config.json: not a run config; export the bundle again")
    got = _settings(bundled)
    differ = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
    if differ:
        shown = "; ".join(f"{k} is {json.dumps(got.get(k))} in the bundle, "
                          f"{json.dumps(expected.get(k))} here" for k in differ[:3])
        more = f" (and {len(differ) - 3} more)" if len(differ) > 3 else ""
        raise GanlabError(f"{where} was run with other settings: {shown}{more}; import it "
                          "with the study file (and --set/--profile) it was run with")


def _write_run(run_dir: Path, files: dict[str, bytes]) -> None:
    """Write a run's files, ``metrics.json`` last: it marks the run finished."""
    (run_dir / "error.log").unlink(missing_ok=True)
    for rel in sorted(files, key=lambda r: r == "metrics.json"):
        atomic_write_bytes(run_dir / rel, files[rel])
