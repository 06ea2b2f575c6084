"""A study run's typed events, plain progress lines, TensorBoard logs and MLflow runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from ganlab.cli._progress import PlainLog
from ganlab.config import load_config
from ganlab.study import RunContext, run_study
from ganlab.study.events import DataReady, EpochEnd, StageStarted, TrialFinished


def _with_study_keys(path: Path, lines: str) -> Path:
    text = path.read_text().replace("[study]\n", f"[study]\n{lines}\n", 1)
    path.write_text(text)
    return path


@pytest.mark.slow
def test_events_are_typed_and_a_rerun_counts_what_is_done(write_study) -> None:
    cfg = load_config(write_study("events", n_trials=1))
    events: list = []
    buf = io.StringIO()
    log = PlainLog(Console(file=buf, width=200))
    run_study(cfg, RunContext.from_config(cfg, on_event=lambda ev: (events.append(ev), log(ev))))
    stages = [e.stage for e in events if isinstance(e, StageStarted)]
    assert stages == ["preprocessing", "trials"]
    assert any(isinstance(e, DataReady) and e.usable == e.files for e in events)
    ends = [e for e in events if isinstance(e, TrialFinished)]
    assert len(ends) == 1 and ends[0].state == "COMPLETE"
    assert set(ends[0].values) == {"val.roc_auc"}  # named, not a bare list
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert epochs and epochs[0].epochs == 1 and epochs[0].who == "trial 0"
    text = buf.getvalue()
    assert "trial 0: COMPLETE val.roc_auc=" in text and "classifier epoch 1/1" in text
    again: list = []
    run_study(cfg, RunContext.from_config(cfg, on_event=again.append))
    trials = next(e for e in again if isinstance(e, StageStarted) and e.stage == "trials")
    assert (trials.done, trials.total) == (1, 1)  # not "0/1" on a rerun


@pytest.mark.slow
def test_tensorboard_and_mlflow_record_a_trial(
    write_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tensorboard")
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("optuna_integration")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 wants opting in to it
    uri = (tmp_path / "mlruns").as_uri()
    path = _with_study_keys(write_study("tracked", n_trials=1, gan=True,
                                        mode="real+synthetic"),
                            f'tensorboard = true\nmlflow = "{uri}"')
    cfg = load_config(path)
    run_study(cfg, RunContext.from_config(cfg))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(Path(cfg.study.output) / "tracked" / "trials" / "0000"
                               / "tensorboard"))
    acc.Reload()
    scalars = set(acc.Tags()["scalars"])
    assert {"gan/d_loss", "gan/g_loss", "gan/d_real", "gan/d_fake"} <= scalars
    assert any(t.startswith("classifier/") for t in scalars)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tracked")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and "val.roc_auc" in runs[0].data.metrics
    assert "classifier.optimizer.lr" in runs[0].data.params


def test_an_unusable_mlflow_uri_fails_before_any_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlflow")
    pytest.importorskip("optuna_integration")
    from ganlab.errors import ConfigError
    from ganlab.tracking import mlflow_callback

    with pytest.raises(ConfigError, match="study.mlflow"):
        mlflow_callback("nosuchscheme://x", ["val.roc_auc"])
