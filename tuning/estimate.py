"""Know the cost before you start: a study's duration estimated from one timed probe, and the ETA of a running one.

Before a study starts, ``probe`` (tuning/probe.py) fits one small candidate (the space's centre) on the first
of the study's real folds, on a row subsample when the table is large, under a hard time cap: the seconds
per unit of the family's cost parameter (boosting rounds / trees: ``n_estimators``), the fixed part of a fit,
and how tree depth multiplies a unit's cost. ``predict`` then does plain arithmetic with that measurement: the
candidates the strategy would try (the grid's own points, or draws from the space for the other
strategies), the rows (roughly linear), the folds, the pruner's rungs (what ASHA/Hyperband would let each
candidate reach, with the ladder's floor of complete trials), the workers, and the stop rules. Tests give
``predict`` a made-up ``Probe``, so the arithmetic is checked exactly.

While a study runs, ``eta_seconds`` turns the measured trial times (recent ones weighted more) and the
running trials' elapsed time into the time left.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tuning.config import ExecutorName, PrunerName, ResolvedConfig, StrategyName
from tuning.context import EvalContext
from tuning.ladder import MIN_COMPLETE
from tuning.probe import PROBE_CAP_S, PROBE_ROWS, ROW_EXPONENT, UNIT_PARAM, Probe, centre, probe, units_of
from tuning.stoprule import MIN_TRIALS as PLATEAU_MIN_TRIALS
from tuning.strategies.pruners import HYPERBAND_BRACKETS, rungs_below
from tuning.study import LoadedData
from tuning.trainers import trainer_for

__all__ = [
    "PROBE_CAP_S",
    "PROBE_ROWS",
    "Estimate",
    "Probe",
    "duration_words",
    "estimate",
    "eta_seconds",
    "eta_words",
    "ladder_fn",
    "predict",
    "probe",
    "promoted",
    "reach",
]

#: Per-trial seconds outside the fit (asking the strategy, storing the outcome), and a study's own (creating it,
#: starting its thread, recording its end): measured on small studies of a cheap model (bench_estimate).
ASK_S = {StrategyName.TPE: 0.01, StrategyName.ANNEAL: 0.01, StrategyName.RANDOM: 0.005, StrategyName.GRID: 0.005}
STUDY_S = 0.1
#: Candidates drawn from the space to average a non-grid study's trial cost over (and a grid's points, at most).
DRAWS = 256
GRID_POINTS_COSTED = 4096
ETA = 3  # the pruners' reduction factor (the runner's)
_SAMPLING = ("subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")


@dataclass(frozen=True)
class Estimate:
    """A study's expected duration in seconds (``low``..``high``), and what it assumed."""

    seconds: float
    low: float
    high: float
    per_trial_s: float  # mean seconds of one trial (all folds) on one worker
    n_trials: int
    parallel: int  # trials running at once
    seconds_with_early_cut: float | None  # the same study with ASHA, when it has no pruner
    probe: Probe
    assumed: tuple[str, ...] = field(default=())

    def words(self) -> str:
        """``about 6 min on 2 workers (4-9 min); early cut would make it about 2 min``."""
        on = f"on {self.parallel} worker{'s' if self.parallel != 1 else ''}"
        head = "at least" if self.probe.capped else "about"
        text = f"{head} {duration_words(self.seconds)} {on}"
        if not self.probe.capped and duration_words(self.low) != duration_words(self.high):
            text += f" ({range_words(self.low, self.high)})"
        if self.seconds_with_early_cut is not None and self.seconds_with_early_cut < 0.8 * self.seconds:
            text += f"; early cut would make it about {duration_words(self.seconds_with_early_cut)}"
        return text


# -- the arithmetic -----------------------------------------------------------------------------------------

BudgetsFn = Callable[[dict[str, Any]], list[int]]


