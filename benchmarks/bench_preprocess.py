"""Throughput of the paper's preprocessing chain: cold vs warm cache, all cores vs one.

Run from the repository root::

    python benchmarks/bench_preprocess.py --root ../shared/data/isic-benign-malignant/train

Chain: bilateral (d 9, sigma 75/75) -> gamma 1.5 -> resize 64 (area). Cold runs start from an
empty cache folder (hashing, decoding, validation, pHash, filters, cache write); warm runs read
the cache. Runs are interleaved so machine noise hits every mode alike; medians are reported, and
the ratios of medians are the result (absolute speeds vary +-20% on shared machines).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ganlab.config import PluginRef
from ganlab.data import list_folder, scan_sources
from ganlab.data._preprocess import resolve_workers
from ganlab.io import atomic_write_json

CHAIN = (PluginRef("bilateral", {"d": 9, "sigma_color": 75.0, "sigma_space": 75.0}),
         PluginRef("gamma", {"gamma": 1.5}))
TARGETS = {"warm_over_cold": 50.0, "all_cores_over_one": 1.7}


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(sources, *, workers: int, cache: Path, size: int) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds of this process and its pool, cache hit)."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    scan = scan_sources(sources, filters=CHAIN, image_size=size, workers=workers, cache_dir=cache)
    return time.perf_counter() - start, _cpu_seconds() - cpu, scan.cache_hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="class-per-folder image set")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="cold runs per mode")
    parser.add_argument("--warm-repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("runs/benchmarks/bench_preprocess.json"))
    args = parser.parse_args()

    sources = list_folder(args.root)
    n = len(sources.sources)
    cores = resolve_workers(0)
    times: dict[str, list[float]] = {"cold_all": [], "cold_one": [], "warm_all": []}
    cpu: dict[str, list[float]] = {"cold_all": [], "cold_one": []}
    scratch = Path(tempfile.mkdtemp(prefix="bench-preprocess-"))
    try:
        for r in range(args.repeats):
            for mode, workers in (("cold_all", 0), ("cold_one", 1)):
                cache = scratch / f"{mode}-{r}"
                seconds, cpu_s, hit = _timed(sources, workers=workers, cache=cache,
                                             size=args.image_size)
                cpu[mode].append(cpu_s)
                if hit:
                    raise SystemExit("a cold run hit the cache; the benchmark is invalid")
                times[mode].append(seconds)
                print(f"  {mode:9s} run {r + 1}: {seconds:7.3f} s wall, {cpu_s:7.3f} s CPU",
                      flush=True)
        warm_cache = scratch / "cold_all-0"
        for _ in range(args.warm_repeats):
            seconds, _, hit = _timed(sources, workers=0, cache=warm_cache, size=args.image_size)
            if not hit:
                raise SystemExit("a warm run missed the cache; the benchmark is invalid")
            times["warm_all"].append(seconds)
        print(f"  warm_all  runs: {', '.join(f'{t:.4f}' for t in times['warm_all'])} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    load = os.getloadavg()
    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = {"warm_over_cold": med["cold_all"] / med["warm_all"],
              "all_cores_over_one": med["cold_one"] / med["cold_all"]}
    print(f"\n{n:,} images from {args.root}, chain bilateral(9,75,75) -> gamma 1.5 -> "
          f"resize {args.image_size}, {cores} cores, load average {load[0]:.1f}")
    if load[0] > cores:
        print(f"warning: load average {load[0]:.1f} > {cores} cores; other processes share the "
              "CPU, so the all-cores ratio understates what the pool gives on an idle machine")
    print(f"{'mode':<28}{'median s':>10}{'img/s':>12}")
    labels = {"cold_all": f"cold cache, {cores} processes", "cold_one": "cold cache, 1 process",
              "warm_all": "warm cache"}
    for key, label in labels.items():
        print(f"{label:<28}{med[key]:>10.3f}{n / med[key]:>12,.0f}")
    for key, value in ratios.items():
        verdict = "meets" if value >= TARGETS[key] else "BELOW"
        print(f"{key:<28}{value:>10.1f}x  ({verdict} target {TARGETS[key]}x)")
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"CPU seconds per cold build: {cores} processes {cpu_med['cold_all']:.2f}, "
          f"1 process {cpu_med['cold_one']:.2f} (pool overhead "
          f"{cpu_med['cold_all'] / cpu_med['cold_one'] - 1:+.1%})")
    result = {"root": str(args.root), "images": n, "image_size": args.image_size, "cores": cores,
              "load_average": load, "chain": [r.as_dict() for r in CHAIN], "seconds": times,
              "cpu_seconds": cpu, "median_s": med,
              "images_per_s": {k: n / v for k, v in med.items()}, "ratios": ratios,
              "targets": TARGETS}
    atomic_write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
