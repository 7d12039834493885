"""XGBoost's trainer: native boosters on fold matrices built once per worker, rounds as the resource.

- One ``QuantileDMatrix`` per (fold, max_bin) and worker thread, the validation matrix built with
  ``ref=`` the training one (as ``XGBClassifier.fit`` does), so a trial spends its time boosting.
- Scores come from one prediction per split: the training rows' predictions are XGBoost's own
  prediction cache (free after training), the validation rows' one ``predict``; the study's metric
  still goes through scikit-learn's scorer, so scores equal ``GridSearchCV`` on ``XGBClassifier``.
- Multi-fidelity: a candidate climbs rungs of boosting rounds; its fold boosters are kept between
  rungs and continue (never refit) when promoted. Rungs are counted in ``learning_rate x rounds``
  (boosting progress), so a slow learning rate is compared with a fast one at equal progress.
- Staged predictions: in a grid, candidates that differ only in ``n_estimators`` share one set of fold
  boosters: a larger value continues them, a smaller one is scored with ``iteration_range``. Only
  without row/column sampling, where continuing is bit-identical to a separate fit (with sampling,
  XGBoost's per-thread random state would differ after other fits ran, so each candidate fits alone).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import re
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tuning.protocol import Candidate, Curves, TrialOutcome, curve_round
from tuning.trainers.base import FoldScores, Predictions, Scorer, Trainer, check_stop, fold_data

if TYPE_CHECKING:
    from tuning.evaluate import EvalContext
    from tuning.executors import StopFlag

#: Boosting progress (learning_rate x rounds) of the first rung, and the fewest rounds a rung has. Measured on
#: three real tables (benchmarks/bench_rungs.py --table; cps1988, credit, ames; 45 configurations each): the
#: top third at progress 1 held 0-1 of the final top 5, at 3 held 2-3, at 9 held 4-5, from 27 on all 5.
MIN_PROGRESS = 9.0
MIN_ROUNDS = 5
#: Candidates whose boosters are kept for continuation / staged fits shared, per study and process.
KEEP_RUNS = 64
KEEP_STAGED = 64

_MAXIMIZE = ("auc", "aucpr", "pre", "pre@", "map", "ndcg", "auc@", "aucpr@", "map@", "ndcg@")
_EVAL_RE = re.compile(r"\t([^\s:]+)-([^\s:]+):([^\s]+)")


@dataclass
class _FoldRun:
    """One fold's booster and what it has done so far."""

    booster: Any
    rounds: int = 0
    fit_s: float = 0.0
    curves: dict[str, list[float]] = field(default_factory=dict)  # "train"/"valid" at curve_rounds; "es" per round
    curve_rounds: list[int] = field(default_factory=list)  # the rounds "train" and "valid" were evaluated at
    best_iteration: int | None = None
    best_score: float | None = None
    since_best: int = 0
    stopped_early: bool = False
    metric: str = ""


@dataclass
class _Run:
    """A candidate's fold boosters between rungs."""

    folds: list[_FoldRun]


class _Bounded:
    """A small thread-safe LRU map."""

    def __init__(self, maxsize: int) -> None:
        self._d: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def pop(self, key: Any) -> Any:
        with self._lock:
            return self._d.pop(key, None)

    def get(self, key: Any) -> Any:
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.maxsize:
                self._d.popitem(last=False)


def _metric_name(log_line: str) -> list[tuple[str, str, float]]:
    return [(m.group(1), m.group(2), float(m.group(3))) for m in _EVAL_RE.finditer(log_line)]