def candidates(config: ResolvedConfig, n: int, *, draws: int = DRAWS) -> list[dict[str, Any]]:
    """The candidates to average over: the grid's first ``n`` points, or ``draws`` draws from the space."""
    space = config.space
    if config.strategy is StrategyName.GRID:
        out = list(itertools.islice(space.iter_grid(), n))
        step = max(1, len(out) // GRID_POINTS_COSTED)
        return out[::step]
    rng = np.random.default_rng(config.seed)
    return [space.sample(rng) for _ in range(draws)]


def promoted(arrivals: float, *, eta: int = ETA) -> float:
    """Candidates asynchronous successive halving sends on from a rung that ``arrivals`` reach, in random order:
    the i-th goes on when it is in the top ``max(1, i // eta)`` of the ``i`` seen so far."""
    i = np.arange(1, int(round(arrivals)) + 1)
    return float(np.sum(np.maximum(1, i // eta) / i))


@functools.lru_cache(maxsize=256)
def reach(n: float, n_rungs: int, *, start: int = 0, floor: float = 0.0, eta: int = ETA) -> tuple[float, ...]:
    """Fraction of ``n`` candidates that reach each rung (1 from ``start``), at least ``floor`` of them finishing."""
    if n <= 0:
        return (0.0,) * n_rungs
    counts = [0.0] * n_rungs
    m = float(n)
    for r in range(start, n_rungs):
        counts[r] = max(m, min(floor, n))
        m = promoted(m, eta=eta)
    return tuple(c / n for c in counts)


def trial_cost(
    p: Probe, params: dict[str, Any], ladder: Sequence[int] | None, fractions: Sequence[float] | None, *, cv: int
) -> float:
    """Expected seconds of one trial of ``params`` (all folds, one worker): full, or up the rungs of ``ladder``
    reached with ``fractions`` (boosting continues between rungs; a rows rung refits)."""
    if not ladder or fractions is None or len(ladder) < 2:
        return cv * p.fold_cost(params)
    total, before = 0.0, 0
    for budget, f in zip(ladder, fractions, strict=True):
        if f <= 0:
            continue
        if p.resource == "rounds":
            # boosting continues: a rung pays its fixed part and only the rounds it adds
            step = (p.fit_s + p.unit_s * p.depth_scale(params) * (budget - before)) * _row_scale(p, p.fold_rows)
        else:
            step = p.fold_cost(params, rows=budget)
        total += f * step
        before = budget
    return cv * total


def _row_scale(p: Probe, rows: float) -> float:
    return (rows / max(1, p.probe_rows)) ** ROW_EXPONENT.get(p.model, 1.0)


def _staged_total(p: Probe, cands: list[dict[str, Any]], *, cv: int) -> float:
    """A grid whose candidates differ only in n_estimators shares boosters (the XGBoost trainer's staged fits):
    each group boosts to its largest value once; every candidate still pays its fixed part."""
    groups: dict[str, float] = {}
    total = 0.0
    for c in cands:
        if c.get("booster", "gbtree") != "gbtree" or any(float(c.get(k, 1.0)) < 1.0 for k in _SAMPLING):
            total += cv * p.fold_cost(c)
            continue
        key = repr(sorted((k, repr(v)) for k, v in c.items() if k != UNIT_PARAM))
        # a group's candidates share their depth: its units cost at that depth
        groups[key] = max(groups.get(key, 0.0), units_of(c, p.unit_param) * p.depth_scale(c))
        total += cv * p.fold_cost(c, units=0)
    return total + sum(cv * p.unit_s * u * _row_scale(p, p.fold_rows) for u in groups.values())


def study_trials(config: ResolvedConfig) -> int:
    """Trials the study would run to its end (a grid stops at its size; a timeout alone: unknown, 0)."""
    if config.strategy is StrategyName.GRID:
        size = config.space.grid_size()
        return min(size, config.n_trials) if config.n_trials else size
    return int(config.n_trials or 0)


def _pruned_total(
    p: Probe, config: ResolvedConfig, cands: list[dict[str, Any]], n: int, pruner: PrunerName, budgets: BudgetsFn
) -> float:
    """Expected seconds of ``n`` trials under ``pruner``: brackets, rungs reached, the floor of complete trials."""
    floor = float(min(MIN_COMPLETE, n))
    brackets = HYPERBAND_BRACKETS if pruner is PrunerName.HYPERBAND else 1
    total = 0.0
    for b in range(brackets):
        n_b = len(range(b, n, brackets))  # candidates are dealt to brackets in turn
        if not n_b:
            continue
        costs = []
        for c in cands:
            ladder = budgets(c)
            start = min(b, max(0, len(ladder) - 1))
            costs.append(
                trial_cost(p, c, ladder, reach(n_b, len(ladder), start=start, floor=floor * n_b / n), cv=config.cv)
            )
        total += n_b * float(np.mean(costs))
    return total


def predict(
    config: ResolvedConfig, p: Probe, *, budgets: BudgetsFn | None = None, cores: int | None = None
) -> Estimate:
    """The study's duration from the probe's measurement: pure arithmetic (``budgets``: the rung ladder of a
    candidate; default, the trainer's own)."""
    cores = cores or os.cpu_count() or 1
    budgets = budgets or ladder_fn(config, p)
    n = study_trials(config)
    assumed: list[str] = []
    if n == 0:  # a timeout alone: as many trials as fit in it
        n = max(1, int((config.timeout or 0) / max(1e-3, cv_cost(config, p)) * min(config.workers, cores)))
        assumed.append(f"about {n} trials fit in the timeout")
    cands = candidates(config, n)
    staged = (
        config.strategy is StrategyName.GRID
        and config.pruner is PrunerName.NONE
        and not config.early_stopping_rounds
        and p.unit_param is not None
        and p.resource == "rounds"
    )

    def total_for(pruner: PrunerName) -> float:
        if pruner is not PrunerName.NONE:
            return _pruned_total(p, config, cands, n, pruner, budgets)
        if staged:
            return _staged_total(p, cands, cv=config.cv) * n / max(1, len(cands))
        costs = [trial_cost(p, c, None, None, cv=config.cv) for c in cands]
        if config.trial_timeout:
            costs = [min(c, config.trial_timeout) for c in costs]
        return n * float(np.mean(costs))

    # a Dask cluster's workers are not this machine's cores: its workers run at once, each as fast as here
    local = config.executor is not ExecutorName.DASK
    parallel = max(1, min(config.workers, cores if local else config.workers, n))
    if not local:
        assumed.append("the cluster's workers are as fast as this machine")
    ask = ASK_S.get(config.strategy, 0.0)
    setup = config.cv * p.setup_s * _row_scale(p, p.fold_rows)
    # held-out rows: the best candidate is refitted on every training row (a typical candidate stands in for it)
    refit = 0.0
    if config.test_size:
        refit = config.cv / max(1, config.cv - 1) * float(np.mean([p.fold_cost(c) for c in cands[:DRAWS]]))

    def wall(total: float) -> float:
        per = total / n
        # the last trials end one by one: on average half a trial of idle workers at the end
        return STUDY_S + setup + total / parallel + per * (parallel - 1) / (2 * parallel) + n * ask + refit

    total = total_for(config.pruner)
    seconds = wall(total)
    early = wall(total_for(PrunerName.ASHA)) if config.pruner is PrunerName.NONE and n > MIN_COMPLETE else None
    low, high = 0.7 * seconds, 1.5 * seconds
    if p.probe_rows < p.fold_rows:
        high *= 1.3
        assumed.append(f"timed on {p.probe_rows:,} of {p.fold_rows:,} rows and scaled up")
    least = _fewest_trials(config, n)
    if least < n:
        low = min(low, 0.7 * wall(total * least / n))
        assumed.append(f"a stop rule may end it after {least} trials")
    if config.early_stopping_rounds:
        low = min(low, 0.3 * seconds)
        assumed.append("early stopping may end trials before their last round")
    if config.strategy in (StrategyName.TPE, StrategyName.ANNEAL):
        assumed.append("the guided trials cost as much as random ones")
    if config.timeout:
        cap = config.timeout + total / n
        seconds, low, high = min(seconds, cap), min(low, cap), min(high, cap)
        early = None if early is None else min(early, cap)
    if p.capped:
        assumed.append("the probe ran out of time: a lower bound")
    return Estimate(
        seconds=seconds,
        low=low,
        high=high,
        per_trial_s=total / n,
        n_trials=n,
        parallel=parallel,
        seconds_with_early_cut=early,
        probe=p,
        assumed=tuple(assumed),
    )


def cv_cost(config: ResolvedConfig, p: Probe) -> float:
    """Seconds of one trial of the space's centre (all folds)."""
    return config.cv * p.fold_cost(centre(config.space))


def _fewest_trials(config: ResolvedConfig, n: int) -> int:
    """Trials after which a stop rule (target, patience, plateau) could end the study."""
    least = n
    if config.target_score is not None:
        least = 1
    if config.patience:
        least = min(least, config.patience + 1)
    if config.plateau:
        least = min(least, max(PLATEAU_MIN_TRIALS, 4))
    return max(1, least)


def ladder_fn(config: ResolvedConfig, p: Probe) -> BudgetsFn:
    """The trainer's rung ladder for a candidate of this study, from the probe's facts alone.

    The trainer reads only the folds' sizes and the class count off the context for its ladder, so a
    context of placeholder rows of those sizes gives the study's real ladder without its data."""
    import pandas as pd

    y = np.arange(p.fold_rows + 1) % max(1, p.n_classes) if p.n_classes else np.zeros(p.fold_rows + 1)
    ctx = EvalContext(
        model=config.model,
        task=str(config.task or ""),
        X=pd.DataFrame(index=range(len(y))),
        y=y,
        numeric=(),
        categorical=(),
        folds=((np.arange(p.fold_rows), np.arange(p.fold_rows, p.fold_rows + 1)),),
        metric=config.metric,
        secondary=(),
    )
    trainer = trainer_for(config.model)
    below = rungs_below(config.pruner.value)  # a Hyperband ladder reaches lower (its early brackets)
    return lambda params: trainer.rung_budgets(ctx, params, eta=ETA, min_budget=None, below=below)


def estimate(
    config: ResolvedConfig, data: LoadedData, *, probe_fn: Callable[[ResolvedConfig, LoadedData], Probe] = probe
) -> Estimate:
    """Probe, then predict: the estimate of a study not started yet."""
    return predict(config, probe_fn(config, data))


# -- during the run -------------------------------------------------------------------------------------------

#: Trials after which a finished trial's weight in the ETA halves (recent trials say more about the rest).
HALF_LIFE = 10


def eta_seconds(
    remaining: int, durations: Sequence[float], *, workers: int, running: Sequence[float] = ()
) -> float | None:
    """Seconds left: ``remaining`` trials not finished (``running`` among them, with these elapsed seconds),
    at the recent pace of ``durations`` (finished trials, oldest first), on ``workers``. None: no pace yet."""
    if remaining <= 0:
        return 0.0
    if not durations:
        return None
    weights = [0.5 ** ((len(durations) - 1 - i) / HALF_LIFE) for i in range(len(durations))]
    mean = sum(w * d for w, d in zip(weights, durations, strict=True)) / sum(weights)
    running = list(running)[:remaining]
    queued = remaining - len(running)
    # a running trial past the mean still has some way to go: at least a tenth of a trial
    left = [max(mean - e, 0.1 * mean) for e in running]
    work = queued * mean + sum(left)
    return max(work / max(1, workers), max(left, default=0.0))


def duration_words(seconds: float) -> str:
    """``a few seconds``, ``40 s``, ``6 min``, ``1.5 h``."""
    if seconds < 5:
        return "a few seconds"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def range_words(low: float, high: float) -> str:
    """``4-9 min``: one unit when both ends share it."""
    a, b = duration_words(low), duration_words(high)
    ua, ub = a.rsplit(" ", 1)[-1], b.rsplit(" ", 1)[-1]
    if ua == ub and a[0].isdigit():
        return f"{a.rsplit(' ', 1)[0]}–{b}"
    return f"{a} to {b}"


def eta_words(seconds: float | None) -> str:
    """The live panel's "Time left": ``-`` without a pace yet."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return "seconds"
    return (
        f"{seconds:.0f} s"
        if seconds < 120
        else f"{seconds / 60:.0f} min"
        if seconds < 7200
        else f"{seconds / 3600:.1f} h"
    )
