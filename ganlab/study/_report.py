"""``ganlab study report``: ``runs/<study>/report/index.html`` and ``report.md``.

Everything comes from stored files (the Optuna storage, ``run.json`` / ``metrics.json`` /
``predictions.csv`` of runs, ablation, baseline and ensemble results); nothing is retrained.
A section with nothing to show says so.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.io import atomic_write_text
from ganlab.study._doc import Doc
from ganlab.study._inspect import fmt_value, open_study, study_config, study_record, trial_rows
from ganlab.study._layout import StudyLayout
from ganlab.study._pipeline import load_run
from ganlab.study._stats import format_mean_ci

if TYPE_CHECKING:
    import optuna

    from ganlab.config import Config

SECTIONS = (
    "Summary", "Best configuration", "Trials", "Optimisation history", "Parameter importance",
    "Ablation", "Baselines", "Ensemble", "GAN: FID / KID", "GAN: sample grids",
    "GAN: loss curves", "ROC curves", "Confusion matrices", "Classifier training curves",
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
    study = open_study(name, output=output, storage=storage)
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
    _summary(doc, cfg, study, study_record(name, output))
    _best_config(doc, study, best)
    _trials(doc, study)
    _optuna_plots(doc, study, img)
    _ablation(doc, cfg, layout)
    _baselines(doc, cfg, layout, best)
    _ensemble(doc, layout)
    _gan(doc, best, img)
    _classifier(doc, best, cfg, layout, img)
    atomic_write_text(out / "report.md", doc.markdown(out))
    atomic_write_text(out / "index.html", doc.html())


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


def _summary(doc: Doc, cfg: Config, study: optuna.Study, rec: dict) -> None:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = ", ".join(f"{s.name.lower()} {sum(t.state == s for t in trials)}"
                       for s in TrialState if any(t.state == s for t in trials)) or "none"
    doc.h("Summary")
    doc.table(["item", "value"], [
        ["study file", str(rec.get("source", ""))],
        ["storage", str(rec.get("storage") or "journal file optuna.journal")],
        ["objectives", ", ".join(f"{o.metric} ({o.direction})" for o in cfg.study.objectives)],
        ["sampler / pruner", f"{cfg.study.sampler.name} / {cfg.study.pruner.name}"],
        ["trials", counts],
        ["data", str(cfg.data.root or cfg.data.manifest)],
        ["image size", str(cfg.data.image_size)],
        ["classifier mode", f"{cfg.classifier.mode} (synthetic ratio "
                            f"{cfg.classifier.synthetic_ratio})"],
    ])


def _best_config(doc: Doc, study: optuna.Study, best: dict | None) -> None:
    doc.h("Best configuration")
    if best is None:
        doc.empty("No completed trial yet.")
        return
    t = study.trials[best["trial"]]
    doc.p(f"Trial {t.number}: objective value(s) {fmt_value(list(t.values))}.")
    values = t.user_attrs.get("config_values") or {}
    if values:
        doc.table(["config path", "value"], [[k, fmt_value(v)] for k, v in values.items()])
    cfg_file = Path(best["dir"]) / "config.json"
    if cfg_file.exists():
        doc.code(cfg_file.read_text())


def _trials(doc: Doc, study: optuna.Study) -> None:
    doc.h("Trials")
    rows = trial_rows(study)
    if not rows:
        doc.empty("No trials.")
        return
    keys = ("val.roc_auc", "test.roc_auc", "test.accuracy", "gan.fid")
    doc.table(
        ["#", "state", "value(s)", "sampled values", *keys, "s", "note"],
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kwargs = {"target": target, "target_name": "objective 1"} if multi else {}
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
    from ganlab.study._ablation import write_ablation_tables

    doc.h("Ablation")
    if cfg.ablation is None or not cfg.ablation.factors:
        doc.empty("The study file has no [ablation] section.")
        return
    res = write_ablation_tables(cfg)  # recomputed from stored runs only
    doc.p(f"Design {res['design']}, seeds {res['seeds']}; test metrics as mean ± 95% "
          "t-interval half-width over seeds. Δ vs base: paired bootstrap of the difference on "
          "the same test samples, averaged over seeds, with its 95% CI and p-value.")
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
    return (f"{d['diff']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] "
            f"p={d['p_value']:.3f}")


def _baselines(doc: Doc, cfg: Config, layout: StudyLayout, best: dict | None) -> None:
    from ganlab.study._baselines import write_baseline_table

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
    doc.p("Test metrics; baselines as mean ± 95% t-interval half-width over seeds.")
    doc.table(["model", "seeds", *_TABLE, "failed runs"], table)


def _ensemble(doc: Doc, layout: StudyLayout) -> None:
    doc.h("Ensemble")
    path = layout.ensemble / "results.json"
    if not path.exists():
        doc.empty("No ensemble results (no [ensemble] section, or the study has not run it).")
        return
    res = json.loads(path.read_text())
    doc.p(f"Members: {', '.join(res['members']) or 'none'}.")
    if res.get("note"):
        doc.empty(res["note"])
        return
    from ganlab.metrics import format_ci

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


def _gan(doc: Doc, best: dict | None, img: Path) -> None:
    doc.h("GAN: FID / KID")
    gm = (best or {}).get("gan_metrics") or {}
    if not gm:
        doc.empty("The best trial trained no GAN, or FID/KID were not computed.")
    else:
        doc.table(["metric", "value"], [[k, fmt_value(v)] for k, v in gm.items()
                                        if not isinstance(v, dict)])
        for key, value in gm.items():
            if isinstance(value, dict):
                doc.p(f"{key}:")
                doc.code(json.dumps(value, indent=2))
    doc.h("GAN: sample grids")
    grids = [g for g in (best or {}).get("sample_grids", []) if Path(g).is_file()]
    if not grids:
        doc.empty("No sample grids stored for the best trial.")
    for i, g in enumerate(grids[-2:]):
        path = _copy(g, img, f"samples_{i}.png")
        if path:
            doc.image(path, f"Samples from fixed noise: {Path(g).name}")
    doc.h("GAN: loss curves")
    hist_path = Path((best or {}).get("dir", "")) / "gan_history.json"
    hist = json.loads(hist_path.read_text()) if best and hist_path.exists() else []
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


def _classifier(doc: Doc, best: dict | None, cfg: Config, layout: StudyLayout, img: Path) -> None:
    from ganlab.metrics import plot_confusion, plot_roc, plot_training_curves
    from ganlab.study._predictions import read_predictions

    doc.h("ROC curves")
    curves: dict[str, tuple[Any, Any]] = {}
    if best and best.get("predictions") and Path(best["predictions"]).is_file():
        pred = read_predictions(Path(best["predictions"]), name="best")
        curves[f"best trial #{best['trial']}"] = (pred.test.labels, pred.test.probs)
    ens = layout.ensemble / "test_predictions.csv"
    if ens.exists():
        import csv

        with ens.open() as fh:
            cols = list(zip(*csv.reader(fh), strict=False))
        table = {c[0]: c[1:] for c in cols}
        y = [int(v) for v in table.pop("label")]
        table.pop("ids", None)
        for method in (cfg.ensemble.methods if cfg.ensemble else ()):
            if method in table:
                curves[f"ensemble: {method}"] = (y, [float(v) for v in table[method]])
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
    doc.h("Classifier training curves")
    hist_path = Path((best or {}).get("dir", "")) / "classifier_history.json"
    hist = json.loads(hist_path.read_text()) if best and hist_path.exists() else []
    if not hist:
        doc.empty("No classifier training history stored for the best trial.")
        return
    path = plot_training_curves(hist, img / "classifier_curves.png",
                                monitor=cfg.classifier.monitor)
    doc.image(path, "Classifier loss and validation metric per epoch (best trial)")
