"""`ganlab study` commands: run, ablate, export, import, report, list, show, repair,
dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ganlab.cli._app import (
    FormatOpt,
    LogFormat,
    LogFormatOpt,
    OutputFormat,
    console,
    is_plain,
    make_app,
    wants_json,
)
from ganlab.cli._gan import say_inception_notice
from ganlab.cli._modules import lazy
from ganlab.cli._options import SetOption, load_study

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.jobs import RunContext, StudyRunSummary

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


@app.command("run")
def run(
    study_file: StudyFile,
    n_trials: Annotated[int | None, typer.Option(help="Finished trials wanted.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop starting after S s.")] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Worker processes for every stage: trials, shared GANs, "
        "baseline and ablation runs.")] = 1,
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
    log_format: LogFormatOpt = LogFormat.auto,
    gpus: Annotated[
        str | None,
        typer.Option("--gpus", help="GPU ids for the workers, e.g. 0,1: worker i runs on GPU "
                     "i mod N only (default: every visible GPU)."),
    ] = None,
    sets: SetOption = None,
) -> None:
    """Run or resume a study: data preparation, its trials, then its baselines, ablation and
    ensembles."""
    import optuna


    cfg = load_study(study_file, profile=profile, sets=sets)
    ctx = lazy.jobs.RunContext.from_config(  # option errors before any work
        cfg, device=device, jobs=jobs, gpus=lazy.study.parse_gpus(gpus), storage=storage)
    lazy.study.check_study(cfg)
    if lazy.study.needs_gan(cfg):
        say_inception_notice(cfg.gan.fid)  # once per run, not once per trial
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    summary = _run_with_progress(cfg, ctx, log_format, n_trials=n_trials, timeout=timeout,
                                 trials_only=trials_only)
    _print_run_summary(cfg, summary)


def _run_with_progress(cfg: Config, ctx: RunContext, log_format: LogFormat, **kwargs: Any
                       ) -> StudyRunSummary:
    """:func:`ganlab.jobs.run_study` with plain log lines or a live rich display."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )


    if is_plain(log_format, console):
        return lazy.jobs.run_study(cfg, ctx.reporting_to(lazy.progress.PlainLog(console)),
                                   **kwargs)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        return lazy.jobs.run_study(cfg, ctx.reporting_to(lazy.progress.RichProgress(progress)),
                                   **kwargs)


def _print_run_summary(cfg: Config, summary: StudyRunSummary) -> None:
    """Finished trials, stages, the best trial and the next command."""
    opt = summary.optimize
    console.print(f"study [bold]{escape(opt.study_name)}[/]: {opt.n_finished} finished trials "
                  f"({opt.n_started} started now); stages: {', '.join(summary.stages)}",
                  highlight=False, soft_wrap=True)
    if opt.failed_dead:
        console.print(f"marked failed (worker died): trials {opt.failed_dead}")
    if opt.best:
        names = [o.metric for o in cfg.study.objectives]
        values = " ".join(f"{n}={v:.4g}" for n, v in zip(names, opt.best["values"], strict=True))
        sampled = "; ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in opt.best["config_values"].items())
        console.print(escape(f"best trial #{opt.best['number']}: {values} ({sampled})"),
                      highlight=False, soft_wrap=True)
    console.print(f"next: ganlab study report {opt.study_name} --output {cfg.study.output}",
                  highlight=False)


