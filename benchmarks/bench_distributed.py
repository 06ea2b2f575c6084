"""Load test of one PostgreSQL study shared by N worker processes of ``ganlab study run``.

Run from the repository root, with PostgreSQL on 127.0.0.1:5432 (database ``test``)::

    python benchmarks/bench_distributed.py                     # N = 1, 2, 4, 8, then the kills
    python benchmarks/bench_distributed.py --workers 1 2 --no-faults  # a quick look

For each N it writes a tiny study (16 px synthetic images, a 3-layer CNN of width 8, 1 epoch:
trials of a few seconds that are mostly fixed costs) with ``--trials-per-worker * N`` trials
(200 at N = 8), starts N processes of ``ganlab study run STUDY --storage URL --trials-only``
(each with ``OMP_NUM_THREADS=1``, in its own process group) on a fresh study name, and reports:

- trials per minute (finished trials over the span from the first trial's start to the last
  one's end, from the database) and its ratio to N = 1;
- the seconds spent in storage calls: each worker runs the real CLI with every public method of
  :class:`optuna.storages.RDBStorage` wrapped by a timer (outermost calls only), split into the
  worker's main thread (the trial loop waits for these) and other threads (the heartbeat);
- the peak number of PostgreSQL connections of the workers (``pg_stat_activity`` rows with the
  run's ``application_name``, set through libpq's ``PGAPPNAME``, polled every 0.1 s);
- lost and duplicated trials: trials by state, RUNNING or WAITING trials left, finished trials
  without ``metrics.json``, parameter sets drawn twice (a retry shares its failed trial's set on
  purpose and is not counted).

Then the faults run (``--faults``, default on): N = 8 with ``study.heartbeat_seconds = 2``; 3
workers are SIGKILLed at random moments (when the study reaches random counts of finished
trials, each one while it runs a trial) and one is SIGSTOPped mid-trial and SIGKILLed once its
trial was failed (or after 60 s). Every trial must end COMPLETE, or FAIL with a retry of its
parameters, and none RUNNING or WAITING.

On a 2-core machine, N > 2 workers contend for the CPU: trials per minute cannot grow past
about 2x; the test is of the storage (correctness, connections, time in storage calls).
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import functools
import inspect
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

STUDY = """
[study]
name = "{name}"
output = "{output}"
n_trials = {n_trials}
device = "cpu"
seed = 0
sampler = {{name = "tpe"}}
pruner = {{name = "none"}}
heartbeat_seconds = {heartbeat}

[data]
root = "{data}"
synth = {{n = 60, image_size = 20, seed = 0}}
image_size = 16
filters = [{{name = "resize", size = 16}}]
workers = 1

[gan]
enabled = false

[classifier]
model = {{name = "compact_cnn", width = 8, depth = 3}}
epochs = 1
patience = 0
batch_size = 32
bootstrap = 20

