"""Summarise `ganlab classify train` runs into docs/results.md's classification table.

Reads ``<RUNS>/<model>-seed<N>/{metrics.json,predictions.csv}``, prints per model the test
metrics as mean ± sd over seeds (with the seeds' values), the training wall time, and the
ensembles: for every subset of models, all their seeds combined by soft and weighted voting
(``ganlab.study.combine``). The ensemble reported as best is chosen on VALIDATION ROC-AUC only;
its test metrics carry 95% bootstrap CIs.

Usage (from the repository root)::

    python docs/gen_classifier_table.py runs/cpu-best
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
from pathlib import Path

import numpy as np

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def _runs(root: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for run in sorted(root.iterdir()):
        m = re.fullmatch(r"(.+)-seed(\d+)", run.name)
        if m and (run / "metrics.json").is_file():
            out.setdefault(m.group(1), []).append(run)
    return out


def _fmt(values: list[float], digits: int = 3) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def model_rows(runs: dict[str, list[Path]]) -> None:
    print("| model | seeds | " + " | ".join(METRICS) + " | best epoch | minutes per model |")
    print("|---" * (len(METRICS) + 4) + "|")
    for model, dirs in runs.items():
        ms = [json.loads((d / "metrics.json").read_text()) for d in dirs]
        cells = [_fmt([m["test"][k]["value"] for m in ms]) for k in METRICS]
        epochs = ", ".join(f"{m['protocol']['best_epoch']}/{m['protocol']['epochs_run']}"
                           for m in ms)
        minutes = _fmt([m["protocol"]["train_seconds"] / 60 for m in ms], 1)
        print(f"| {model} | {len(ms)} | " + " | ".join(cells) + f" | {epochs} | {minutes} |")
    print()
    for dirs in runs.values():
        for d in dirs:
            m = json.loads((d / "metrics.json").read_text())
            print(f"  {d.name}: test roc_auc {m['test']['roc_auc']['value']:.4f} accuracy "
                  f"{m['test']['accuracy']['value']:.4f}; val roc_auc "
                  f"{m['val']['roc_auc']['value']:.4f}; {m['protocol']['train_seconds']:.0f} s")


def ensembles(runs: dict[str, list[Path]], n_boot: int) -> None:
    from ganlab.metrics import metrics_with_ci, youden_threshold
    from ganlab.study import combine
    from ganlab.study.experiments._predictions import check_aligned, read_predictions

    preds = {model: [read_predictions(d / "predictions.csv", name=d.name) for d in dirs]
             for model, dirs in runs.items()}
    check_aligned([p for ps in preds.values() for p in ps])
    results = []
    for k in range(1, len(preds) + 1):
        for subset in itertools.combinations(preds, k):
            members = [p for model in subset for p in preds[model]]
            if len(members) < 2:
                continue
            y_val, y_test = members[0].val.labels, members[0].test.labels
            val = np.stack([m.val.probs for m in members])
            test = np.stack([m.test.probs for m in members])
            for method in ("soft", "weighted"):
                p_val, p_test, _ = combine(method, val, y_val, test, seed=0)
                thr = youden_threshold(y_val, p_val)
                val_auc = metrics_with_ci(y_val, p_val, threshold=thr, n_boot=0)["roc_auc"]
                results.append((val_auc["value"], "+".join(subset), method, len(members),
                                y_test, p_test, thr))
    results.sort(key=lambda r: -r[0])
    print("\nensembles (all seeds of the models named), sorted by validation ROC-AUC:")
    for val_auc, name, method, n, y_test, p_test, thr in results:
        test = metrics_with_ci(y_test, p_test, threshold=thr, n_boot=0)
        print(f"  {name} ({method}, {n} runs): val roc_auc {val_auc:.4f}; test roc_auc "
              f"{test['roc_auc']['value']:.4f} accuracy {test['accuracy']['value']:.4f}")
    val_auc, name, method, n, y_test, p_test, thr = results[0]
    test = metrics_with_ci(y_test, p_test, threshold=thr, n_boot=n_boot, seed=0)
    cells = [f"{test[k]['value']:.3f} [{test[k]['ci_low']:.3f}, {test[k]['ci_high']:.3f}]"
             for k in METRICS]
    print(f"\nbest on validation: | ensemble: {method} vote, {name} ({n} runs) | "
          + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="folder of <model>-seed<N> run folders")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    runs = _runs(args.runs)
    model_rows(runs)
    ensembles(runs, args.bootstrap)


if __name__ == "__main__":
    main()