class XGBoostTrainer(Trainer):
    resource = "rounds"

    # -- budgets ----------------------------------------------------------------------------------

    def full_budget(self, ctx: EvalContext, params: dict[str, Any]) -> int:
        n = params.get("n_estimators")
        return int(n) if n is not None else 100

    def rung_budgets(
        self, ctx: EvalContext, params: dict[str, Any], *, eta: int, min_budget: int | None, below: int = 0
    ) -> list[int]:
        """Rounds at progress MIN_PROGRESS, x eta, x eta**2... (progress = learning_rate x rounds), then the
        full fit; ``below`` rungs under MIN_PROGRESS first (MIN_PROGRESS / eta**below: Hyperband's early brackets).

        Measured while planning (issue 7): ranking candidates at equal rounds kept 1 of the final top 5
        configurations, at equal progress 4-5 of 5, because a low learning rate starts slowly. On real tables
        (issue 18) a first rung below progress 9 cut most of the final top 5: see MIN_PROGRESS."""
        full = self.full_budget(ctx, params)
        if params.get("booster") == "gblinear":
            lr = float(params.get("learning_rate") or 0.5)
        else:
            lr = float(params.get("learning_rate") or 0.3)
        progress = float(min_budget) if min_budget else MIN_PROGRESS / eta**below
        out: list[int] = []
        while True:
            rounds = max(MIN_ROUNDS, math.ceil(progress / max(lr, 1e-6) - 1e-9))
            if rounds >= full:
                break
            if not out or rounds > out[-1]:
                out.append(rounds)
            progress *= eta
        return [*out, full]

    def hints(self, space: Any, *, strategy: str, pruner: str | None = None) -> dict[str, Any]:
        """In a grid over n_estimators, candidates that differ only in it share their boosters (staged)."""
        if strategy != "grid" or (pruner not in (None, "", "none")) or "n_estimators" not in space.names:
            return {}
        return {"staged": len(set(map(repr, space["n_estimators"].grid(space.grid_points)))) > 1}

    def release(self, ctx: EvalContext, number: int) -> None:
        _runs(ctx).pop(number)

    def cheap_start(self, space: Any) -> dict[str, Any] | None:
        """The fewest rounds and shallowest trees of the space, everything else at the space's centre
        (``SearchSpace.centre``): a first score in about a second."""
        from tuning.space import FloatParam, IntParam

        cost = ("n_estimators", "max_depth")
        if not any(isinstance(p, (IntParam, FloatParam)) and p.name in cost for p in space.searched):
            return None
        return space.centre(low=set(cost))

    # -- evaluation -------------------------------------------------------------------------------

    def evaluate(self, ctx: EvalContext, candidate: Candidate, stop: StopFlag) -> TrialOutcome:
        import xgboost as xgb

        from tuning.models import make_estimator

        params = candidate.params
        est = make_estimator("xgboost", ctx.task, params, n_jobs=ctx.n_jobs, device=ctx.device, seed=ctx.seed)
        n_classes = int(ctx.y.max()) + 1 if ctx.task == "classification" else 0
        bparams = est.get_xgb_params()
        if n_classes > 2 and bparams.get("objective") != "multi:softmax":
            bparams["objective"] = "multi:softprob"
            bparams["num_class"] = n_classes
        pruned_study = candidate.rung is not None
        if pruned_study:
            # Boosters resume on other threads between rungs: seed each round from (seed, round) so the
            # row and column samples do not depend on what else ran on the thread (continued == one fit).
            bparams["seed_per_iteration"] = True
        full = self.full_budget(ctx, params)
        budget = min(candidate.budget or full, full)
        es = ctx.early_stopping_rounds
        gbtree = params.get("booster", "gbtree") == "gbtree"
        staged = bool(ctx.hints.get("staged")) and gbtree and not es and not pruned_study and not _samples(params)
        max_bin = params.get("max_bin")
        record = ctx.record_curves or bool(es)
        scorer = ctx.scorer_for(est)
        acc = FoldScores()

        guard: Any = contextlib.nullcontext()
        if staged:
            folds, guard = self._staged(ctx, params, bparams, budget, max_bin, record, stop, xgb)
            shared_s = [f.fit_s * min(budget, f.rounds) / max(f.rounds, 1) for f in folds]
        else:
            run = _runs(ctx).pop(candidate.number) if pruned_study else None
            kept = run.folds if run is not None and all(f.rounds <= budget for f in run.folds) else None
            folds = self._boost(ctx, bparams, kept, budget, max_bin, record, stop, xgb, horizon=full)
            shared_s = None
            if pruned_study and budget < full and not any(f.stopped_early for f in folds):
                _runs(ctx).put(candidate.number, _Run(folds))
        check_stop(stop)

        with guard:  # boosters shared by staged siblings predict one thread at a time
            self._score(ctx, folds, budget, max_bin, n_classes, scorer, acc, shared_s, xgb)
            size, unit = _mean_size(folds, budget, es)
            shared_to = max(f.rounds for f in folds)
        curves = _summarize(folds, budget if staged else None, es) if ctx.record_curves or es else None
        note = f"scored from boosters shared with its n_estimators siblings ({shared_to} rounds)" if staged else None
        reached = budget if staged else max(f.rounds for f in folds)
        return acc.outcome(
            params,
            ctx.metric,
            curves=curves,
            note=note,
            budget=reached if candidate.budget is not None else None,
            model_size=size,
            model_size_unit=unit,
        )

    def _score(
        self,
        ctx: EvalContext,
        folds: list[_FoldRun],
        budget: int,
        max_bin: Any,
        n_classes: int,
        scorer: Scorer,
        acc: FoldScores,
        shared_s: list[float] | None,
        xgb: Any,
    ) -> None:
        es = ctx.early_stopping_rounds
        for i, fr in enumerate(folds):
            dtr, dva, _ = _matrices(ctx, i, max_bin, es, xgb)
            fd = fold_data(ctx, i, scale=False, impute=False)
            y_fit = _fit_rows(ctx, fd, es)[1]
            if fr.best_iteration is not None and es:
                rng: tuple[int, int] = (0, fr.best_iteration + 1)
            elif fr.rounds > budget:
                rng = (0, budget)
            else:
                rng = (0, 0)
            t = time.perf_counter()
            pv = _predictions(fr.booster, dva, rng, n_classes)
            pt = _predictions(fr.booster, dtr, rng, n_classes)
            sv, st = scorer(pv, fd.y_va), scorer(pt, y_fit)
            fit_s = shared_s[i] if shared_s is not None else fr.fit_s
            acc.add(sv, st, fit_s=fit_s, score_s=time.perf_counter() - t)

    # -- boosting ---------------------------------------------------------------------------------

    def _boost(
        self,
        ctx: EvalContext,
        bparams: dict[str, Any],
        folds: list[_FoldRun] | None,
        budget: int,
        max_bin: Any,
        record: bool,
        stop: StopFlag,
        xgb: Any,
        horizon: int | None = None,
    ) -> list[_FoldRun]:
        """Boost every fold to ``budget`` rounds (continuing the given boosters), checking stop each round.

        The curve's points are spaced over ``horizon``, the trial's full rounds (default ``budget``), and the
        last round boosted is always one: a trial cut at a rung of 17 of its 300 rounds is evaluated about 10
        times, not 17 (under early cut most fits are short, and each evaluation call costs about a millisecond
        whatever it adds), and its curve is the start of the one a full fit draws."""
        es = ctx.early_stopping_rounds
        horizon = max(horizon or budget, budget)
        out = []
        for i in range(len(ctx.folds)):
            check_stop(stop)
            dtr, dva, des = _matrices(ctx, i, max_bin, es, xgb)
            evals = [(dtr, "train"), (dva, "valid")] + ([(des, "es")] if des is not None else [])
            fr = folds[i] if folds is not None else _FoldRun(xgb.Booster(bparams, [d for d, _ in evals]))
            t = time.perf_counter()
            rounds = _Rounds(fr.booster, dtr, evals if record else [])
            while fr.rounds < budget and not fr.stopped_early:
                if stop.is_set():
                    check_stop(stop)
                rounds.update(fr.rounds)
                point = record and (curve_round(fr.rounds, horizon, ctx.curve_points) or fr.rounds == budget - 1)
                if point or es:  # early stopping watches its rows every round; the curve, at its points
                    for name, metric, value in _metric_name(rounds.evaluate(fr.rounds, es_only=not point)):
                        fr.curves.setdefault(name, []).append(value)
                        fr.metric = metric
                    if point:
                        fr.curve_rounds.append(fr.rounds)
                    if es:
                        self._early_stop(fr, es)
                fr.rounds += 1
            fr.fit_s += time.perf_counter() - t
            out.append(fr)
        return out

    @staticmethod
    def _early_stop(fr: _FoldRun, patience: int) -> None:
        """XGBoost's EarlyStopping rule on the rows carved from the training fold (the last eval set)."""
        metric = fr.metric
        value = fr.curves["es"][-1]
        maximize = metric != "mape" and any(str(metric).startswith(x) for x in _MAXIMIZE)
        if fr.best_score is None or (value > fr.best_score if maximize else value < fr.best_score):
            fr.best_score, fr.best_iteration, fr.since_best = value, fr.rounds, 0
        else:
            fr.since_best += 1
            if fr.since_best >= patience:
                fr.stopped_early = True

    def _staged(
        self,
        ctx: EvalContext,
        params: dict[str, Any],
        bparams: dict[str, Any],
        rounds: int,
        max_bin: Any,
        record: bool,
        stop: StopFlag,
        xgb: Any,
    ) -> tuple[list[_FoldRun], threading.Lock]:
        """The fold boosters ``params`` shares with its n_estimators siblings, boosted to at least ``rounds``;
        returned with the lock that guards them (hold it while predicting)."""
        key = tuple(sorted((k, repr(v)) for k, v in params.items() if k != "n_estimators"))
        lock = ctx.cache.shared(("xgb-staged-lock", key), threading.Lock)
        with lock:
            run = _staged(ctx).get(key)
            folds = run.folds if run is not None else None
            if folds is None or any(f.rounds < rounds for f in folds):
                folds = self._boost(ctx, bparams, folds, rounds, max_bin, record, stop, xgb)
                _staged(ctx).put(key, _Run(folds))
        return folds, lock