[search]
"classifier.optimizer.lr" = {{type = "float", low = 1e-4, high = 1e-2, log = true}}
"classifier.optimizer.weight_decay" = {{type = "float", low = 1e-6, high = 1e-2, log = true}}
"""


# ---- inside a worker: the real CLI with timed storage calls ----------------------------------

def _instrument(stats_path: Path) -> None:
    """Wrap every public RDBStorage method with a timer; write the totals at exit."""
    from optuna.storages import RDBStorage

    totals: dict[str, list[float]] = {}  # "main:method" -> [seconds, calls]
    local = threading.local()
    lock = threading.Lock()
    main_thread = threading.main_thread()
    started = time.perf_counter()

    def timed(name: str, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            depth = getattr(local, "depth", 0)
            local.depth = depth + 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                local.depth = depth
                if depth == 0:  # an outermost call: nested storage calls are inside it
                    where = "main" if threading.current_thread() is main_thread else "other"
                    with lock:
                        entry = totals.setdefault(f"{where}:{name}", [0.0, 0])
                        entry[0] += time.perf_counter() - t0
                        entry[1] += 1
        return wrapper

    for name, fn in list(vars(RDBStorage).items()):
        if inspect.isfunction(fn) and (not name.startswith("_") or name == "_get_stale_trial_ids"):
            setattr(RDBStorage, name, timed(name, fn))

    def dump() -> None:
        with lock:
            stats = {"wall_s": time.perf_counter() - started, "calls": totals}
        stats_path.write_text(json.dumps(stats))

    atexit.register(dump)


def _worker_main(stats_path: str, cli_args: list[str]) -> None:
    _instrument(Path(stats_path))
    sys.argv = ["ganlab", *cli_args]
    from ganlab.cli import main

    main()


# ---- the orchestrator ------------------------------------------------------------------------

def _storage_url() -> str:
    from ganlab.study.storage._storage import database_url

    return database_url(PG_URL)


class ConnectionPoller(threading.Thread):
    """Polls ``pg_stat_activity`` for the connections of one application name."""

    def __init__(self, app: str) -> None:
        super().__init__(daemon=True)
        self.app, self.peak, self.peak_db = app, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="test")
        conn.autocommit = True
        with conn.cursor() as cur:
            while not self._halt.wait(0.1):
                cur.execute("SELECT count(*) FILTER (WHERE application_name = %s), count(*) "
                            "FROM pg_stat_activity WHERE datname = 'test'", (self.app,))
                mine, all_db = cur.fetchone()
                self.peak, self.peak_db = max(self.peak, mine), max(self.peak_db, all_db)
        conn.close()

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _start_worker(study_file: Path, work: Path, app: str, i: int) -> tuple[subprocess.Popen, Path]:
    stats = work / f"worker-{i}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PGAPPNAME": app, "HF_HUB_OFFLINE": "1",
           "MPLBACKEND": "Agg"}
    log = (work / f"worker-{i}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(stats), "--", "study", "run", str(study_file),
         "--storage", PG_URL, "--trials-only", "--log-format", "plain"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, stats


def _trials(name: str) -> list[Any]:
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=_storage_url()).get_trials()
    except KeyError:
        return []


def _check_trials(name: str, n_trials: int, output: Path) -> dict[str, Any]:
    """Trials by state, and what was lost or duplicated."""
    from optuna.trial import TrialState

    trials = _trials(name)
    states = Counter(t.state.name for t in trials)
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    failed_not_retried = [t.number for t in trials
                          if t.state == TrialState.FAIL and t.number not in retried]
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    no_metrics = [t.number for t in finished
                  if not (output / name / "trials" / f"{t.number:04d}" / "metrics.json").is_file()]
    originals = [t for t in trials if not t.system_attrs.get("retry_history")]
    params = Counter(tuple(sorted(t.params.items())) for t in originals if t.params)
    numbers = sorted(t.number for t in trials)
    starts = [t.datetime_start for t in finished]
    ends = [t.datetime_complete for t in finished]
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in finished]
    span = (max(ends) - min(starts)).total_seconds() if finished else float("nan")
    return {
        "trials": len(trials), "states": dict(states), "complete": len(finished),
        "short_by": max(0, n_trials - len(finished)),
        "left_running_or_waiting": states.get("RUNNING", 0) + states.get("WAITING", 0),
        "failed_not_retried": failed_not_retried,
        "complete_without_metrics": no_metrics,
        "duplicated_param_sets": sum(c - 1 for c in params.values() if c > 1),
        "numbers_contiguous": numbers == list(range(len(numbers))),
        "span_s": span, "trials_per_min": 60 * len(finished) / span if finished else 0.0,
        "trial_s_mean": sum(durations) / len(durations) if durations else float("nan"),
        "trial_s_total": sum(durations),
    }


def _storage_seconds(stats_files: list[Path]) -> dict[str, Any]:
    """Storage seconds (main thread, other threads) and worker seconds over the workers that
    exited normally (a killed worker writes no totals)."""
    main_s = other_s = wall_s = 0.0
    calls: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    reported = 0
    for path in stats_files:
        if not path.is_file():
            continue
        stats = json.loads(path.read_text())
        reported += 1
        wall_s += stats["wall_s"]
        for key, (seconds, n) in stats["calls"].items():
            where, method = key.split(":", 1)
            if where == "main":
                main_s += seconds
                by_method[method] += seconds
            else:
                other_s += seconds
            calls[where] += n
    top = {m: round(s, 2) for m, s in by_method.most_common(5)}
    return {"workers_reporting": reported, "storage_main_s": main_s, "storage_other_s": other_s,
            "worker_wall_s": wall_s, "calls": dict(calls), "main_s_by_method": top}


def _run(n: int, n_trials: int, root: Path, data: Path, *, heartbeat: float,
         faults: bool, seed: int) -> dict[str, Any]:
    """One load test: N workers on a fresh study of ``n_trials`` trials."""
    name = f"bench-dist-{n}-{uuid.uuid4().hex[:8]}"
    work = root / name
    work.mkdir(parents=True)
    study_file = work / "study.toml"
    study_file.write_text(STUDY.format(name=name, output=root / "runs", n_trials=n_trials,
                                       heartbeat=heartbeat, data=data))
    app = f"ganlab-bench-{uuid.uuid4().hex[:8]}"
    poller = ConnectionPoller(app)
    poller.start()
    t0 = time.time()
    workers = [_start_worker(study_file, work, app, i) for i in range(n)]
    events: list[str] = []
    try:
        if faults:
            _inject_faults(name, n_trials, [p for p, _ in workers], heartbeat, events, seed)
        for proc, _ in workers:
            proc.wait(timeout=1800)
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        poller.stop()
    result = {"workers": n, "n_trials": n_trials, "heartbeat_s": heartbeat, "faults": events,
              "wall_s": time.time() - t0, "exit_codes": [p.returncode for p, _ in workers],
              "peak_connections": poller.peak, "peak_connections_db_all": poller.peak_db,
              **_check_trials(name, n_trials, root / "runs"),
              **_storage_seconds([s for _, s in workers])}
    _drop(name)
    return result


def _progress(name: str, pid: int) -> tuple[int, list[int]]:
    """(finished trials of the study, numbers of the trials RUNNING in worker ``pid``)."""
    trials = _trials(name)
    return (sum(t.state.name == "COMPLETE" for t in trials),
            [t.number for t in trials
             if t.state.name == "RUNNING" and t.user_attrs.get("ganlab:pid") == pid])


def _inject_faults(name: str, n_trials: int, procs: list[subprocess.Popen], heartbeat: float,
                   events: list[str], seed: int) -> None:
    """SIGKILL 3 workers and SIGSTOP (then SIGKILL) 1, each mid-trial, at random progress."""
    rng = random.Random(seed)
    plan = sorted((rng.uniform(0.1, 0.7) * n_trials, how)
                  for how in ("kill", "kill", "kill", "stop"))
    victims = rng.sample(range(len(procs)), len(plan))
    for (at, how), i in zip(plan, victims, strict=True):
        proc = procs[i]
        done, owned = _progress(name, proc.pid)
        while (done < at or not owned) and proc.poll() is None:
            time.sleep(0.2)
            done, owned = _progress(name, proc.pid)
        if proc.poll() is not None:
            events.append(f"worker {i} ended before its {how}")
            continue
        trial = owned[0]  # it may end within the next milliseconds: then the kill is between
        os.killpg(proc.pid, signal.SIGKILL if how == "kill" else signal.SIGSTOP)
        events.append(f"{how} worker {i} in trial {trial} at {done} finished")
        if how == "stop":
            threading.Thread(target=_kill_when_failed, daemon=True,
                             args=(name, proc, trial, events)).start()


def _kill_when_failed(name: str, proc: subprocess.Popen, trial: int, events: list[str]) -> None:
    """SIGKILL a stopped worker once its trial was failed by the others (at most 60 s)."""
    t0 = time.time()
    while time.time() - t0 < 60:
        if any(t.number == trial and t.state.name == "FAIL" for t in _trials(name)):
            events.append(f"trial {trial} of the stopped worker failed after "
                          f"{time.time() - t0:.1f} s")
            break
        time.sleep(0.2)
    else:
        events.append(f"trial {trial} of the stopped worker still RUNNING after 60 s")
    os.killpg(proc.pid, signal.SIGKILL)


def _drop(name: str) -> None:
    import optuna

    try:
        optuna.delete_study(study_name=name, storage=_storage_url())
    except KeyError:
        pass


def _context() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    return {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "commit": commit, "host": socket.gethostname(), "cpu": model,
            "cores": os.cpu_count(), "load_before": os.getloadavg()}


def _print_row(r: dict[str, Any], base_tpm: float) -> None:
    per_trial = r["storage_main_s"] / max(1, r["complete"])
    share = r["storage_main_s"] / r["trial_s_total"] if r["trial_s_total"] else float("nan")
    print(f"N={r['workers']:<2} trials={r['complete']:>3}/{r['n_trials']:<3} "
          f"{r['trials_per_min']:6.1f}/min x{r['trials_per_min'] / base_tpm:4.2f}  "
          f"trial {r['trial_s_mean']:5.1f} s  storage {per_trial:5.3f} s/trial "
          f"({100 * share:4.1f}% of trial time)  peak conns {r['peak_connections']} "
          f"({r['peak_connections'] / r['workers']:.2f}/worker)  states {r['states']}  "
          f"dup {r['duplicated_param_sets']}  left {r['left_running_or_waiting']}  "
          f"no-metrics {len(r['complete_without_metrics'])}  exits {r['exit_codes']}",
          flush=True)
    for event in r["faults"]:
        print(f"    {event}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4, 8],
                        help="worker counts of the fault-free runs (none: only the faults)")
    parser.add_argument("--trials-per-worker", type=int, default=25)
    parser.add_argument("--trials", type=int, nargs="+",
                        help="trials of each --workers run (default: N * --trials-per-worker)")
    parser.add_argument("--faults", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fault-workers", type=int, default=8)
    parser.add_argument("--fault-trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault moments")
    parser.add_argument("--out", type=Path, default=Path("runs/benchmarks/bench_distributed.json"))
    args = parser.parse_args()

    context = _context()
    print(json.dumps(context), flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        root = Path(tmp)
        data = root / "synth"
        trials = args.trials or [n * args.trials_per_worker for n in args.workers]
        for n, n_trials in zip(args.workers, trials, strict=True):
            results.append(_run(n, n_trials, root, data, heartbeat=10.0, faults=False,
                                seed=args.seed))
            _print_row(results[-1], results[0]["trials_per_min"])
            _write(args.out, context, results)
        if args.faults:
            n = args.fault_workers
            results.append(_run(n, args.fault_trials, root, data, heartbeat=2.0, faults=True,
                                seed=args.seed))
            _print_row(results[-1], results[0]["trials_per_min"])
    _write(args.out, context, results)
    print(f"wrote {args.out}")


def _write(out: Path, context: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Write the results so far (a later run that fails keeps the earlier ones)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    context = {**context, "load_after": os.getloadavg()}
    out.write_text(json.dumps({"context": context, "results": results}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        _worker_main(sys.argv[2], sys.argv[4:])  # --worker STATS -- CLI ARGS
    else:
        main()