@app.command("ablate")
def ablate(
    study_file: StudyFile,
    device: DeviceOpt = None,
    profile: ProfileOpt = None,
    sets: SetOption = None,
    tables_only: Annotated[bool, typer.Option(
        "--tables-only", help="Print the tables of the finished runs (made here or imported) "
        "and train nothing; the missing (cell, seed) runs are counted.")] = False,
) -> None:
    """Run (or resume) only the ablation of a study file and print its tables."""
    cfg = load_study(study_file, profile=profile, sets=sets)
    if tables_only:
        res = lazy.jobs.ablation_tables(cfg).tables
    else:
        ctx = lazy.jobs.RunContext.from_config(cfg, device=device,
                                               on_event=lazy.progress.PlainLog(console))
        res = lazy.jobs.run_ablation(cfg, ctx).tables  # waits while a `study run` holds its lock
    table = Table(title=f"ablation of {cfg.study.name} (test, mean [95% interval over seeds])")
    for col in ("cell", "seeds", *res["metrics"]):
        table.add_column(col)
    for row in res["rows"]:
        table.add_row(row["label"], str(row["n_seeds"]),
                      *(lazy.study.format_mean_ci(row["metrics"][m]) for m in res["metrics"]))
    console.print(table)
    for extra in (_delta_table(res), _gan_seed_table(res)):
        if extra is not None:
            console.print(extra)
    missing = sum(len(res["seeds"]) - row["n_seeds"] for row in res["rows"])
    if missing:
        console.print(f"[yellow]{missing} of {len(res['seeds']) * len(res['rows'])} (cell, seed) "
                      f"runs are not there yet: `ganlab study ablate {study_file}` trains "
                      "them[/]", highlight=False)


def _fmt_delta(d: dict[str, Any] | None) -> str:
    if not d:
        return "—"
    holm = f", Holm {d['p_holm']:.3f}" if "p_holm" in d else ""
    return (f"{d['diff']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] "
            f"p={d['p_value']:.3f}{holm}")


def _delta_table(res: dict[str, Any]) -> Table | None:
    """Δ ROC-AUC and Δ accuracy vs base: averaged over seeds (Holm within a factor), per seed."""
    rows = [r for r in res["rows"][1:] if r["vs_base"]]
    if not rows:
        return None
    table = Table(title="Δ vs base on the same test images (paired bootstrap, 95% CI; "
                        "p Holm-adjusted within each factor)")
    for col in ("cell", "Δ roc_auc", "Δ accuracy", "Δ roc_auc per seed"):
        table.add_column(col)
    for row in rows:
        per_seed = ", ".join(f"{s}: {d['roc_auc']['diff']:+.3f}"
                             for s, d in row.get("vs_base_per_seed", {}).items())
        table.add_row(row["label"], _fmt_delta(row["vs_base"].get("roc_auc")),
                      _fmt_delta(row["vs_base"].get("accuracy")), per_seed)
    return table


def _gan_seed_table(res: dict[str, Any]) -> Table | None:
    """The GAN figures of each seed (one GAN per seed, shared by the cells that use it)."""
    seen: dict[str, dict[str, float]] = {}
    for row in res["rows"]:
        for seed, figures in row.get("gan_per_seed", {}).items():
            seen.setdefault(seed, figures)
    if not seen:
        return None
    names = sorted({m for figures in seen.values() for m in figures})
    table = Table(title="the GAN of each seed")
    for col in ("seed", *names):
        table.add_column(col)
    for seed, figures in sorted(seen.items(), key=lambda kv: int(kv[0])):
        table.add_row(seed, *(f"{figures[m]:.3f}" if m in figures else "—" for m in names))
    return table


@app.command("export")
def export(
    study_file: StudyFile,
    out: Annotated[Path, typer.Option("--out", help="Bundle to write (.tar.gz).")],
    seeds: Annotated[
        list[int] | None,
        typer.Option("--seed", help="Only this seed's runs (repeatable; default: every seed)."),
    ] = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Include the runs' PNG figures.")
    ] = True,
    profile: ProfileOpt = None,
    sets: SetOption = None,
) -> None:
    """Pack the study's finished ablation and baseline runs into a bundle (result files, no
    checkpoints) that `study import` adds to the same study on another machine."""
    cfg = load_study(study_file, profile=profile, sets=sets)
    res = lazy.jobs.export_results(cfg, out, seeds=seeds, figures=figures)
    console.print(f"exported {len(res.runs)} finished run(s) of {cfg.study.name} to {res.path} "
                  f"({res.size / 1024:.0f} kB)", highlight=False)