class _Rounds:
    """One boosting round and its evaluation, without XGBoost's per-call Python checks.

    ``Booster.update`` and ``Booster.eval_set`` re-validate every matrix's feature names on every call
    (``_assign_dmatrix_features``: 15% of a trial's samples in a native profile). The matrices of a fold never
    change, so they are validated once here, exactly as those methods would, and each round then makes the
    same two C calls they make (``XGBoosterUpdateOneIter``, ``XGBoosterEvalOneIter``): the same booster, bit
    for bit. Falls back to the public methods if XGBoost's internals move.
    """

    def __init__(self, booster: Any, dtrain: Any, evals: list[tuple[Any, str]]) -> None:
        self.booster, self.dtrain, self.evals = booster, dtrain, evals
        try:
            from xgboost import core

            self._core: Any = core
            for d in [dtrain, *(d for d, _ in evals)]:
                booster._assign_dmatrix_features(d)
            self._dmats = core.c_array(ctypes.c_void_p, [d.handle for d, _ in evals])
            self._names = core.c_array(ctypes.c_char_p, [core.c_str(n) for _, n in evals])
            last = evals[-1:]  # the early-stopping set alone (the last one)
            self._last = (
                core.c_array(ctypes.c_void_p, [d.handle for d, _ in last]),
                core.c_array(ctypes.c_char_p, [core.c_str(n) for _, n in last]),
            )
        except (ImportError, AttributeError):  # another XGBoost: the public, checked path
            self._core = None

    def update(self, iteration: int) -> None:
        core = self._core
        if core is None:
            self.booster.update(self.dtrain, iteration)
            return
        core._check_call(
            core._LIB.XGBoosterUpdateOneIter(self.booster.handle, ctypes.c_int(iteration), self.dtrain.handle)
        )

    def evaluate(self, iteration: int, *, es_only: bool = False) -> str:
        """XGBoost's evaluation line for every set, or (``es_only``) for the last one alone."""
        core = self._core
        if core is None:
            return str(self.booster.eval_set(self.evals[-1:] if es_only else self.evals, iteration))
        dmats, names = self._last if es_only else (self._dmats, self._names)
        n = 1 if es_only else len(self.evals)
        msg = ctypes.c_char_p()
        core._check_call(
            core._LIB.XGBoosterEvalOneIter(
                self.booster.handle, ctypes.c_int(iteration), dmats, names, core.c_bst_ulong(n), ctypes.byref(msg)
            )
        )
        assert msg.value is not None
        return msg.value.decode()


