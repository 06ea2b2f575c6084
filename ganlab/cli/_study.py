"""`ganlab study` commands: run, ablate, report, list, show, repair, dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ganlab.cli._app import console, make_app
from ganlab.cli._options import SetOption, load_study

app = make_app("Run Optuna studies over the pipeline; ablations, baselines, ensembles, reports.")

StudyFile = Annotated[Path, typer.Argument(help="Study file, e.g. studies/quickstart.toml.")]
StudyName = Annotated[str, typer.Argument(help="Study name (its folder under --output).")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Folder holding the studies.")]
StorageOpt = Annotated[
    str | None,
    typer.Option("--storage", help="Optuna storage URL, e.g. postgresql://user@host/db "
                 "(default: the study file's, else runs/<study>/optuna.journal)."),
]
DeviceOpt = Annotated[
    str | None, typer.Option("--device", help="auto, cpu or cuda (default: the file's).")
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Apply the file's profiles.<name> overrides.")
]


class _Progress:
    """Rich progress for trials, epochs and ablation/baseline runs."""

    def __init__(self, progress: Any, total: int) -> None:
        self.p = progress
        self.trials = progress.add_task("trials", total=total)
        self.runs: Any = None

    def __call__(self, ev: dict[str, Any]) -> None:
        kind = ev["event"]
        if kind == "trial_start":
            self.p.update(self.trials, description=f"trial {ev['trial']}")
        elif kind == "epoch":
            who = f"trial {ev['trial']}" if "trial" in ev else f"{ev['label']} seed {ev['seed']}"
            shown = {k: v for k, v in ev["metrics"].items() if isinstance(v, float)}
            text = " ".join(f"{k}={v:.3g}" for k, v in list(shown.items())[:3])
            task = self.trials if "trial" in ev else self.runs
            if task is not None:
                desc = f"{who} · {ev['phase']} epoch {ev['epoch']} {text}"
                self.p.update(task, description=desc)
        elif kind == "trial_end":
            state = ev["state"]
            extra = ev.get("reason") or ev.get("values") or ""
            self.p.console.print(f"trial {ev['trial']}: [bold]{state}[/] {extra}",
                                 highlight=False)
            if state != "FAIL":
                self.p.advance(self.trials)
        elif kind == "poll":
            done = sum(t.state.name in ("COMPLETE", "PRUNED") for t in ev["trials"])
            self.p.update(self.trials, completed=done, description="trials (all workers)")
        elif kind in ("run_start", "run_cached", "run_end"):
            if self.runs is None:
                self.runs = self.p.add_task("runs", total=None)
            label = f"{ev['label']} seed {ev['seed']}"
            if kind == "run_start":
                self.p.update(self.runs, description=label)
            else:
                state = "cached" if kind == "run_cached" else ev["state"]
                self.p.console.print(f"{label}: {state} {ev.get('reason', '')}",
                                     highlight=False)
                self.p.advance(self.runs)


@app.command("run")
def run(
    study_file: StudyFile,
    n_trials: Annotated[int | None, typer.Option(help="Finished trials wanted.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop starting after S s.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 1,
    storage: StorageOpt = None,
    device: DeviceOpt = None,
    profile: ProfileOpt = None,
    trials_only: Annotated[
        bool,
        typer.Option(
            "--trials-only",
            help="Run only the Optuna trials (extra workers of a shared study); skip the "
            "baselines, ablation and ensemble stages.",
        ),
    ] = False,
    gpus: Annotated[
        str | None,
        typer.Option("--gpus", help="GPU ids for the workers, e.g. 0,1: worker i runs on GPU "
                     "i mod N only (default: every visible GPU)."),
    ] = None,
    sets: SetOption = None,
) -> None:
    """Run or resume a study: its trials, then its baselines, ablation and ensemble."""
    import optuna
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ganlab.cli._gan import say_inception_notice
    from ganlab.study import check_run_options, needs_gan, parse_gpus, run_study

    cfg = load_study(study_file, profile=profile, sets=sets)
    check_run_options(cfg, jobs=jobs, storage=storage, device=device)  # and check_study
    if needs_gan(cfg):
        say_inception_notice(cfg.gan.fid)  # once per run, not once per trial
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    total = n_trials if n_trials is not None else cfg.study.n_trials
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        summary = run_study(cfg, n_trials=n_trials, timeout=timeout, jobs=jobs, storage=storage,
                            device=device, on_event=_Progress(progress, total),
                            trials_only=trials_only, gpus=parse_gpus(gpus))
    opt = summary.optimize
    console.print(f"study [bold]{opt.study_name}[/]: {opt.n_finished} finished trials "
                  f"({opt.n_started} started now); stages: {', '.join(summary.stages)}")
    if opt.failed_dead:
        console.print(f"marked failed (worker died): trials {opt.failed_dead}")
    if opt.best:
        console.print(f"best trial #{opt.best['number']}: {opt.best['values']} "
                      f"{opt.best['config_values']}")
    console.print(f"next: ganlab study report {opt.study_name} --output {cfg.study.output}")


@app.command("ablate")
def ablate(
    study_file: StudyFile,
    device: DeviceOpt = None,
    profile: ProfileOpt = None,
    sets: SetOption = None,
) -> None:
    """Run (or resume) only the ablation of a study file and print its tables."""
    from ganlab.device import resolve_device
    from ganlab.study import format_mean_ci, run_ablation

    cfg = load_study(study_file, profile=profile, sets=sets)
    res = run_ablation(cfg, device=resolve_device(device or cfg.study.device),
                       on_event=lambda ev: console.print(
                           f"{ev['label']} seed {ev['seed']}: {ev['event']}", highlight=False)
                       if ev["event"] != "epoch" else None)
    table = Table(title=f"ablation of {cfg.study.name} (test, mean ± 95% CI)")
    for col in ("cell", "seeds", *res["metrics"]):
        table.add_column(col)
    for row in res["rows"]:
        table.add_row(row["label"], str(row["n_seeds"]),
                      *(format_mean_ci(row["metrics"][m]) for m in res["metrics"]))
    console.print(table)


@app.command("report")
def report(
    name: StudyName,
    output: OutputOpt = Path("runs"),
    storage: StorageOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Report folder (default: runs/<NAME>/report); the study "
                     "folder itself may then be read-only."),
    ] = None,
) -> None:
    """Write runs/<NAME>/report/index.html and report.md from stored results."""
    from ganlab.study import write_report

    path = write_report(name, output=output, storage=storage, out=out)
    console.print(f"report: {path} (and {path.with_name('report.md')})")


@app.command("list")
def list_cmd(output: OutputOpt = Path("runs")) -> None:
    """List the studies under --output with their trial counts and best values."""
    from ganlab.study import list_studies

    table = Table(title=f"studies in {output}/")
    for col in ("name", "complete", "pruned", "failed", "running", "best", "storage"):
        table.add_column(col)
    for s in list_studies(output):
        table.add_row(s.name, str(s.n_complete), str(s.n_pruned), str(s.n_fail),
                      str(s.n_running), s.best, s.storage)
    console.print(table)


@app.command("show")
def show(name: StudyName, output: OutputOpt = Path("runs"), storage: StorageOpt = None) -> None:
    """Show every trial of a study: state, values, sampled parameters, failure reasons."""
    from ganlab.study import fmt_value, open_study, trial_rows

    study = open_study(name, output=output, storage=storage)
    table = Table(title=f"study {name}: " + ", ".join(d.name.lower() for d in study.directions))
    for col in ("#", "state", "value(s)", "sampled values", "s", "note"):
        table.add_column(col, overflow="fold")
    for r in trial_rows(study):
        table.add_row(str(r["number"]), r["state"], fmt_value(r["values"]),
                      "; ".join(f"{k}={fmt_value(v)}" for k, v in r["params"].items()),
                      fmt_value(r["seconds"]), r["reason"])
    console.print(table)


@app.command("repair")
def repair(name: StudyName, output: OutputOpt = Path("runs")) -> None:
    """Rebuild a study's journal file from its intact records (after a corrupt line)."""
    from ganlab.study import repair_study

    res = repair_study(name, output=output)
    console.print(f"repaired {res['journal']}: kept {res['kept']} records, dropped "
                  f"{len(res['dropped'])} corrupt line(s) at byte(s) {res['dropped']}, "
                  f"{res['placeholders']} lost trial creation(s) replaced; the original is "
                  f"in {res['backup']}", highlight=False)


@app.command("dashboard")
def dashboard(
    name: StudyName,
    output: OutputOpt = Path("runs"),
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    storage: StorageOpt = None,
) -> None:
    """Serve optuna-dashboard for a study (with its trial artifacts) until Ctrl-C."""
    from ganlab.study import serve_dashboard

    console.print(f"optuna-dashboard for {name}: http://{host}:{port}/ (Ctrl-C stops)")
    serve_dashboard(name, output=output, host=host, port=port, storage=storage)