@app.command("import")
def import_cmd(
    study_file: StudyFile,
    bundles: Annotated[list[Path], typer.Argument(help="Bundles written by `study export`.")],
    profile: ProfileOpt = None,
    sets: SetOption = None,
) -> None:
    """Add the runs of result bundles that this study lacks, after checking each against the
    study file; `study ablate` then tables them with the runs made here."""
    cfg = load_study(study_file, profile=profile, sets=sets)
    ctx = lazy.jobs.RunContext.from_config(cfg, device="cpu",
                                           on_event=lazy.progress.PlainLog(console))
    res = lazy.jobs.import_results(cfg, bundles, ctx)
    console.print(f"imported {len(res.added)} run(s) into {cfg.study.output}/{cfg.study.name}"
                  f"; {len(res.present)} already here", highlight=False)
    if res.outside:
        console.print(f"[yellow]not in the study file's seeds, so no table reads them: "
                      f"{escape(', '.join(res.outside))}[/]", highlight=False)
    if res.added:
        console.print(f"tables of every seed here (training nothing): ganlab study ablate "
                      f"{study_file} --tables-only", highlight=False)


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
    path = lazy.jobs.report_study(name, output=output, storage=storage, out=out)
    console.print(f"report: {path} (and {path.with_name('report.md')})")


@app.command("list")
def list_cmd(output: OutputOpt = Path("runs"), fmt: FormatOpt = OutputFormat.table) -> None:
    """List the studies under --output with their trial counts and best values."""
    import dataclasses
    import json


    if wants_json(fmt):
        rows = [dataclasses.asdict(s) for s in lazy.study.list_studies(output)]
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=f"studies in {output}/")
    rows = lazy.study.list_studies(output)
    cols = ["name", "complete", "pruned", "failed", "running", "best", "storage"]
    notes = any(s.note for s in rows)
    for col in cols + ["note"] * notes:
        table.add_column(col, overflow="fold")
    for s in rows:
        cells = [s.name, str(s.n_complete), str(s.n_pruned), str(s.n_fail), str(s.n_running),
                 s.best, s.storage] + [s.note] * notes
        table.add_row(*(escape(c) for c in cells))
    console.print(table)


@app.command("show")
def show(name: StudyName, output: OutputOpt = Path("runs"), storage: StorageOpt = None,
         fmt: FormatOpt = OutputFormat.table) -> None:
    """Show every trial of a study: state, values, sampled parameters, failure reasons."""
    import json


    study = lazy.study.open_study(name, output=output, storage=storage)
    if wants_json(fmt):
        typer.echo(json.dumps(lazy.study.trial_rows(study), indent=2, default=str))
        return
    names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
    table = Table(title=f"study {name}: " + ", ".join(
        f"{n} ({d.name.lower()})" for n, d in zip(names, study.directions, strict=True)))
    for col in ("#", "state", *names, "sampled values", "s", "note"):
        table.add_column(escape(col), overflow="fold")
    for r in lazy.study.trial_rows(study):
        values = r["values"] or [None] * len(names)
        table.add_row(str(r["number"]), r["state"], *(lazy.study.fmt_value(v) for v in values),
                      escape("; ".join(f"{k}={lazy.study.fmt_value(v)}"
                                       for k, v in r["params"].items())),
                      lazy.study.fmt_value(r["seconds"]), escape(r["reason"]))
    console.print(table)


@app.command("repair")
def repair(name: StudyName, output: OutputOpt = Path("runs")) -> None:
    """Rebuild a study's journal file from its intact records (after a corrupt line)."""
    res = lazy.study.repair_study(name, output=output)
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
    warning = lazy.study.exposure_warning(host)
    if warning:
        console.print(f"[yellow]{escape(warning)}[/]", highlight=False, soft_wrap=True)
    console.print(f"optuna-dashboard for {name}: http://{host}:{port}/ (Ctrl-C stops)")
    lazy.study.serve_dashboard(name, output=output, host=host, port=port, storage=storage)