def _mean_size(folds: list[_FoldRun], budget: int, es: int | None) -> tuple[float | None, str | None]:
    """Mean model size over folds, counting the rounds each fold's predictions use."""
    from tuning.complexity import model_size

    sizes, unit = [], None
    for fr in folds:
        rounds = fr.best_iteration + 1 if (es and fr.best_iteration is not None) else min(budget, fr.rounds)
        size, unit = model_size(fr.booster, "xgboost", rounds=rounds)
        if size is not None:
            sizes.append(size)
    return (float(np.mean(sizes)), unit) if sizes else (None, None)


def _samples(params: dict[str, Any]) -> bool:
    """Whether boosting draws rows or columns at random (then continuing is not identical to one fit)."""
    keys = ("subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")
    return any(float(params.get(k, 1.0) if params.get(k) is not None else 1.0) < 1.0 for k in keys)


def _runs(ctx: EvalContext) -> _Bounded:
    return ctx.cache.shared("xgb-runs", lambda: _Bounded(KEEP_RUNS))


def _staged(ctx: EvalContext) -> _Bounded:
    return ctx.cache.shared("xgb-staged", lambda: _Bounded(KEEP_STAGED))


def _fit_rows(ctx: EvalContext, fd: Any, es: int | None) -> tuple[Any, np.ndarray, Any, np.ndarray | None]:
    """The rows boosted on, and (with early stopping) the 15% of the training fold it watches."""
    if not es:
        return fd.X_tr, fd.y_tr, None, None
    from tuning.evaluate import early_stopping_split

    fit_idx, es_idx = early_stopping_split(fd.y_tr, task=ctx.task, seed=ctx.seed)
    return fd.X_tr[fit_idx], fd.y_tr[fit_idx], fd.X_tr[es_idx], fd.y_tr[es_idx]


