"""The arms: continue, refresh, stack and retrain a base model on new data, each scored on new and old rows."""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import ConfigError, DataError
from tuning.evaluate import (
    early_stopping_split,
    holdout_split,
)
from tuning.finetune._common import MAX_CURVE_POINTS, ArmKind, Steps
from tuning.finetune.base import BaseModel
from tuning.finetune.report import verdict
from tuning.finetune.results import ArmResult, Curve, FinetuneResult, FinetuneSettings, SplitInfo
from tuning.finetune.table import Table, check_table, resolve_metric, score_output


@dataclass(frozen=True)
class _Parts:
    """Row positions of each part: new rows to fit on, to watch early stopping on, held out; old rows."""

    fit: np.ndarray
    es: np.ndarray
    hold: np.ndarray
    old_train: np.ndarray | None = None
    old_hold: np.ndarray | None = None

    @property
    def adapt(self) -> np.ndarray:
        return np.sort(np.concatenate([self.fit, self.es]))


def planned_steps(base: BaseModel, settings: FinetuneSettings, *, has_old: bool) -> int:
    """How many steps (progress messages) :func:`finetune` will announce: a progress bar's total."""
    arms = settings.arms or base.arms()
    if base.is_xgboost:
        n = len(settings.rates(base.learning_rate)) if ArmKind.CONTINUE in arms else 0
        n += sum(k in arms for k in (ArmKind.REFRESH, ArmKind.STACK, ArmKind.RETRAIN_NEW))
        n += settings.tpe_trials if ArmKind.TUNED in arms else 0
    else:
        n = int(ArmKind.CONTINUE in arms and base.continues is not None) + int(ArmKind.RETRAIN_NEW in arms)
    return n + int(ArmKind.RETRAIN_ALL in arms and has_old)


def _xgb_reason(exc: Exception) -> str:
    """XGBoost's own sentence from its error, without the timestamp, source path and failed check."""
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    line = re.sub(r"^\[[^\]]*\]\s*\S+:\d+:\s*", "", line)
    if " : " in line:
        line = line.rsplit(" : ", 1)[1]
    return line.replace("Check failed: ", "").strip()[:200]


def fit_clock(settings: FinetuneSettings) -> Callable[[], float]:
    """What fit times are measured with. One XGBoost thread runs in the calling thread, so its CPU time is the
    fit's cost whatever else the machine runs (on a shared machine, wall time swings tenfold); with more
    threads, wall time."""
    return time.thread_time if _threads(settings) == 1 else time.perf_counter


def _stratifiable(task: str, y: np.ndarray) -> bool:
    """Stratify a classification split when every class has a few rows (3: held-out, early-stop, fit)."""
    if task != "classification":
        return False
    counts = np.bincount(y)
    return bool(counts[counts > 0].min() >= 3)


def _threads(settings: FinetuneSettings) -> int:
    return settings.n_jobs if settings.n_jobs > 0 else max(1, os.cpu_count() or 1)


def _model_size(booster: Any) -> tuple[int, int]:
    dump = booster.get_dump()
    return len(dump), sum(t.count("leaf=") for t in dump)


