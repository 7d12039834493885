"""Know the cost before you start: a study's duration estimated from one timed probe, and the ETA of a running one.

Before a study starts, ``probe`` fits one small candidate (the space's centre) on the first of the study's
real folds, on a row subsample when the table is large, under a hard time cap: a fit with few units of the
family's cost parameter (boosting rounds / trees: ``n_estimators``) and one with more give the seconds per
unit and the fixed part of a fit. ``predict`` then does plain arithmetic with that measurement: the
candidates the strategy would try (the grid's own points, or draws from the space for the other
strategies), the rows (roughly linear), the folds, the pruner's rungs (what ASHA/Hyperband would let each
candidate reach, with the ladder's floor of complete trials), the workers, and the stop rules. Tests give
``predict`` a made-up ``Probe``, so the arithmetic is checked exactly.

While a study runs, ``eta_seconds`` turns the measured trial times (recent ones weighted more) and the
running trials' elapsed time into the time left.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tuning.config import ExecutorName, PrunerName, ResolvedConfig, StrategyName
from tuning.context import EvalContext
from tuning.errors import ConfigError
from tuning.ladder import MIN_COMPLETE
from tuning.protocol import Candidate, TrialState
from tuning.space import CategoricalParam, FixedParam, FloatParam, IntParam, SearchSpace
from tuning.stoprule import MIN_TRIALS as PLATEAU_MIN_TRIALS
from tuning.study import LoadedData, make_context, model_threads
from tuning.trainers import trainer_for

#: Seconds the probe may take in all (its fits run in a thread that is abandoned, and told to stop, past it).
PROBE_CAP_S = 4.0
#: Training rows the probe's fold fits on at most; larger tables are subsampled and scaled back up.
PROBE_ROWS = 20_000
#: How fit time grows with rows, per family (1 = linear); families not named are about linear.
ROW_EXPONENT = {"svm": 2.0, "knn": 1.5, "random_forest": 1.1, "extra_trees": 1.1, "decision_tree": 1.1}
#: The parameter whose value a fit's cost is proportional to (boosting rounds, trees).
UNIT_PARAM = "n_estimators"
#: Per-trial seconds outside the fit (asking the strategy, storing the outcome), and a study's own (creating it,
#: starting its thread, recording its end): measured on small studies of a cheap model (bench_estimate).
ASK_S = {StrategyName.TPE: 0.01, StrategyName.ANNEAL: 0.01, StrategyName.RANDOM: 0.005, StrategyName.GRID: 0.005}
STUDY_S = 0.1
#: Candidates drawn from the space to average a non-grid study's trial cost over (and a grid's points, at most).
DRAWS = 256
GRID_POINTS_COSTED = 4096
ETA = 3  # the pruners' reduction factor (the runner's)
HYPERBAND_BRACKETS = 3
_SAMPLING = ("subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")


@dataclass(frozen=True)
class Probe:
    """What the probe measured, per fold, at ``probe_rows`` training rows and ``threads`` model threads.

    A fit of ``u`` units costs ``fit_s + unit_s * u`` (``unit_s`` is 0 for families without a unit
    parameter); ``setup_s`` is paid once per fold and worker (preprocessing, XGBoost's matrices)."""

    model: str
    resource: str  # the trainer's: "rounds" (boosting continues between rungs) or "rows" (a refit per rung)
    fold_rows: int  # training rows of one of the study's folds
    probe_rows: int  # training rows the probe fitted on
    fit_s: float
    unit_s: float = 0.0
    setup_s: float = 0.0
    unit_param: str | None = None
    threads: int = 1
    concurrent: int = 1  # copies fitted at once (the study's parallel trials, with the threads executor)
    n_classes: int = 0
    capped: bool = False  # the probe ran out of time: the estimate is a lower bound
    wall_s: float = 0.0  # what the probe itself took

    def fold_cost(self, params: dict[str, Any], *, units: float | None = None, rows: float | None = None) -> float:
        """Seconds of one fold's fit of ``params`` at ``units`` (default: the candidate's own) and ``rows``."""
        if units is None:
            units = _units(params, self.unit_param)
        scale = ((rows if rows is not None else self.fold_rows) / max(1, self.probe_rows)) ** ROW_EXPONENT.get(
            self.model, 1.0
        )
        return (self.fit_s + self.unit_s * units) * scale


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


# -- the probe ------------------------------------------------------------------------------------------------


def centre(space: SearchSpace) -> dict[str, Any]:
    """Every range at its centre (geometric for log ranges), choices at their first value, fixed values kept."""
    out: dict[str, Any] = {}
    for p in space.params:
        if not p.is_active(out):
            continue
        if isinstance(p, FixedParam):
            out[p.name] = p.value
        elif isinstance(p, CategoricalParam):
            out[p.name] = p.values[0]
        elif isinstance(p, (IntParam, FloatParam)):
            mid = math.sqrt(p.low * p.high) if p.log and p.low > 0 else (p.low + p.high) / 2
            out[p.name] = p.clip(mid)
    return out


def probe_context(config: ResolvedConfig, data: LoadedData, *, max_rows: int = PROBE_ROWS) -> EvalContext:
    """The study's evaluation context cut to its first fold, on at most ``max_rows`` training rows."""
    from tuning.trainers.sklearn import subsample

    task = str(config.task or "")
    k = config.cv
    n_train = len(data.train_idx)
    want = min(n_train, math.ceil(max_rows * k / max(1, k - 1)))
    if want < n_train:
        y = data.prepared.y[data.train_idx]
        idx = subsample(y, want, seed=config.seed, stratify=task == "classification")
        data = LoadedData(data.prepared, data.train_idx[np.sort(idx)], None)
    threads = model_threads(config.workers) if config.executor is ExecutorName.THREADS else 1
    ctx = make_context(config, data, n_jobs=threads)
    return dataclasses.replace(ctx, folds=ctx.folds[:1], early_stopping_rounds=None, trial_timeout=None)


def probe(
    config: ResolvedConfig,
    data: LoadedData,
    *,
    cap_s: float = PROBE_CAP_S,
    max_rows: int = PROBE_ROWS,
    cores: int | None = None,
) -> Probe:
    """Time the space's centre on the study's first fold (``cap_s`` seconds at most, whatever the fit costs).

    With a unit parameter: a 1-unit fit (paying the fold's setup), the same again (the fixed part), then
    one with as many units as the time left allows (the slope). With the threads executor, as many copies
    fit at once as the study runs trials at once, so the measurement includes what they cost each other
    (the GIL, memory, the cores). Raises ConfigError when the fit fails."""
    t0 = time.perf_counter()
    deadline = t0 + cap_s
    ctx = probe_context(config, data, max_rows=max_rows)
    y = data.prepared.y[data.train_idx]
    probe_rows = len(ctx.folds[0][0])
    # a fold's training rows: all but the largest validation fold (the probe's own when it used every row)
    fold_rows = probe_rows if len(ctx.y) == len(y) else len(y) - math.ceil(len(y) / config.cv)
    params = centre(config.space)
    unit = UNIT_PARAM if isinstance(params.get(UNIT_PARAM), (int, float)) else None
    at_once = max(1, min(config.workers, cores or os.cpu_count() or 1))
    if config.executor is not ExecutorName.THREADS:
        at_once = 1  # processes do not share a GIL: one copy says what each costs
    common: dict[str, Any] = {
        "model": config.model,
        "resource": trainer_for(config.model).resource,
        "fold_rows": fold_rows,
        "probe_rows": probe_rows,
        "unit_param": unit,
        "threads": ctx.n_jobs,
        "n_classes": int(y.max()) + 1 if config.task == "classification" and len(y) else 0,
        "concurrent": at_once,
    }

    def done(**m: Any) -> Probe:
        return Probe(**common, **m, wall_s=time.perf_counter() - t0)

    with _Fitters(ctx, at_once) as fit:
        if unit is None:
            first = fit(params, deadline)
            if first is None:
                return done(fit_s=cap_s, capped=True)
            again = fit(params, deadline)
            return done(fit_s=again or first, setup_s=max(0.0, first - (again or first)))
        full = max(1, int(params[unit]))
        first = fit({**params, unit: 1}, deadline)
        if first is None:
            return done(fit_s=cap_s, capped=True)
        base = fit({**params, unit: 1}, deadline)
        if base is None:
            return done(fit_s=first, capped=True)
        left = deadline - time.perf_counter()
        # the second point: as many units as a third of the time left buys, judged from the 1-unit fit
        n = int(min(max(full, 8), max(4, (left / 3) / max(base, 1e-4))))
        more = fit({**params, unit: n}, deadline)
        if more is None:  # out of time: every unit costs at least what the rest of the time over n does
            return done(fit_s=base, unit_s=max(0.0, (deadline - time.perf_counter()) / n), capped=True)
        unit_s = max(0.0, (more - base) / (n - 1))
        return done(fit_s=max(0.0, base - unit_s), unit_s=unit_s, setup_s=max(0.0, first - base))


class _Fitters:
    """``k`` probe threads that each fit the same candidate at once; a call returns their mean seconds, or None
    when they were not all done by the deadline (they are told to stop and abandoned: the page never waits)."""

    def __init__(self, ctx: EvalContext, k: int) -> None:
        self.ctx, self.k = ctx, k
        self.stop = threading.Event()
        self.jobs: list[queue.SimpleQueue[dict[str, Any] | None]] = [queue.SimpleQueue() for _ in range(k)]
        self.results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for q in self.jobs:
            threading.Thread(target=self._serve, args=(q,), daemon=True, name="estimate-probe").start()

    def _serve(self, jobs: queue.SimpleQueue[dict[str, Any] | None]) -> None:
        from tuning.evaluate import run_trial

        while (params := jobs.get()) is not None:
            self.results.put(run_trial(self.ctx, Candidate(0, params), self.stop))

    def __enter__(self) -> Callable[[dict[str, Any], float], float | None]:
        return self.fit

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for q in self.jobs:
            q.put(None)

    def fit(self, params: dict[str, Any], deadline: float) -> float | None:
        for q in self.jobs:
            q.put(params)
        outs = []
        for _ in range(self.k):
            try:
                outs.append(self.results.get(timeout=max(0.0, deadline - time.perf_counter())))
            except queue.Empty:
                return None
        bad = next((o for o in outs if o.state is not TrialState.COMPLETE), None)
        if bad is not None:
            raise ConfigError(
                f"The time estimate could not fit the space's centre: {bad.error or bad.state.value}.",
                fix="Check the search space; the search itself may still run.",
            )
        return float(np.mean([o.duration_s for o in outs]))


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


def _units(params: dict[str, Any], unit: str | None) -> float:
    v = params.get(unit) if unit else None
    return float(v) if isinstance(v, (int, float)) else 0.0


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
            step = p.fit_s * _row_scale(p, p.fold_rows) + p.unit_s * (budget - before) * _row_scale(p, p.fold_rows)
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
        groups[key] = max(groups.get(key, 0.0), _units(c, p.unit_param))
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
    return lambda params: trainer.rung_budgets(ctx, params, eta=ETA, min_budget=None)


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
