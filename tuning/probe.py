"""The probe behind a study's time estimate: one small candidate timed on the study's first fold, under a cap.

``probe`` fits the space's centre with 1 unit of the family's cost parameter (boosting rounds, trees:
``n_estimators``) twice (the first pays the fold's setup), then with as many units as the time left allows
(the slope), and the deepest trees the space can try on fewer units (how depth multiplies a unit's cost).
With the threads executor it fits as many copies at once as the study runs trials at once, so what they cost
each other (the GIL, memory, the cores) is in the measurement. A fit still running at the cap is told to
stop and left behind: the caller never waits longer. ``tuning.estimate`` does the arithmetic.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuning.config import ExecutorName, ResolvedConfig
from tuning.context import EvalContext
from tuning.errors import ConfigError
from tuning.protocol import Candidate, TrialState
from tuning.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from tuning.study import LoadedData, make_context, model_threads
from tuning.trainers import trainer_for

#: Seconds the probe may take in all (its fits run in a thread that is abandoned, and told to stop, past it).
PROBE_CAP_S = 4.0
#: Training rows the probe's fold fits on at most; larger tables are subsampled and scaled back up.
PROBE_ROWS = 20_000
#: How fit time grows with rows, per family (1 = linear); families not named are about linear.
ROW_EXPONENT = {"svm": 2.0, "knn": 1.5, "random_forest": 1.1, "extra_trees": 1.1, "decision_tree": 1.1}
#: The parameter whose value a fit's cost is proportional to (boosting rounds, trees), and the tree depth,
#: whose cost the probe times at two values.
UNIT_PARAM = "n_estimators"
DEPTH_PARAM = "max_depth"


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
    depth: float = 0.0  # the probe candidate's tree depth (max_depth), when the space has one
    depth_hi: float = 0.0  # the deeper trees it also timed (0: none)
    depth_factor: float = 1.0  # unit cost at depth_hi over unit cost at depth
    capped: bool = False  # the probe ran out of time: the estimate is a lower bound
    wall_s: float = 0.0  # what the probe itself took

    def fold_cost(self, params: dict[str, Any], *, units: float | None = None, rows: float | None = None) -> float:
        """Seconds of one fold's fit of ``params`` at ``units`` (default: the candidate's own) and ``rows``."""
        if units is None:
            units = units_of(params, self.unit_param)
        scale = ((rows if rows is not None else self.fold_rows) / max(1, self.probe_rows)) ** ROW_EXPONENT.get(
            self.model, 1.0
        )
        deep = self.depth_scale(params)
        if self.unit_param is None:
            return self.fit_s * deep * scale
        return (self.fit_s + self.unit_s * deep * units) * scale

    def depth_scale(self, params: dict[str, Any]) -> float:
        """How much more a unit of ``params`` costs than the probe's, for its tree depth: geometric between the
        probe's depth and the deeper one it also timed (deeper trees cost between linearly and exponentially
        more), extended at the same rate below."""
        d = params.get(DEPTH_PARAM) if self.depth_hi > self.depth else None
        if not isinstance(d, (int, float)) or isinstance(d, bool) or self.depth_factor <= 1.0:
            return 1.0
        return float(self.depth_factor ** ((float(d) - self.depth) / (self.depth_hi - self.depth)))


def centre(space: SearchSpace) -> dict[str, Any]:
    """The candidate the probe fits: the space's centre (``SearchSpace.centre``)."""
    return space.centre()


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def deepest(space: SearchSpace) -> float | None:
    """The largest tree depth the space can try (None: it has no numeric depth)."""
    if DEPTH_PARAM not in space.names:
        return None
    p = space[DEPTH_PARAM]
    if isinstance(p, (IntParam, FloatParam)):
        return float(p.high)
    if isinstance(p, CategoricalParam):
        numbers = [float(v) for v in p.values if _is_number(v)]
        return max(numbers) if numbers else None
    return None


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

    depth, hi = params.get(DEPTH_PARAM), deepest(config.space)
    deeper = float(depth) if isinstance(depth, (int, float)) and hi is not None and hi > depth else None
    with _Fitters(ctx, at_once) as fit:
        if unit is None:
            first = fit(params, deadline)
            if first is None:
                return done(fit_s=cap_s, capped=True)
            again = fit(params, deadline) or first
            measured = {"fit_s": again, "setup_s": max(0.0, first - again)}
            if deeper is not None and hi is not None:
                measured |= _deeper(
                    fit, {**params, DEPTH_PARAM: _as_type(depth, hi)}, deadline, deeper, hi, 1, 0.0, again
                )
            return done(**measured)
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
        t = time.perf_counter()
        more = fit({**params, unit: n}, deadline)
        if more is None:  # out of time: every unit costs at least what the fit had run over n
            return done(fit_s=base, unit_s=max(0.0, (time.perf_counter() - t) / n), capped=True)
        unit_s = max(0.0, (more - base) / (n - 1))
        fit_s = max(0.0, base - unit_s)
        measured = {"fit_s": fit_s, "unit_s": unit_s, "setup_s": max(0.0, first - base)}
        if deeper is not None and hi is not None and unit_s > 0:
            k = max(2, n // 4)  # the deepest trees on fewer units: each may cost many times more
            measured |= _deeper(
                fit, {**params, unit: k, DEPTH_PARAM: _as_type(depth, hi)}, deadline, deeper, hi, k, fit_s, unit_s
            )
        return done(**measured)


def _deeper(
    fit: Callable[[dict[str, Any], float], float | None],
    params: dict[str, Any],
    deadline: float,
    depth: float,
    hi: float,
    units: int,
    fixed: float,
    per: float,
) -> dict[str, float]:
    """The Probe fields of a fit of the deepest trees (``units`` of them; ``fixed`` + ``per`` each at ``depth``)."""
    t = time.perf_counter()
    took = fit(params, deadline)
    took = took if took is not None else time.perf_counter() - t  # out of time: it costs at least this
    return {"depth": depth, "depth_hi": hi, "depth_factor": max(1.0, max(0.0, took - fixed) / units / max(per, 1e-9))}


def _as_type(like: Any, value: float) -> Any:
    """``value`` as an int when the parameter it replaces is one (max_depth=10, not 10.0)."""
    return int(value) if isinstance(like, int) else value


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


def units_of(params: dict[str, Any], unit: str | None) -> float:
    v = params.get(unit) if unit else None
    return float(v) if isinstance(v, (int, float)) else 0.0