def finetune(
    base: BaseModel,
    new: pd.DataFrame,
    *,
    target: str,
    old: pd.DataFrame | None = None,
    settings: FinetuneSettings | None = None,
    progress: Callable[[str], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> FinetuneResult:
    """Run every requested arm on ``new`` (and score forgetting on ``old``); raises DataError/ConfigError.

    ``progress`` hears each step (:func:`planned_steps` counts them); ``stop()`` true ends the run with
    :class:`Stopped` at the next step or boosting round."""
    settings = settings or FinetuneSettings()
    say = Steps(progress, stop)
    if settings.base_learning_rate is not None:
        if not 0 < settings.base_learning_rate <= 1:
            raise ConfigError(f"The base learning rate must be in (0, 1], got {settings.base_learning_rate}.")
        base = replace(base, params={**base.params, "eta": float(settings.base_learning_rate)}, params_known=True)
    if not 0.05 <= settings.holdout <= 0.8:
        raise ConfigError(f"The held-out fraction must be between 0.05 and 0.8, got {settings.holdout}.")
    if settings.max_rounds < 1 or settings.patience < 1:
        raise ConfigError("Rounds and early-stopping patience must be at least 1.")
    if any(not (0 < r <= 1) for r in settings.rates(base.learning_rate)):
        raise ConfigError("Learning rates must be in (0, 1].", fix="Use e.g. 0.01, 0.03, 0.1.")
    if settings.tpe_trials < 0 or settings.tpe_trials > 200:
        raise ConfigError("The TPE search takes between 0 and 200 trials.")
    metric = resolve_metric(base, settings.metric)
    new_t = check_table(base, new, target, role="new")
    old_t = check_table(base, old, target, role="old") if old is not None else None
    arms = settings.arms or base.arms()
    unknown = [a for a in arms if a not in base.arms()]
    if unknown:
        raise ConfigError(
            f"A {base.family} model cannot take the arm(s) {', '.join(a.value for a in unknown)}.",
            fix=f"Choose among {', '.join(a.value for a in base.arms())}.",
        )
    n_min = 20
    if len(new_t.y) < n_min:
        raise DataError(f"The new data has only {len(new_t.y)} rows with a target.", fix=f"Give at least {n_min}.")
    strat_ok = _stratifiable(base.task, new_t.y)
    adapt_idx, hold_idx = holdout_split(
        len(new_t.y),
        new_t.y,
        task=base.task if strat_ok else "regression",
        test_size=settings.holdout,
        seed=settings.seed,
    )
    fit_rel, es_rel = early_stopping_split(
        new_t.y[adapt_idx], task=base.task if strat_ok else "regression", seed=settings.seed
    )
    fit_idx, es_idx = adapt_idx[fit_rel], adapt_idx[es_rel]
    old_train_idx = old_hold_idx = None
    if old_t is not None:
        old_ok = _stratifiable(base.task, old_t.y)
        old_train_idx, old_hold_idx = holdout_split(
            len(old_t.y),
            old_t.y,
            task=base.task if old_ok else "regression",
            test_size=settings.holdout,
            seed=settings.seed,
        )
    split = SplitInfo(
        seed=settings.seed,
        holdout=settings.holdout,
        stratified=strat_ok,
        n_adapt=len(fit_idx),
        n_early_stop=len(es_idx),
        n_new_holdout=len(hold_idx),
        n_old_train=0 if old_train_idx is None else len(old_train_idx),
        n_old_holdout=0 if old_hold_idx is None else len(old_hold_idx),
    )
    parts = _Parts(fit_idx, es_idx, hold_idx, old_train_idx, old_hold_idx)
    if base.is_xgboost:
        import xgboost as xgb

        try:
            results, models = _xgb_arms(base, new_t, old_t, parts, arms, metric, settings, say)
        except xgb.core.XGBoostError as exc:
            why = _xgb_reason(exc)
            raise DataError(
                f"XGBoost could not adapt this model to the table: {why}",
                fix="Check that the table's columns and their types are the ones the model was trained on.",
            ) from None
    else:
        results, models = _sklearn_arms(base, new_t, old_t, parts, arms, metric, settings, say)
    stack = next((a for a in results if a.kind == ArmKind.STACK), None)
    notes = []
    if base.is_xgboost and not base.params_known:
        notes.append(
            f"The model file does not record its learning rate: {base.learning_rate:g} (XGBoost's default) is assumed "
            "for refresh, retrain and continue's default rates. Give the real one if you know it."
        )
    if base.study_id is not None and old_t is not None:
        notes.append(
            "The base model was refit on all its study's training rows: if the old data is that table, the base "
            "model's old-data score is partly a training score."
        )
    return FinetuneResult(
        base_source=base.source,
        family=base.family,
        task=base.task,
        metric=metric,
        split=split,
        arms=tuple(results),
        verdict=verdict(results, metric),
        models=models,
        base_margin_label=stack.label if stack else None,
        notes=tuple(notes),
        time_kind="cpu" if base.is_xgboost and fit_clock(settings) is time.thread_time else "wall",
    )


def _xgb_arms(
    base: BaseModel,
    new_t: Table,
    old_t: Table | None,
    parts: _Parts,
    arms: Sequence[ArmKind],
    metric: str,
    settings: FinetuneSettings,
    say: Steps,
) -> tuple[list[ArmResult], dict[str, bytes]]:
    import xgboost as xgb

    def matrix(t: Table, idx: np.ndarray, margin: bool = False) -> xgb.DMatrix:
        X = t.X.iloc[idx]
        if base.preprocessor is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X = base.preprocessor.transform(X)
        dm = xgb.DMatrix(X, label=t.y[idx], enable_categorical=True, nthread=_threads(settings))
        if margin:
            dm.set_base_margin(base_booster.predict(dm, output_margin=True))
        return dm

    base_booster = base.booster()
    base_rounds = base_booster.num_boosted_rounds()
    trees_per_round = max(1, len(base_booster.get_dump()) // max(base_rounds, 1))
    n_classes = base.n_classes
    has_old = old_t is not None and parts.old_hold is not None
    d_fit, d_es = matrix(new_t, parts.fit), matrix(new_t, parts.es)
    d_adapt = matrix(new_t, parts.adapt)
    d_hold = matrix(new_t, parts.hold)
    d_old = matrix(old_t, parts.old_hold) if has_old else None  # type: ignore[arg-type]
    y_hold, y_old = new_t.y[parts.hold], (old_t.y[parts.old_hold] if has_old else None)  # type: ignore[union-attr,index]

    def score(b: Any, dm: Any, y: np.ndarray, upto: int | None = None) -> float:
        out = b.predict(dm, iteration_range=(0, upto)) if upto else b.predict(dm)
        return score_output(out, y, task=base.task, n_classes=n_classes, metric=metric)

    def curve(b: Any, kind: ArmKind, start: int, end: int, best: int, dms: tuple[Any, Any | None]) -> Curve:
        """Staged scores from ``start`` rounds (the base's, or 0) to ``end``, at most MAX_CURVE_POINTS points.
        Continue and stack start from the base model (0 trees added); a retrain from its first tree."""
        added = end - start
        steps = np.unique(np.append(np.linspace(0, added, min(MAX_CURVE_POINTS, added + 1)).round().astype(int), best))
        if kind in (ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL):
            steps = steps[steps > 0]
        new_s, old_s = [], []
        for k in steps:
            upto = start + int(k)
            if upto == 0:  # stacked trees only: at 0 added it is the base model
                new_s.append(base_new)
                if base_old is not None:
                    old_s.append(base_old)
                continue
            new_s.append(score(b, dms[0], y_hold, upto))
            if dms[1] is not None:
                old_s.append(score(b, dms[1], y_old, upto))  # type: ignore[arg-type]
        return Curve(tuple(int(k) for k in steps), tuple(new_s), tuple(old_s) if has_old else None, best)

    base_params = {**base.params, "nthread": _threads(settings), "verbosity": 0, "seed": settings.seed}
    results: list[ArmResult] = []
    models: dict[str, bytes] = {}
    base_new = score(base_booster, d_hold, y_hold)
    base_old = score(base_booster, d_old, y_old) if has_old else None  # type: ignore[arg-type]
    if ArmKind.BASE in arms:
        t, lv = _model_size(base_booster)
        results.append(ArmResult(ArmKind.BASE, "base", base_new, base_old, 0.0, 0, t, lv, dict(base.params)))

    clock = fit_clock(settings)

    def train(params: dict[str, Any], dtrain: Any, rounds: int, **kw: Any) -> tuple[Any, float]:
        t0 = clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = xgb.train(params, dtrain, rounds, verbose_eval=False, callbacks=[say.xgb_callback()], **kw)
        say.check()  # a Stop during boosting: the shortened model is not an arm
        return b, clock() - t0

    def boosted(
        kind: ArmKind, label: str, params: dict[str, Any], dtrain: Any, d_es_: Any, start: int, **kw: Any
    ) -> ArmResult:
        # A retrain may take as many rounds as the base model had: it starts from nothing.
        rounds = settings.max_rounds if start or kind == ArmKind.STACK else max(settings.max_rounds, base_rounds)
        b, dt = train(params, dtrain, rounds, evals=[(d_es_, "es")], early_stopping_rounds=settings.patience, **kw)
        end = b.num_boosted_rounds()
        best = int(getattr(b, "best_iteration", end - 1)) + 1  # rounds in total at the best point
        c = curve(b, kind, start, end, best - start, dms_for(kind))
        kept = b[:best]
        models[label] = bytes(kept.save_raw(raw_format="json"))
        t, lv = _model_size(kept)
        new_s = score(kept, dms_for(kind)[0], y_hold)
        old_s = score(kept, dms_for(kind)[1], y_old) if has_old else None  # type: ignore[arg-type]
        return ArmResult(kind, label, new_s, old_s, dt, (best - start) * trees_per_round, t, lv, _public(params), c)

    stack_dms: dict[str, Any] = {}

    def dms_for(kind: ArmKind) -> tuple[Any, Any | None]:
        if kind == ArmKind.STACK:
            return stack_dms["hold"], stack_dms.get("old")
        return d_hold, d_old

    for lr in settings.rates(base.learning_rate) if ArmKind.CONTINUE in arms else ():
        say(f"continue at learning rate {lr:g}")
        params = {**base_params, "eta": lr}
        arm = boosted(
            ArmKind.CONTINUE, f"continue (lr {lr:g})", params, d_fit, d_es, base_rounds, xgb_model=base_booster
        )
        results.append(
            replace(arm, note=f"{arm.rounds_added} trees added; early stopping after {settings.patience} rounds")
        )

    if ArmKind.REFRESH in arms:
        say("refresh")
        params = {**base_params, "process_type": "update", "updater": "refresh", "refresh_leaf": True}
        b, dt = train(params, d_adapt, base_rounds, xgb_model=base_booster)
        models["refresh"] = bytes(b.save_raw(raw_format="json"))
        t, lv = _model_size(b)
        old_s = score(b, d_old, y_old) if has_old else None  # type: ignore[arg-type]
        note = (
            f"Same {base_rounds} rounds and learning rate {base.learning_rate:g} as the base; only leaf values change. "
            "Fitted on the whole adaptation part (it has no rounds to stop early)."
        )
        results.append(
            ArmResult(
                ArmKind.REFRESH, "refresh", score(b, d_hold, y_hold), old_s, dt, 0, t, lv, _public(params), note=note
            )
        )

    if ArmKind.STACK in arms:
        say("stack")
        s_fit, s_es = matrix(new_t, parts.fit, True), matrix(new_t, parts.es, True)
        stack_dms["hold"] = matrix(new_t, parts.hold, True)
        if has_old:
            stack_dms["old"] = matrix(old_t, parts.old_hold, True)  # type: ignore[arg-type]
        params = {**base_params, **settings.stack_params}
        arm = boosted(ArmKind.STACK, "stack", params, s_fit, s_es, 0)
        total_t, total_lv = _model_size(base_booster)
        results.append(
            replace(
                arm,
                trees=arm.trees + total_t,
                leaves=arm.leaves + total_lv,
                note="Predict with the base model's margin as base_margin: margin = base + these trees.",
            )
        )

    if ArmKind.RETRAIN_NEW in arms:
        say("retrain on the new data")
        results.append(boosted(ArmKind.RETRAIN_NEW, "retrain (new)", base_params, d_fit, d_es, 0))

    if ArmKind.RETRAIN_ALL in arms and has_old:
        say("retrain on old + new data")
        X_all = pd.concat([old_t.X.iloc[parts.old_train], new_t.X.iloc[parts.fit]], ignore_index=True)  # type: ignore[union-attr]
        y_all = np.concatenate([old_t.y[parts.old_train], new_t.y[parts.fit]])  # type: ignore[union-attr,index]
        d_all = matrix(Table(X_all, y_all), np.arange(len(y_all)))
        results.append(boosted(ArmKind.RETRAIN_ALL, "retrain (old + new)", base_params, d_all, d_es, 0))

    if ArmKind.TUNED in arms and settings.tpe_trials > 0:
        tuned, raw, spent = _tuned_continue(
            base, base_booster, base_params, d_fit, d_es, settings, train, score, new_t, parts.es, say
        )
        b = xgb.Booster()
        b.load_model(bytearray(raw))
        label = "continue (TPE)"
        models[label] = raw
        t, lv = _model_size(b)
        old_s = score(b, d_old, y_old) if has_old else None  # type: ignore[arg-type]
        results.append(
            ArmResult(
                ArmKind.TUNED,
                label,
                score(b, d_hold, y_hold),
                old_s,
                spent,
                int(tuned["rounds"]) * trees_per_round,
                t,
                lv,
                {"eta": tuned["learning_rate"], "rounds": tuned["rounds"]},
                note=f"best of {settings.tpe_trials} TPE trials scored on the early-stopping rows; time = all trials",
            )
        )
    return results, models


def _tuned_continue(
    base: BaseModel,
    base_booster: Any,
    base_params: dict[str, Any],
    d_fit: Any,
    d_es: Any,
    settings: FinetuneSettings,
    train: Callable[..., tuple[Any, float]],
    score: Callable[..., float],
    new_t: Table,
    es_idx: np.ndarray,
    say: Steps,
) -> tuple[dict[str, Any], bytes, float]:
    """A short TPE search (the engine's strategy) over continue's learning rate and rounds, scored on the
    early-stopping rows, never on the held-out ones."""
    from tuning.space import SearchSpace
    from tuning.strategies import make_strategy

    lr = base.learning_rate
    space = SearchSpace.from_dict(
        {
            "learning_rate": {"type": "float", "low": max(1e-4, lr * 0.02), "high": min(1.0, lr * 2), "log": True},
            "rounds": {"type": "int", "low": 1, "high": settings.max_rounds},
        }
    )
    strategy = make_strategy("tpe", space, seed=settings.seed)
    y_es = new_t.y[es_idx]
    best: tuple[float, dict[str, Any], Any] | None = None
    total = 0.0
    for i in range(settings.tpe_trials):
        say(f"TPE over continue: trial {i + 1} of {settings.tpe_trials}")
        params = strategy.ask()
        if params is None:
            break
        b, dt = train(
            {**base_params, "eta": params["learning_rate"]}, d_fit, int(params["rounds"]), xgb_model=base_booster
        )
        total += dt
        s = score(b, d_es, y_es)
        strategy.tell(params, s)
        if best is None or s > best[0]:
            best = (s, params, b)
    assert best is not None
    return best[1], bytes(best[2].save_raw(raw_format="json")), total


def _public(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("nthread", "verbosity", "seed")}


def _sklearn_arms(
    base: BaseModel,
    new_t: Table,
    old_t: Table | None,
    parts: _Parts,
    arms: Sequence[ArmKind],
    metric: str,
    settings: FinetuneSettings,
    say: Steps,
) -> tuple[list[ArmResult], dict[str, bytes]]:
    """scikit-learn families: base, continue where warm_start exists, retrain."""
    from sklearn.base import clone

    adapt_idx = parts.adapt
    has_old = old_t is not None and parts.old_hold is not None

    def out(est: Any, X: pd.DataFrame) -> np.ndarray:
        if base.task == "regression":
            return est.predict(X)
        if hasattr(est, "predict_proba"):
            return est.predict_proba(X)
        pred = est.predict(X).astype(int)
        return np.eye(max(base.n_classes or 2, 2))[pred]

    def scores(est: Any) -> tuple[float, float | None]:
        new_s = score_output(
            out(est, new_t.X.iloc[parts.hold]),
            new_t.y[parts.hold],
            task=base.task,
            n_classes=base.n_classes,
            metric=metric,
        )
        if not has_old or old_t is None or parts.old_hold is None:
            return new_s, None
        o = score_output(
            out(est, old_t.X.iloc[parts.old_hold]),
            old_t.y[parts.old_hold],
            task=base.task,
            n_classes=base.n_classes,
            metric=metric,
        )  # type: ignore[union-attr,index]
        return new_s, o

    def size(est: Any) -> tuple[int, int]:
        m = est.named_steps["model"] if hasattr(est, "named_steps") else est
        trees = getattr(m, "estimators_", None)
        if trees is None:
            return 0, 0
        return len(trees), int(sum(t.get_n_leaves() for t in trees))

    results: list[ArmResult] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ArmKind.BASE in arms:
            n, o = scores(base.estimator)
            t, lv = size(base.estimator)
            results.append(ArmResult(ArmKind.BASE, "base", n, o, 0.0, 0, t, lv))
        if ArmKind.CONTINUE in arms and base.continues is not None:
            say("continue (warm start)")
            import copy

            from tuning.trainers import trainer_for

            est = copy.deepcopy(base.estimator)  # the base stays as it was
            X_a = est.named_steps["prep"].transform(new_t.X.iloc[adapt_idx])
            t0 = time.perf_counter()
            added, unit = trainer_for(base.family).continue_fit(
                est.named_steps["model"], X_a, new_t.y[adapt_idx], task=base.task, n_classes=base.n_classes or 2
            )
            dt = time.perf_counter() - t0
            n, o = scores(est)
            t, lv = size(est)
            results.append(
                ArmResult(
                    ArmKind.CONTINUE,
                    "continue (warm start)",
                    n,
                    o,
                    dt,
                    added,
                    t,
                    lv,
                    {unit: added},
                    note=base.continues,
                )
            )
        for kind, label, rows in (
            (ArmKind.RETRAIN_NEW, "retrain (new)", None),
            (ArmKind.RETRAIN_ALL, "retrain (old + new)", "all"),
        ):
            if kind not in arms or (rows == "all" and not has_old):
                continue
            say(label)
            X = new_t.X.iloc[adapt_idx]
            y = new_t.y[adapt_idx]
            if rows == "all":
                X = pd.concat([old_t.X.iloc[parts.old_train], X], ignore_index=True)  # type: ignore[union-attr]
                y = np.concatenate([old_t.y[parts.old_train], y])  # type: ignore[union-attr,index]
            est = clone(base.estimator)
            t0 = time.perf_counter()
            est.fit(X, y)
            dt = time.perf_counter() - t0
            n, o = scores(est)
            t, lv = size(est)
            results.append(ArmResult(kind, label, n, o, dt, 0, t, lv))
    return results, {}


# ----------------------------------------------------------------------------------------------
# The verdict and what to save
