"""Wall time of a whole study with ``--jobs 1`` and ``--jobs 2``, and whether they agree.

Runs ``ganlab study run STUDY --jobs 1`` and ``--jobs 2`` one after the other, each into a
fresh output folder (the synthetic images and their preprocessing prepared once beforehand, so
neither run pays for them), prints both wall times and their ratio, then compares every
``metrics.json`` (trials, baseline and ablation runs) and ``results.json`` of the two.

Trials are compared where both runs sampled the same parameters and neither pruned them: a
sampler or a pruner that learns from finished trials (TPE after its start-up trials, the median
pruner) decides differently when trials run side by side. Files that differ only in their wall
times count as equal. With ``--threads 1`` both runs use one torch thread per process, and every
comparable file must be equal; by default ``--jobs 1`` uses every core and each of J workers
``cores // J`` threads, and CPU sums may round differently.

    python benchmarks/bench_study_jobs.py                       # studies/quickstart.toml
    python benchmarks/bench_study_jobs.py --study studies/quickstart.toml --jobs 1 2
    python benchmarks/bench_study_jobs.py --threads 1        # equal threads: equal metrics
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_study(study: Path, out: Path, jobs: int, sets: list[str], threads: int | None) -> float:
    """``study run`` into ``out`` with ``jobs`` workers; its wall time in seconds."""
    args = [sys.executable, "-m", "ganlab", "study", "run", str(study), "--jobs", str(jobs),
            "--log-format", "plain", "--set", f"study.output=\"{out}\""]
    for s in sets:
        args += ["--set", s]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    start = time.perf_counter()
    with (out.parent / f"jobs-{jobs}.log").open("w") as log:
        proc = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"--jobs {jobs} failed (exit {proc.returncode}); see {log.name}")
    return seconds


def prepare(study: Path, sets: list[str], work: Path) -> None:
    """Generate the study's synthetic images once (shared by both runs, not timed)."""
    from ganlab.cli._options import load_study
    from ganlab.data import prepare_data

    cfg = load_study(study, profile=None, sets=sets)
    prepare_data(cfg.data, base_dir=Path(cfg.base_dir), work_dir=work)


def results(root: Path) -> dict[str, dict]:
    """Every metrics.json / results.json of a study folder by relative path, wall times and
    the folder's own path removed."""
    out = {}
    for path in sorted([*root.rglob("metrics.json"), *root.rglob("results.json")]):
        rel = str(path.relative_to(root))
        if "/metrics/" in rel or "/classifier/" in rel:
            continue
        text = path.read_text().replace(str(root.resolve()), "<root>")
        out[rel] = _untimed(json.loads(text))
    return out


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not str(k).endswith("seconds")}
    return value


def _params(root: Path, rel: str) -> dict | None:
    """The sampled values of the trial that ``rel`` belongs to (None: not a trial)."""
    if not rel.startswith("trials/"):
        return None
    cfg = json.loads((root / Path(rel).parent / "config.json").read_text())
    cfg.pop("study", None)  # its output folder differs
    return cfg


def _largest(a, b) -> float:
    """The largest absolute difference between the numbers of two JSON values."""
    if isinstance(a, dict) and isinstance(b, dict):
        return max([_largest(a[k], b[k]) for k in a.keys() & b.keys()], default=0.0)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max([_largest(x, y) for x, y in zip(a, b, strict=True)], default=0.0)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == a and b == b:
        return abs(float(a) - float(b))
    return 0.0


def compare(a_root: Path, b_root: Path) -> tuple[list[str], list[str], list[str]]:
    """(equal, different, not comparable) files. Not comparable: trials that sampled other
    parameters or were pruned in one run only (the sampler and the pruner learn from the trials
    finished so far, which differ when trials run side by side), and the ensembles of such
    trials."""
    a, b = results(a_root), results(b_root)
    equal, differ, other = [], [], []
    trials_first = sorted(a.keys() | b.keys(), key=lambda rel: not rel.startswith("trials/"))
    for rel in trials_first:
        if rel.startswith("trials/") and (rel not in a or rel not in b):
            other.append(f"{rel} (pruned in one run)")
        elif rel not in a or rel not in b:
            differ.append(f"{rel} (only in one run)")
        elif _params(a_root, rel) != _params(b_root, rel):
            other.append(f"{rel} (other parameters)")
        elif rel.startswith("ensemble/") and other:
            other.append(f"{rel} (members differ)")
        elif a[rel] == b[rel]:
            equal.append(rel)
        else:
            differ.append(f"{rel} (largest difference {_largest(a[rel], b[rel]):.3g})")
    return equal, differ, other


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", type=Path, default=ROOT / "studies" / "quickstart.toml")
    ap.add_argument("--jobs", type=int, nargs=2, default=(1, 2))
    ap.add_argument("--threads", type=int, default=None,
                    help="OMP_NUM_THREADS of both runs (default: unset; --jobs 1 then uses "
                    "every core and each of J workers cores // J threads, so CPU sums may "
                    "round differently; --threads 1 gives both the same threads)")
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    help="extra --set overrides for both runs")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-study-jobs-"))
    prepare(args.study, args.sets, tmp / "warm-up")
    load = os.getloadavg()
    times = {}
    for jobs in args.jobs:
        out = tmp / f"jobs-{jobs}"
        out.mkdir()
        times[jobs] = run_study(args.study, out, jobs, args.sets, args.threads)
        print(f"--jobs {jobs}: {times[jobs]:.1f} s wall", flush=True)
    a_jobs, b_jobs = args.jobs
    study_dir = next((tmp / f"jobs-{a_jobs}").glob("*/study.json")).parent.name
    equal, differ, other = compare(tmp / f"jobs-{a_jobs}" / study_dir,
                                   tmp / f"jobs-{b_jobs}" / study_dir)
    print(f"ratio --jobs {b_jobs} / --jobs {a_jobs}: {times[b_jobs] / times[a_jobs]:.3f} "
          f"(load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; after: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores)")
    print(f"results: {len(equal)} files equal, {len(differ)} differ"
          + (f" ({', '.join(differ)})" if differ else "")
          + (f", {len(other)} not comparable ({', '.join(other)})" if other else ""))
    print(f"logs and outputs: {tmp}")
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
