"""Progress displays of a study run: a live rich display on a terminal, plain lines in a log.

``--log-format auto`` (the default) picks ``rich`` when stdout is a terminal and ``plain``
otherwise, so ``nohup ganlab study run ... > log`` writes one timestamped line per epoch,
trial, run and stage instead of nothing. Imported inside commands (it imports ganlab.study).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape

from ganlab.study.events import (
    DataReady,
    EpochEnd,
    Event,
    RunFinished,
    RunStarted,
    StageFinished,
    StageProgress,
    StageStarted,
    StageWaiting,
    TrialFinished,
    TrialStarted,
    WorkersPolled,
    short_metrics,
)


def _values(values: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in values.items())


def epoch_text(ev: EpochEnd) -> str:
    """``trial 3 · gan epoch 4/8 d_loss=0.61 g_loss=1.2``."""
    of = f"/{ev.epochs}" if ev.epochs else ""
    return f"{ev.who} · {ev.phase} epoch {ev.epoch}{of} {short_metrics(ev.metrics)}".rstrip()


def event_line(ev: Event) -> str | None:
    """The one-line text of an event worth a line of its own (``None`` for the others)."""
    if isinstance(ev, TrialFinished):
        text = f"trial {ev.trial}: {ev.state}"
        text += f" {_values(ev.values)}" if ev.values else ""
        text += f" ({ev.reason})" if ev.reason else ""
        return text + (f" in {ev.seconds:.0f} s" if ev.seconds is not None else "")
    if isinstance(ev, RunFinished):
        text = f"{ev.who}: {ev.state.lower()}"
        shown = {k: v for k, v in ev.metrics.items() if k in ("val.roc_auc", "test.roc_auc")}
        text += f" {_values(shown)}" if shown else ""
        return text + (f" ({ev.reason})" if ev.reason else "")
    if isinstance(ev, StageFinished):
        return f"{ev.stage} done" + (f": {ev.summary}" if ev.summary else "")
    if isinstance(ev, StageWaiting):
        return f"{ev.stage}: {ev.reason}"
    if isinstance(ev, DataReady) and ev.skipped:
        reasons = "; ".join(f"{r}: {n}" for r, n in ev.skipped.items())
        where = f"; full list: {ev.skipped_list}" if ev.skipped_list else ""
        return f"skipped {sum(ev.skipped.values())} of {ev.files} files ({reasons}){where}"
    return None


class PlainLog:
    """One timestamped line per stage, epoch, trial and run (for log files)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._shown_percent = -1

    def _print(self, text: str) -> None:
        self.console.print(f"{time.strftime('%H:%M:%S')} {escape(text)}", highlight=False,
                           soft_wrap=True)

    def __call__(self, ev: Event) -> None:
        line = event_line(ev)
        if line is not None:
            self._print(line)
        elif isinstance(ev, StageStarted):
            done = f", {ev.done} already done" if ev.done else ""
            self._print(f"{ev.stage}: started" + (f" ({ev.total} to do{done})"
                                                   if ev.total is not None else ""))
            self._shown_percent = -1
        elif isinstance(ev, StageProgress):
            percent = 100 * ev.done // max(ev.total, 1)
            if percent // 10 > self._shown_percent // 10 or ev.done == ev.total:
                self._shown_percent = percent
                self._print(f"{ev.stage}: {ev.done}/{ev.total} files")
        elif isinstance(ev, EpochEnd):
            self._print(epoch_text(ev))
        elif isinstance(ev, TrialStarted):
            self._print(f"trial {ev.trial}: started " + " ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in ev.values.items()))
        elif isinstance(ev, RunStarted):
            self._print(f"{ev.who}: started")
        elif isinstance(ev, WorkersPolled):
            pass  # too frequent for a log; trials report their own ends


class RichProgress:
    """A live display: one bar per running stage; finished lines printed above it.

    A stage's bar is removed when the stage ends, so no epoch line of a finished stage stays
    on screen.
    """

    def __init__(self, progress: Any) -> None:
        self.p = progress
        self.tasks: dict[str, Any] = {}
        self.current: str | None = None

    def _task(self, stage: str, total: int | None = None, done: int = 0) -> Any:
        if stage not in self.tasks:
            self.tasks[stage] = self.p.add_task(stage, total=total, completed=done)
        self.current = stage
        return self.tasks[stage]

    def __call__(self, ev: Event) -> None:
        line = event_line(ev)
        if line is not None:
            self.p.console.print(escape(line), highlight=False)
        if isinstance(ev, StageStarted):
            self._task(ev.stage, ev.total, ev.done)
        elif isinstance(ev, StageProgress):
            self.p.update(self._task(ev.stage), total=ev.total, completed=ev.done,
                          description=f"{ev.stage} (files)")
        elif isinstance(ev, StageFinished) and ev.stage in self.tasks:
            self.p.remove_task(self.tasks.pop(ev.stage))
            self.current = None
        elif isinstance(ev, TrialStarted):
            self.p.update(self._task("trials"), description=f"trial {ev.trial}")
        elif isinstance(ev, EpochEnd) and (ev.stage or self.current) in self.tasks:
            self.p.update(self.tasks[ev.stage or self.current], description=escape(epoch_text(ev)))
        elif isinstance(ev, TrialFinished) and ev.state != "FAIL":
            self.p.update(self._task("trials"), advance=1, description="trials")
        elif isinstance(ev, WorkersPolled):
            self.p.update(self._task("trials"), completed=ev.finished,
                          description=f"trials (all workers; {ev.running} running)")
        elif isinstance(ev, RunStarted) and self.current is not None:
            self.p.update(self.tasks[self.current], description=escape(ev.who))
        elif isinstance(ev, RunFinished) and self.current is not None:
            self.p.update(self.tasks[self.current], advance=1, description=self.current)
