"""`ganlab data` commands: inspect an image set, generate the synthetic set, preview, split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ganlab.cli._app import (
    PROFILE_HELP,
    FormatOpt,
    JsonAliasOpt,
    OutputFormat,
    console,
    make_app,
    print_skipped,
    wants_json,
)
from ganlab.cli._modules import lazy
from ganlab.cli._options import SetOption, load_study
from ganlab.errors import ConfigError

app = make_app("Inspect image sets, generate the synthetic set, preview filters, write splits.")

PositiveOption = Annotated[
    str, typer.Option("--positive-class", help="Class treated as positive (label 1).")
]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", "-p", help=PROFILE_HELP)
]


@app.command("inspect")
def inspect(
    directory: Annotated[Path, typer.Argument(help="Class-per-folder image set.")],
    positive_class: PositiveOption = "malignant",
    hash_distance: Annotated[
        int, typer.Option("--hash-distance", min=0, max=64, help="pHash bits for near-duplicates.")
    ] = 4,
    show: Annotated[int, typer.Option("--show", min=0, help="Groups and files to list.")] = 10,
    fmt: FormatOpt = OutputFormat.table,
    as_json: JsonAliasOpt = False,
) -> None:
    """Counts per class, image sizes, skipped files with reasons, exact and near duplicates."""
    rep = lazy.data.inspect_folder(directory, positive_class=positive_class,
                                   hash_distance=hash_distance)
    if wants_json(fmt, as_json):
        out = {k: getattr(rep, k) for k in ("root", "files", "usable", "skipped", "converted",
                                             "exact_groups", "near_groups", "near_pairs",
                                             "hash_distance")}
        out["sizes"] = {f"{w}x{h}": n for (w, h), n in rep.sizes.items()}
        out["modes"] = dict(rep.modes)
        typer.echo(json.dumps(out, indent=2))
        return
    console.print(f"{rep.root} (positive class: {rep.class_names[1]})", highlight=False)
    table = Table()
    for col in ("class", "files", "usable", "skipped"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for cls in rep.class_names:
        table.add_row(cls, f"{rep.files[cls]:,}", f"{rep.usable[cls]:,}",
                      f"{rep.files[cls] - rep.usable[cls]:,}")
    console.print(table)
    sizes = ", ".join(f"{w}x{h}: {n:,}" for (w, h), n in rep.sizes.most_common(show))
    console.print(f"image sizes: {sizes}")
    console.print(f"stored modes: {', '.join(f'{m}: {n:,}' for m, n in rep.modes.most_common())}")
    if rep.converted:
        console.print(f"converted: {len(rep.converted):,} file(s)")
        for sample_id, note in rep.converted[:show]:
            console.print(f"  {sample_id}: {note}", highlight=False)
    console.print(f"skipped: {len(rep.skipped):,} file(s)"
                  + "".join(f"; {r}: {n}" for r, n in rep.skip_counts().items()))
    for sample_id, reason in rep.skipped[:show]:
        console.print(f"  {sample_id}: {reason}", highlight=False)
    console.print(f"exact duplicates (same bytes): {len(rep.exact_groups)} group(s), "
                  f"{rep.mixed(rep.exact_groups)} with both classes")
    for group in rep.exact_groups[:show]:
        console.print(f"  {' = '.join(group)}", highlight=False)
    in_groups = sum(len(g) for g in rep.near_groups)
    console.print(
        f"near-duplicate groups (pHash Hamming <= {rep.hash_distance}): {len(rep.near_groups)} "
        f"group(s), {in_groups:,} images, {rep.near_pairs:,} pair(s), "
        f"{rep.mixed(rep.near_groups)} with both classes"
    )
    for group in rep.near_groups[:show]:
        console.print(f"  [{len(group)}] {', '.join(group)}", highlight=False)


@app.command("synth")
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to create (benign/, malignant/).")],
    n: Annotated[int, typer.Option("--n", min=2, help="Number of images.")] = 600,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 0,
    image_size: Annotated[int, typer.Option("--image-size", min=16, help="Side in px.")] = 96,
    difficulty: Annotated[
        float,
        typer.Option(
            "--difficulty", min=0.0, max=1.0,
            help="0..1: how much benign and malignant appearances overlap.",
        ),
    ] = 0.0,
) -> None:
    """Generate the labelled synthetic dermoscopy-like set (ABCD-rule lesions)."""
    counts = lazy.data.synthesize(out, n, seed, image_size, difficulty)
    parts = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    console.print(f"wrote {parts} ({image_size}x{image_size} PNG) to {out}", highlight=False)


@app.command("preview")
def preview(
    study_file: Annotated[
        Path | None, typer.Argument(help="Study file whose \\[data] table to preview.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="PNG file to write.")] = Path("grid.png"),
    root: Annotated[
        Path | None, typer.Option("--root", help="Image folder instead of a study file.")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="Filter plugin with --root (repeatable; in order)."),
    ] = None,
    augments: Annotated[
        list[str] | None,
        typer.Option("--augment", help="Augmentation plugin with --root (repeatable)."),
    ] = None,
    image_size: Annotated[int, typer.Option("--image-size", min=8, help="Final side.")] = 64,
    n: Annotated[int, typer.Option("--n", min=1, help="Images (rows).")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Augmentation seed.")] = 0,
    profile: ProfileOption = None,
    sets: SetOption = None,
) -> None:
    """Write a PNG grid: originals, each filter step, augmented copies (with --root: the
    --filter and --augment plugins given, none by default)."""
    if (study_file is None) == (root is None):
        raise ConfigError("give either a STUDY_FILE or --root DIR (exactly one)")
    if study_file is not None:
        cfg = load_study(study_file, profile=profile, sets=sets)
        data, base = cfg.data, Path(cfg.base_dir)
    else:
        ref = lazy.config.PluginRef
        data = lazy.config.DataConfig(root=str(root), image_size=image_size,
                                      filters=tuple(ref(f) for f in filters or ()),
                                      augmentations=tuple(ref(a) for a in augments or ()))
        base = Path.cwd()
    path = lazy.data.preview_grid(data, base_dir=base, out=out, n=n, seed=seed)
    console.print(f"wrote {path}", highlight=False)


@app.command("split")
def split(
    study_file: Annotated[Path, typer.Argument(help="The study file (TOML).")],
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Default: <study.output>/<study.name>.")
    ] = None,
    fold: Annotated[int | None, typer.Option("--fold", min=0, help="Validation fold.")] = None,
    profile: ProfileOption = None,
    sets: SetOption = None,
) -> None:
    """Prepare the study's data (cached) and write or reuse its split manifest."""
    cfg = load_study(study_file, profile=profile, sets=sets)
    data = lazy.jobs.prepare_data(cfg, work_dir=work_dir, fold=fold)
    p = data.protocol
    console.print(f"split of {p['source']}", highlight=False)
    table = Table()
    table.add_column("split")
    for cls in data.class_names:
        table.add_column(cls, justify="right")
    for side, counts in p["sizes"].items():
        table.add_row(side, *(f"{counts[c]:,}" for c in data.class_names))
    console.print(table)
    print_skipped(p)
    state = "reused" if p["split"]["reused_manifest"] else "wrote"
    console.print(
        f"{state} {data.split_manifest}; {p['lesion_groups']:,} lesion groups, "
        f"{p['near_duplicate_pairs']:,} near-duplicate pairs; skipped {sum(p['skipped'].values())}"
        f"; cache {'hit' if p['cache_hit'] else 'built'} ({p['cache_key']})",
        highlight=False,
    )
