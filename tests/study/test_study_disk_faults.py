"""Faults that used to burn five trials and stop (issue 12, fault 6).

A full disk gave "No space left on device" five times (and, when the disk was already full, a
raw traceback from writing study.json); a truncated cached GAN checkpoint failed every trial
that shared it, with no recovery and no hint.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
import torch
from optuna.trial import TrialState
from typer.testing import CliRunner

from ganlab.cli import app
from ganlab.config import load_config
from ganlab.errors import GanlabError, GanlabWarning
from ganlab.study import RunContext, StudyLayout, open_storage, optimize_study, run_pipeline

optuna.logging.set_verbosity(optuna.logging.ERROR)
runner = CliRunner()


@pytest.mark.parametrize(("code", "exc_type", "words"), [
    (errno.ENOSPC, OSError, "No space left on device"),
    (errno.EACCES, PermissionError, "Permission denied"),
])
def test_disk_fault_in_a_trial_stops_at_once_naming_the_path(
    write_study, tmp_path: Path, code: int, exc_type: type, words: str
) -> None:
    target = str(tmp_path / "runs" / "disk" / "trials" / "0000" / "metrics.json")

    def full(cfg, *, out_dir: Path, **_kw):
        raise exc_type(code, words, target)

    cfg = load_config(write_study("disk", n_trials=5))
    with pytest.raises(GanlabError) as err:
        optimize_study(cfg, RunContext.from_config(cfg, pipeline=full), n_trials=5)
    assert words in str(err.value) and target in str(err.value)
    storage = open_storage(None, StudyLayout.of("disk", tmp_path / "runs"))
    trials = storage.get_all_trials(storage.get_all_studies()[0]._study_id)
    assert [t.state for t in trials] == [TrialState.FAIL]  # one trial, not five


@pytest.fixture
def full_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A 1 MiB tmpfs filled to the last byte."""
    point = mount_tmpfs("1m")
    fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT)
    for chunk in (65536, 1):  # to the last byte
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * chunk)
    os.close(fd)
    return point


def test_study_on_a_full_disk_says_so_in_one_line(write_study, full_disk: Path) -> None:
    study_file = write_study("fulldisk", n_trials=1, output=full_disk / "runs")
    result = runner.invoke(app, ["study", "run", str(study_file)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    lines = [line for line in result.output.splitlines() if line.strip()]
    error = next(line for line in lines if line.startswith("error:"))
    assert "No space left on device writing" in error and str(full_disk) in result.output


@pytest.mark.slow  # trains two GANs; test_unreadable_gan_folder_is_set_aside is the fast unit
def test_unreadable_cached_gan_is_set_aside_and_retrained(write_study, tmp_path: Path) -> None:
    cfg = load_config(write_study("gancache", gan=True, mode="real+synthetic"))
    work, gan_dir = tmp_path / "runs" / "gancache", tmp_path / "runs" / "gancache" / "gan-x"
    kw = {"work_dir": work, "device": torch.device("cpu"), "seed": 0, "gan_dir": gan_dir}
    run_pipeline(cfg, out_dir=work / "a", **kw)
    ckpt = gan_dir / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:200])  # truncated
    with pytest.warns(GanlabWarning, match="training the GAN again"):
        res = run_pipeline(cfg, out_dir=work / "b", **kw)
    assert res.metrics and (work / "b" / "metrics.json").is_file()
    aside = list(work.glob("gan-x.broken-*"))
    assert len(aside) == 1 and (aside[0] / "checkpoint.pt").stat().st_size == 200
    torch.load(ckpt, weights_only=True)  # the rebuilt checkpoint is whole


def test_unreadable_gan_folder_is_set_aside(tmp_path: Path) -> None:
    """The unit behind the test above: a truncated checkpoint moves its folder aside."""
    from ganlab.study.pipeline._run_pipeline import _set_aside_if_unreadable

    gan_dir = tmp_path / "gan-x"
    gan_dir.mkdir()
    (gan_dir / "checkpoint.pt").write_bytes(b"\x80\x02truncated")
    with pytest.warns(GanlabWarning, match="training the GAN again"):
        _set_aside_if_unreadable(gan_dir)
    aside = list(tmp_path.glob("gan-x.broken-*"))
    assert len(aside) == 1 and (aside[0] / "checkpoint.pt").read_bytes() == b"\x80\x02truncated"
    assert gan_dir.is_dir() and not any(gan_dir.iterdir())
    _set_aside_if_unreadable(gan_dir)  # an empty folder (nothing trained yet) stays
    assert len(list(tmp_path.glob("gan-x.broken-*"))) == 1
