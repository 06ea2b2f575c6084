"""``study run --jobs N``: every stage's units on one pool of N worker processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ganlab.errors import GanlabError
from ganlab.study.pool._procs import WorkerProcs, interrupt_signal
from ganlab.study.pool._scheduler import Scheduler
from ganlab.study.pool._units import plan_gans, plan_runs, trial_gan

if TYPE_CHECKING:
    from ganlab.config import Config
    from ganlab.study._context import RunContext
    from ganlab.study.optimize._optimize import OptimizeSummary, TrialsRun
    from ganlab.study.pool._lifetime import StudyLock


def run_pool(
    cfg: Config,
    trials: TrialsRun,
    ctx: RunContext,
    *,
    lock: StudyLock | None,
    stage_done: Callable[[str], None] = lambda _stage: None,
) -> OptimizeSummary:
    """Run the opened trials and, when ``lock`` is given, the baseline and ablation runs, on
    ``ctx.jobs`` workers; returns the trials' summary. Progress goes to ``ctx.on_event``.

    ``stage_done(stage)`` is called (in this process) when the last run of ``baselines`` or
    ``ablation`` ended. Ctrl-C or SIGTERM here interrupts the workers the same way: their
    running trials are failed with the reason and re-queued. A worker that died, a GAN that
    failed or trials that ended short raise one :class:`~ganlab.errors.GanlabError` once the
    other units are done (their results are kept).
    """
    layout = trials.layout
    runs = plan_runs(cfg, layout) if lock is not None else []
    key = trial_gan(cfg, trials.params)
    gans = plan_gans(layout, runs, (cfg, key) if key else None)
    procs = WorkerProcs(cfg, ctx, run_id=trials.run_id)
    sched = Scheduler(cfg, procs, trials, gans, runs, key, lock if runs else None, ctx.on_event,
                      stage_done)
    try:
        sched.run()
    except BaseException as exc:
        procs.stop(interrupt_signal(exc))
        raise
    procs.stop()
    if sched.fatal is not None:
        raise sched.fatal
    if sched.errors:
        raise GanlabError(f"{'; '.join(sched.errors)}. Completed trials and runs are saved; "
                          "rerun to continue")
    assert sched.summary is not None
    return sched.summary
