"""The progress displays' text: metric names with values, skipped files with their list."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from ganlab.cli._progress import PlainLog, RichProgress, epoch_text, event_line
from ganlab.study.events import (
    DataReady,
    EpochEnd,
    RunFinished,
    StageFinished,
    StageStarted,
    TrialFinished,
)


def test_lines_name_their_metrics() -> None:
    done = TrialFinished(0, "COMPLETE", {"val.roc_auc": 0.9056251049041748}, seconds=41.2)
    assert event_line(done) == "trial 0: COMPLETE val.roc_auc=0.9056 in 41 s"
    run = RunFinished("baseline timm", 1, "CACHED", metrics={"test.roc_auc": 0.81, "x": 1.0})
    assert event_line(run) == "baseline timm seed 1: cached test.roc_auc=0.81"
    skipped = DataReady(2655, 2637, {"unreadable": 10, "too small": 8}, "runs/s/skipped.csv")
    assert event_line(skipped) == ("skipped 18 of 2655 files (unreadable: 10; too small: 8); "
                                   "full list: runs/s/skipped.csv")
    assert event_line(DataReady(10, 10)) is None


def test_plain_log_writes_one_line_per_epoch_with_brackets_intact() -> None:
    buf = io.StringIO()
    log = PlainLog(Console(file=buf, width=300))
    log(StageStarted("trials", total=6, done=6))
    log(EpochEnd("gan", 4, {"d_loss": 0.612, "g_loss": 1.21, "epoch": 4}, 8, trial=3))
    log(StageFinished("trials", "6 finished [all cached]"))
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("trials: started (6 to do, 6 already done)")
    assert lines[1].endswith("trial 3 · gan epoch 4/8 d_loss=0.612 g_loss=1.21")
    assert lines[2].endswith("trials done: 6 finished [all cached]")


def test_a_finished_stage_leaves_no_bar_behind() -> None:
    console = Console(file=io.StringIO(), width=120)
    with Progress(console=console) as progress:
        show = RichProgress(progress)
        show(StageStarted("trials", total=6, done=6))
        assert progress.tasks[0].completed == 6  # a rerun starts at 6/6, not 0/6
        show(EpochEnd("classifier", 6, {"val_roc_auc": 0.9}, 6, trial=5))
        show(StageFinished("trials", "6 finished"))
        assert progress.tasks == []
        show(StageStarted("baselines", total=3))
        assert [t.description for t in progress.tasks] == ["baselines"]


def test_a_run_outside_optuna_names_its_stage() -> None:
    epoch = EpochEnd("gan", 6, {"d_loss": 0.5}, 20, label="base", seed=1, stage="ablation")
    assert epoch_text(epoch) == "ablation · base seed 1 · gan epoch 6/20 d_loss=0.5"
    done = RunFinished("base", 1, "COMPLETE", stage="ablation")
    assert event_line(done) == "ablation · base seed 1: complete"
    assert epoch_text(EpochEnd("gan", 1, {}, trial=2)) == "trial 2 · gan epoch 1"
