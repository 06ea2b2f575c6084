"""Paired comparison of classifier runs on the same test images: Δ ROC-AUC and Δ accuracy.

Each RUN is a folder that ``ganlab classify train`` wrote (``predictions.csv`` and
``metrics.json``); its decision threshold is the one in its ``metrics.json`` (chosen on
validation). Pairs are ``A:B`` (A minus B); several pairs are averaged as seeds, as the
ablation tables do (``ganlab.metrics.seed_paired_bootstrap``: one resample of the test images
per replicate, the difference averaged over the pairs).

    python benchmarks/paired_delta.py runs/s0/refit:runs/s0          # refit minus single model
    python benchmarks/paired_delta.py runs/a0:runs/b0 runs/a1:runs/b1  # two seeds
    python benchmarks/paired_delta.py runs/folds5:runs/s0            # fold ensemble minus single
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganlab.errors import GanlabError
from ganlab.metrics import seed_paired_bootstrap
from ganlab.study.experiments._predictions import check_aligned, read_predictions


def load(run: Path):
    """A run's predictions with its validation-chosen threshold."""
    threshold = json.loads((run / "metrics.json").read_text())["threshold"]["value"]
    return read_predictions(run / "predictions.csv", name=str(run), threshold=threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="+", help="A:B run folders (A minus B)")
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    try:
        pairs = [tuple(load(Path(p)) for p in pair.split(":", 1)) for pair in args.pairs]
        # the test images must be the same; validation may differ (a fold ensemble's is
        # out-of-fold), and only the threshold comes from it
        check_aligned([r for pair in pairs for r in pair], splits=("test",))
    except (GanlabError, OSError, KeyError) as exc:
        raise SystemExit(f"paired_delta: {exc}") from None
    y = pairs[0][1].test.labels
    for metric in ("roc_auc", "accuracy"):
        d = seed_paired_bootstrap(y, [(a.test.probs, a.threshold) for a, _ in pairs],
                                  [(b.test.probs, b.threshold) for _, b in pairs], metric,
                                  n_boot=args.n_boot)
        print(f"Δ {metric}: {d['diff']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}] "
              f"p = {d['p_value']:.3f} (n = {len(y)} test images, {len(pairs)} pair(s))")


if __name__ == "__main__":
    main()