def _matrices(ctx: EvalContext, i: int, max_bin: Any, es: int | None, xgb: Any) -> tuple[Any, Any, Any]:
    """(train, validation, early-stopping) matrices of fold ``i`` for this worker thread."""

    def build() -> tuple[Any, Any, Any]:
        fd = fold_data(ctx, i, scale=False, impute=False)
        X_fit, y_fit, X_es, y_es = _fit_rows(ctx, fd, es)
        kw: dict[str, Any] = {"nthread": ctx.n_jobs, "max_bin": max_bin}
        try:
            dtr = xgb.QuantileDMatrix(X_fit, y_fit, **kw)
            dva = xgb.QuantileDMatrix(fd.X_va, fd.y_va, ref=dtr, **kw)
            des = xgb.QuantileDMatrix(X_es, y_es, ref=dtr, **kw) if X_es is not None else None
        except TypeError:  # data QuantileDMatrix cannot take (as XGBClassifier falls back)
            dtr = xgb.DMatrix(X_fit, y_fit, nthread=ctx.n_jobs)
            dva = xgb.DMatrix(fd.X_va, fd.y_va, nthread=ctx.n_jobs)
            des = xgb.DMatrix(X_es, y_es, nthread=ctx.n_jobs) if X_es is not None else None
        return dtr, dva, des

    return ctx.cache.local(("xgb-dm", i, max_bin, es), build)


def _predictions(booster: Any, dmat: Any, rng: tuple[int, int], n_classes: int) -> Predictions:
    """One prediction of the split, shaped as XGBClassifier / XGBRegressor would return it."""
    raw = booster.predict(dmat, iteration_range=rng)
    if not n_classes:
        return Predictions(pred=lambda: raw)
    classes = np.arange(n_classes)
    if raw.ndim == 1:  # binary:logistic gives P(class 1); XGBClassifier stacks 1 - p beside it
        proba = np.vstack((1 - raw, raw)).transpose()
        pred = (raw > 0.5).astype(np.int64)
    else:
        proba = raw
        pred = np.argmax(raw, axis=1)
    return Predictions(pred=lambda: pred, proba=lambda: proba, classes=classes)


def _summarize(folds: list[_FoldRun], upto: int | None, es: int | None) -> dict[str, Any] | None:
    """Mean and spread over folds at each curve point (folds stopped early are padded with NaN), in the
    stored form of :class:`~tuning.protocol.Curves`. ``upto``: only the rounds before it (a staged sibling)."""
    limit = upto if upto is not None else max(f.rounds for f in folds)
    keep = [[j for j, r in enumerate(f.curve_rounds) if r < limit] for f in folds]
    va = [[f.curves.get("valid", [])[j] for j in k] for f, k in zip(folds, keep, strict=True)]
    if not any(va):
        return None
    tr = [[f.curves.get("train", [])[j] for j in k] for f, k in zip(folds, keep, strict=True)]
    longest = max(range(len(folds)), key=lambda i: len(keep[i]))
    rounds = [folds[longest].curve_rounds[j] for j in keep[longest]]
    metric = next((f.metric for f in folds if f.metric), "")
    n = len(rounds)

    def pad(curves: list[list[float]]) -> np.ndarray:
        return np.array([list(c) + [np.nan] * (n - len(c)) for c in curves], dtype=float)

    A, B = pad(tr), pad(va)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point no fold reached: NaN
        out = {
            "train_mean": np.nanmean(A, axis=0),
            "train_std": np.nanstd(A, axis=0),
            "val_mean": np.nanmean(B, axis=0),
            "val_std": np.nanstd(B, axis=0),
        }
    best = [int(f.best_iteration) if f.best_iteration is not None else min(limit, f.rounds) - 1 for f in folds]
    return Curves(
        metric=metric,
        rounds=tuple(rounds),
        train_mean=_rounded(out["train_mean"]),
        train_std=_rounded(out["train_std"]),
        val_mean=_rounded(out["val_mean"]),
        val_std=_rounded(out["val_std"]),
        best_iteration=tuple(best),
        early_stopping_rounds=es,
    ).to_dict()


def _rounded(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(f"{x:.6g}") for x in values)
