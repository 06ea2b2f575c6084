"""`ganlab data` commands through Typer's CliRunner: output, exit codes, messages."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ganlab.cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["data", *args])


def test_inspect_counts_and_duplicates(synth_root: Path) -> None:
    (synth_root / "benign" / "copy.png").write_bytes((synth_root / "benign" / "00000.png")
                                                     .read_bytes())
    (synth_root / "malignant" / "notes.txt").write_text("hello")
    result = _run("inspect", str(synth_root), "--show", "50")
    assert result.exit_code == 0, result.output
    assert "benign" in result.output and "21" in result.output
    assert "benign/00000.png = benign/copy.png" in result.output
    assert "malignant/notes.txt: not an image" in result.output
    assert "32x32: 41" in result.output


def test_inspect_json(synth_root: Path) -> None:
    import json

    result = _run("inspect", str(synth_root), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["usable"] == {"benign": 20, "malignant": 20}


def test_inspect_user_errors(tmp_path: Path, odd_root: Path) -> None:
    missing = _run("inspect", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "no such folder" in missing.output
    assert "Traceback" not in missing.output
    (tmp_path / "one" / "benign").mkdir(parents=True)
    single = _run("inspect", str(tmp_path / "one"))
    assert single.exit_code == 1 and "needs exactly two" in single.output
    for f in odd_root.rglob("*"):
        if f.is_file() and not f.name.startswith("skip_"):
            f.unlink()
    broken = _run("inspect", str(odd_root))
    assert broken.exit_code == 1 and "no usable images" in broken.output
    assert "truncated: 2" in broken.output and "Traceback" not in broken.output


def test_synth_and_preview(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    result = _run("synth", "--out", str(out), "--n", "6", "--seed", "2", "--image-size", "32")
    assert result.exit_code == 0, result.output
    assert "3 benign, 3 malignant" in result.output
    assert len(list(out.rglob("*.png"))) == 6
    again = _run("synth", "--out", str(out), "--n", "6")
    assert again.exit_code == 1 and "already holds" in again.output
    grid = tmp_path / "grid.png"
    result = _run("preview", "--root", str(out), "--out", str(grid), "--n", "2",
                  "--image-size", "16")
    assert result.exit_code == 0, result.output
    assert grid.read_bytes()[:4] == b"\x89PNG"
    neither = _run("preview", "--out", str(grid))
    assert neither.exit_code == 1 and "exactly one" in neither.output


def test_split_from_study_file(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "q"\noutput = "runs"\n\n[data]\nroot = "syn"\nimage_size = 16\n'
        "workers = 1\nfilters = [{name = \"gamma\"}]\n\n[data.synth]\nn = 24\nimage_size = 24\n"
    )
    work = tmp_path / "work"
    result = _run("split", str(study), "--work-dir", str(work))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (work / "split.csv").is_file()
    result = _run("split", str(study), "--work-dir", str(work))
    assert "reused" in result.output and "cache hit" in result.output
    bad = _run("split", str(study), "--work-dir", str(work), "--fold", "1")
    assert bad.exit_code == 1 and "folds" in bad.output
