"""``ganlab study report``: ``runs/<study>/report/index.html`` and ``report.md``.

Everything comes from stored files (the Optuna storage, ``run.json`` / ``metrics.json`` /
``predictions.csv`` of runs, ablation, baseline and ensemble results); nothing is retrained.
A section with nothing to show says so. Results come first (best trial, ablation, baselines,
ensembles, ROC, confusion matrices, GAN samples and metrics); the trial list, Optuna's plots
and the configuration come last, the configuration folded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config import Config, redact_url
from ganlab.io import atomic_write_text, read_state
from ganlab.metrics import format_ci, plot_confusion, plot_roc, plot_training_curves
from ganlab.study._layout import StudyLayout
from ganlab.study.experiments._ablation import ablation_cells, ablation_tables
from ganlab.study.experiments._baselines import write_baseline_table
from ganlab.study.experiments._predictions import read_predictions
from ganlab.study.experiments._stats import format_mean_ci
from ganlab.study.pipeline._gan_metrics import wants_gan_metrics
from ganlab.study.pipeline._run_pipeline import load_run
from ganlab.study.report._doc import Doc
from ganlab.study.report._inspect import (
    fmt_value,
    open_study,
    study_config,
    study_record,
    trial_rows,
)
from ganlab.study.storage._storage import optimised

if TYPE_CHECKING:
    import optuna


SECTIONS = (
    "Summary", "Best trial", "Ablation", "Baselines", "Ensemble", "ROC curves",
    "Confusion matrices", "GAN: sample grids", "GAN metrics", "GAN: loss curves",
    "Classifier training curves", "Trials", "Optimisation history", "Parameter importance",
    "Configuration",
)
_TABLE = ("accuracy", "precision", "recall", "f1", "roc_auc")


def write_report(
    name: str, *, output: str | Path = "runs", storage: str | None = None,
    out: str | Path | None = None,
) -> Path:
    """Write the report of study ``name``; returns the path of ``index.html``.

    ``storage`` overrides the recorded storage URL (needed when its password was redacted).
    ``out`` is the report folder (default ``runs/<name>/report``); the study folder is only
    read, so it may be read-only. The report is built in a temporary folder next to ``out``
    and moved into place, so a run killed midway leaves the previous report whole.
    """
    import matplotlib

    matplotlib.use("Agg")
    layout = StudyLayout.of(name, output)
    cfg = study_config(name, output)
    study = _stored_or_empty_study(name, output, storage, cfg, layout)
    dest = Path(out) if out is not None else layout.report
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the report folder is not
    try:
        _build_report(name, output, cfg, study, layout, tmp)
        _swap_into_place(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest / "index.html"


def _build_report(name: str, output: str | Path, cfg: Config, study: optuna.Study,
                  layout: StudyLayout, out: Path) -> None:
    img = out / "img"
    img.mkdir(parents=True)
    doc = Doc(f"Study report: {name}", img)
    best = _best_run(study, layout)
    _summary(doc, cfg, study, best)
    _best_trial(doc, cfg, study, best)
    _ablation(doc, cfg, layout)
    _baselines(doc, cfg, layout, best)
    _ensemble(doc, layout)
    _roc_and_confusion(doc, best, cfg, layout, img)
    _gan(doc, cfg, best, img, layout)
    _training_curves(doc, best, cfg, img)
    _trials(doc, cfg, study)
    _optuna_plots(doc, study, img)
    _configuration(doc, cfg, study_record(name, output), best, layout)
    atomic_write_text(out / "report.md", doc.markdown(out))
    atomic_write_text(out / "index.html", doc.html())


def _stored_or_empty_study(name: str, output: str | Path, storage: str | None, cfg: Config,
                           layout: StudyLayout) -> optuna.Study:
    """The stored study; an empty one when only ``study ablate``/``baselines`` ever ran."""
    import optuna

    if storage is None and not optimised(layout, read_only=True):
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "new study created" line
        try:
            return optuna.create_study(study_name=name, directions=[
                o.direction for o in cfg.study.objectives])
        finally:
            optuna.logging.set_verbosity(verbosity)
    return open_study(name, output=output, storage=storage)


def _swap_into_place(new: Path, dest: Path) -> None:
    """Replace folder ``dest`` by ``new`` with two renames (the old one is removed after)."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
    os.replace(new, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _best_run(study: optuna.Study, layout: StudyLayout) -> dict[str, Any] | None:
    try:
        trials = study.best_trials
    except ValueError:
        return None
    for t in trials:
        run = load_run(layout.trial_dir(t.number))
        if run is not None:
            run["trial"] = t.number
            run["values"] = t.values
            return run
    return None


def _summary(doc: Doc, cfg: Config, study: optuna.Study, best: dict | None) -> None:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = ", ".join(f"{s.name.lower()} {sum(t.state == s for t in trials)}"
                       for s in TrialState if any(t.state == s for t in trials)) or "none"
    doc.h("Summary")
    if best is not None:
        names = _objective_names(study, cfg)
        values = ", ".join(f"{n} = {v:.4f}" for n, v in zip(names, best["values"], strict=True))
        test = ((best.get("classifier_metrics") or {}).get("test") or {}).get("roc_auc")
        line = f"Best trial #{best['trial']}: {values}"
        if isinstance(test, dict):
            line += (f"; test ROC AUC {test['value']:.3f} "
                     f"[{test['ci_low']:.3f}, {test['ci_high']:.3f}] (95% bootstrap CI)")
        doc.lead(line + ".")
    rows = [
        ["objectives", ", ".join(f"{o.metric} ({o.direction})" for o in cfg.study.objectives)],
        ["trials", counts],
        ["data", str(cfg.data.root or cfg.data.manifest)],
    ]
    sizes = (((best or {}).get("classifier_metrics") or {}).get("protocol") or {}).get("data",
                                                                                       {})
    if sizes.get("sizes"):
        rows.append(["split (images)", ", ".join(f"{side} {sum(c.values())}"
                                                 for side, c in sizes["sizes"].items())])
    rows.append(["classifier mode", f"{cfg.classifier.mode} (synthetic ratio "
                                    f"{cfg.classifier.synthetic_ratio})"])
    if cfg.classifier.synthesis is not None:
        rows.append(["synthesis strategy", json.dumps(cfg.classifier.synthesis.as_dict())])
    doc.table(["item", "value"], rows)


def _best_trial(doc: Doc, cfg: Config, study: optuna.Study, best: dict | None) -> None:
    doc.h("Best trial")
    if best is None:
        doc.empty("No completed trial yet." if study.trials else
                  "No trials: the study was not optimised (only ablate or baselines ran).")
        return
    t = study.trials[best["trial"]]
    names = _objective_names(study, cfg)
    doc.p(f"Trial {t.number}: " + ", ".join(
        f"{n} = {fmt_value(v)}" for n, v in zip(names, t.values, strict=True)) + ".")
    clf = best.get("classifier_metrics") or {}
    if clf.get("test"):
        doc.table(["metric", *[s for s in ("val", "test") if s in clf]],
                  [[m, *(format_ci(_nan(clf[s][m])) for s in ("val", "test") if s in clf)]
                   for m in _TABLE if m in clf["test"]])
        doc.p("Point estimate with its 95% bootstrap CI over the split's images; the "
              "threshold was chosen on validation.")
    values = t.user_attrs.get("config_values") or {}
    if values:
        doc.table(["sampled config path", "value"],
                  [[k, fmt_value(v)] for k, v in values.items()])


def _objective_names(study: optuna.Study, cfg: Config) -> list[str]:
    """The objectives' names: the study's (``set_metric_names``), else the study file's."""
    names = study.metric_names or [o.metric for o in cfg.study.objectives]
    if len(names) != len(study.directions):
        return [f"objective {i}" for i in range(len(study.directions))]
    return list(names)


def _nan(entry: dict[str, Any]) -> dict[str, float]:
    return {k: float("nan") if v is None else v for k, v in entry.items()}


def _configuration(doc: Doc, cfg: Config, rec: dict, best: dict | None,
                   layout: StudyLayout) -> None:
    stored = "journal file optuna.journal" if optimised(layout) else "none (never optimised)"
    doc.h("Configuration")
    doc.table(["item", "value"], [
        ["study file", str(rec.get("source", ""))],
        ["storage", str(redact_url(rec.get("storage")) or stored)],
        ["sampler / pruner", f"{cfg.study.sampler.name} / {cfg.study.pruner.name}"],
        ["image size", str(cfg.data.image_size)],
    ])
    cfg_file = Path((best or {}).get("dir", "")) / "config.json"
    if best is not None and cfg_file.exists():
        doc.fold(f"Resolved configuration of the best trial #{best['trial']} (config.json)")
        doc.code(cfg_file.read_text())
        doc.unfold()


def _trials(doc: Doc, cfg: Config, study: optuna.Study) -> None:
    doc.h("Trials")
    rows = trial_rows(study)
    if not rows:
        doc.empty("No trials.")
        return
    names = _objective_names(study, cfg)
    keys = tuple(k for k in ("val.roc_auc", "test.roc_auc", "test.accuracy", "gan.fid")
                 if k not in names)
    doc.p(f"Objective{'s' if len(names) > 1 else ''}: {', '.join(names)} (a pruned trial shows "
          "its last reported value).")
    doc.table(
        ["#", "state", ", ".join(names), "sampled values", *keys, "s", "note"],
        [[str(r["number"]), r["state"], fmt_value(r["values"]),
          "; ".join(f"{k}={fmt_value(v)}" for k, v in r["params"].items()),
          *(fmt_value(r["metrics"].get(k)) for k in keys),
          fmt_value(r["seconds"]), r["reason"]] for r in rows],
    )


def _optuna_plots(doc: Doc, study: optuna.Study, img: Path) -> None:
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as vis
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    multi = len(study.directions) > 1
    target = (lambda t: t.values[0]) if multi else None
    for title, fn, need in (
        ("Optimisation history", vis.plot_optimization_history, 1),
        ("Parameter importance", vis.plot_param_importances, 2),
    ):
        doc.h(title)
        if len(complete) < need or (need > 1 and not any(t.params for t in complete)):
            doc.empty(f"Needs at least {need} completed trial(s) with sampled parameters; "
                      f"{len(complete)} completed.")
            continue
        try:
            with warnings.catch_warnings(), plt.rc_context():  # optuna sets the ggplot style
                warnings.simplefilter("ignore")
                first = (study.metric_names or ["objective 0"])[0]
                kwargs = {"target": target, "target_name": first} if multi else {}
                ax = fn(study, **kwargs)
            fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
            path = img / f"{title.lower().replace(' ', '_')}.png"
            fig.set_size_inches(8, 4.5)
            fig.savefig(path, dpi=90, bbox_inches="tight")
            plt.close(fig)
            doc.image(path, title)
        except (ValueError, RuntimeError) as exc:
            doc.empty(f"Not available: {exc}")


def _ablation(doc: Doc, cfg: Config, layout: StudyLayout) -> None:
    doc.h("Ablation")
    if cfg.ablation is None or not cfg.ablation.factors:
        doc.empty("The study file has no [ablation] section.")
        return
    res = ablation_tables(cfg)  # recomputed from stored runs only; nothing written
    doc.p(f"Design {res['design']}, seeds {res['seeds']}; test metrics as mean [95% interval "
          "over seeds: a t-interval of the logits, mapped back, so it stays inside 0..1]. "
          "Δ vs base: paired bootstrap of the difference on the same test samples, averaged "
          "over seeds, with its 95% CI and p-value (Holm-adjusted over the cells of a factor).")
    rows = res["rows"]
    groups: dict[str, list[dict]] = {}
    for row in rows[1:]:
        groups.setdefault(row["factor"] or "combination", []).append(row)
    for factor, group in groups.items():
        doc.h(f"Factor: {factor}", 3)
        table = []
        for row in [rows[0], *group]:
            cells = [row["label"], str(row["n_seeds"])]
            cells += [format_mean_ci(row["metrics"][m]) for m in _TABLE]
            vs = row["vs_base"].get("roc_auc") or row["vs_base"].get("accuracy")
            cells.append(_fmt_diff(vs) if vs else ("—" if row is rows[0] else
                                                     row.get("vs_base_note", "no paired runs")))
            cells.append("; ".join(row["errors"]))
            table.append(cells)
        doc.table(["cell", "seeds", *_TABLE, "Δ AUC vs base", "failed runs"], table)


def _fmt_diff(d: dict) -> str:
    holm = f" (Holm {d['p_holm']:.3f})" if "p_holm" in d else ""
    return (f"{d['diff']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] "
            f"p={d['p_value']:.3f}{holm}")


def _baselines(doc: Doc, cfg: Config, layout: StudyLayout, best: dict | None) -> None:
    doc.h("Baselines")
    if cfg.baselines is None or not cfg.baselines.models:
        doc.empty("The study file has no [baselines] section.")
        return
    res = write_baseline_table(cfg)
    table = []
    if best is not None:
        table.append([f"best trial #{best['trial']}", "1",
                      *(fmt_value(best["metrics"].get(f"test.{m}")) for m in _TABLE), ""])
    for row in res["rows"]:
        table.append([row["name"], str(row["n_seeds"]),
                      *(format_mean_ci(row["metrics"][m]) for m in _TABLE),
                      "; ".join(row["errors"])])
    doc.p("Test metrics; baselines as mean [95% logit-t interval over seeds]; the best trial "
          "is one run.")
    doc.table(["model", "seeds", *_TABLE, "failed runs"], table)


def _ensemble(doc: Doc, layout: StudyLayout) -> None:
    doc.h("Ensemble")
    path = layout.ensemble / "results.json"
    if not path.exists():
        doc.empty("No ensemble results (no [ensemble] section, or the study has not run it).")
        return
    res = read_state(path, what="ensemble result", on_corrupt="warn")
    if res is None:
        doc.empty(f"{path.name} is corrupt; rerun `ganlab study run` to rebuild it.")
        return
    doc.p(f"Members: {', '.join(res['members']) or 'none'}.")
    if res.get("note"):
        doc.empty(res["note"])
        return

    best = res["best_member"]
    rows = [[f"best member: {best['name']}", *(format_ci(best["test"][m]) for m in _TABLE), ""]]
    for method, r in res["methods"].items():
        vs = r["vs_best"]["roc_auc"]
        rows.append([method, *(format_ci(r["test"][m]) for m in _TABLE), _fmt_diff(vs)])
    doc.p("Test metrics with 95% bootstrap CIs; fitted on validation predictions only.")
    doc.table(["model", *_TABLE, "Δ AUC vs best member"], rows)


def _copy(src: str | Path, img: Path, name: str) -> Path | None:
    src = Path(src)
    if not src.is_file():
        return None
    dst = img / name
    shutil.copyfile(src, dst)
    return dst


def _ablation_grids(cfg: Config, layout: StudyLayout, limit: int = 6) -> list[tuple[str, str]]:
    """``(grid, caption)``: the last sample grid of each ablation run's GAN (shared GANs once)."""
    if cfg.ablation is None or not cfg.ablation.factors:
        return []
    found: dict[str, str] = {}
    for cell in ablation_cells(cfg):
        for seed in cfg.ablation.seeds:
            run = load_run(layout.ablation / cell.id / f"seed-{seed}") or {}
            grids = [g for g in run.get("sample_grids", []) if Path(g).is_file()]
            if grids and grids[-1] not in found and len(found) < limit:
                found[grids[-1]] = f"{cell.label}, seed {seed}: {Path(grids[-1]).name}"
    return list(found.items())


def _gan(doc: Doc, cfg: Config, best: dict | None, img: Path, layout: StudyLayout) -> None:
    doc.h("GAN: sample grids")
    grids = [g for g in (best or {}).get("sample_grids", []) if Path(g).is_file()]
    shown = [(g, f"Samples from fixed noise: {Path(g).name}") for g in grids[-2:]]
    if not shown:
        shown = [(g, f"Ablation GAN ({caption}), fixed noise")
                 for g, caption in _ablation_grids(cfg, layout)]
    if not shown:
        doc.empty("No sample grids stored for the best trial or the ablation runs.")
    for i, (g, caption) in enumerate(shown):
        path = _copy(g, img, f"samples_{i}.png")
        if path:
            doc.image(path, caption)
    _gan_metrics(doc, cfg, best)
    doc.h("GAN: loss curves")
    hist = _best_history(best, "gan_history.json")
    if not hist:
        doc.empty("No GAN training history stored for the best trial.")
        return
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    epochs = [h.get("epoch", i + 1) for i, h in enumerate(hist)]
    for key in ("d_loss", "g_loss"):
        if key in hist[0]:
            ax.plot(epochs, [h[key] for h in hist], marker="o", label=key)
    ax.set(xlabel="epoch", ylabel="loss", title="GAN losses")
    ax.legend()
    path = img / "gan_losses.png"
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    doc.image(path, "Discriminator and generator loss per epoch (best trial)")


def gan_metric_rows(gan_metrics: dict[str, Any]) -> tuple[list[list[str]], list[list[str]]]:
    """``(measured, missing)`` rows from a run's GAN metrics, whatever their names.

    Numbers are measured metrics (nested tables, e.g. per class, become dotted names); a
    string under a ``*_skipped`` / ``*_error`` / ``*_reason`` key says why a metric is missing;
    other nested tables (protocols) are left to the raw record.
    """
    measured: list[list[str]] = []
    missing: list[list[str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, bool):
            measured.append([prefix, str(value)])
        elif isinstance(value, (int, float)):
            measured.append([prefix, fmt_value(float(value))])
        elif isinstance(value, dict) and not prefix.endswith("protocol"):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, str):
            for suffix in ("_skipped", "_error", "_reason"):
                if prefix.endswith(suffix):
                    missing.append([prefix[: -len(suffix)], value])
                    return

    walk("", gan_metrics)
    return measured, missing


def _gan_metrics(doc: Doc, cfg: Config, best: dict | None) -> None:
    doc.h("GAN metrics")
    if best is None:
        doc.empty("No completed trial yet.")
        return
    if not best.get("gan_checkpoint"):
        doc.empty("The best trial trained no GAN (classifier mode "
                  f"{cfg.classifier.mode!r}), so there is nothing to measure.")
        return
    gm = dict(best.get("gan_metrics") or {})
    for key, value in (best.get("metrics") or {}).items():  # flat gan.* keys of the record
        if key.startswith("gan.") and key[4:] not in gm:
            gm[key[4:]] = value
    measured, missing = gan_metric_rows(gm)
    if measured:
        doc.table(["metric", "value"], measured)
    else:
        doc.empty("No GAN metric was measured for the best trial.")
    if not cfg.gan.fid.enabled:
        missing.append(["fid", "disabled in the study file (gan.fid.enabled = false)"])

    if not wants_gan_metrics(cfg) and not any(r[0].startswith("coverage") for r in measured):
        missing.append(["precision / recall / density / coverage, TSTR",
                        "not enabled (gan.metrics.enabled = false and no gan.* objective needs "
                        "them); `ganlab gan metrics CKPT --study FILE` scores a checkpoint"])
    if missing:
        doc.p("Not measured:")
        doc.table(["metric", "why"], missing)
    protocols = {k: v for k, v in gm.items() if k.endswith("protocol") and isinstance(v, dict)}
    if protocols:
        doc.fold("How they were measured (protocol)")
        doc.code(json.dumps(protocols, indent=2))
        doc.unfold()


def _roc_and_confusion(
    doc: Doc, best: dict | None, cfg: Config, layout: StudyLayout, img: Path
) -> None:
    doc.h("ROC curves")
    curves: dict[str, tuple[Any, Any]] = {}
    if best and best.get("predictions") and Path(best["predictions"]).is_file():
        pred = read_predictions(Path(best["predictions"]), name="best")
        curves[f"best trial #{best['trial']}"] = (pred.test.labels, pred.test.probs)
    rows = read_state(layout.ensemble / "test_predictions.csv", what="ensemble predictions",
                      fmt="csv", columns=("label",), on_corrupt="warn") or []
    try:
        y = [int(r["label"]) for r in rows]
        for method in (cfg.ensemble.methods if cfg.ensemble and rows else ()):
            if method in rows[0]:
                curves[f"ensemble: {method}"] = (y, [float(r[method]) for r in rows])
    except (TypeError, ValueError):  # a hand-edited file: its curves are left out
        curves = {k: v for k, v in curves.items() if not k.startswith("ensemble")}
    if curves and all(0 < sum(y) < len(y) for y, _ in curves.values()):
        doc.image(plot_roc(curves, img / "roc.png", title="Test ROC"), "Test ROC curves")
    else:
        doc.empty("No stored test predictions with both classes.")
    doc.h("Confusion matrices")
    cm = ((best or {}).get("classifier_metrics") or {}).get("confusion_matrix") or {}
    if not cm:
        doc.empty("No confusion matrix stored for the best trial.")
    names = (best or {}).get("class_names") or ["benign", "malignant"]
    for split, matrix in cm.items():
        path = plot_confusion(matrix, names, img / f"confusion_{split}.png",
                              title=f"Confusion matrix ({split})")
        doc.image(path, f"Best trial, {split} split, at the validation-chosen threshold")


def _best_history(best: dict | None, name: str) -> list:
    """The best trial's stored per-epoch history ``name`` (empty when there is none)."""
    if not best:
        return []
    path = Path(best.get("dir", "")) / name
    return read_state(path, what="training history", expect=list, on_corrupt="warn") or []


def _training_curves(doc: Doc, best: dict | None, cfg: Config, img: Path) -> None:
    doc.h("Classifier training curves")
    hist = _best_history(best, "classifier_history.json")
    if not hist:
        doc.empty("No classifier training history stored for the best trial.")
        return
    path = plot_training_curves(hist, img / "classifier_curves.png",
                                monitor=cfg.classifier.monitor)
    doc.image(path, "Classifier loss and validation metric per epoch (best trial)")
