"""Adapting an XGBoost booster: continue (``xgb_model=``), refresh (the ``refresh`` updater), stack
(``base_margin``), retrain, and continue with its rate and rounds chosen by TPE, through XGBoost's native API."""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from tuning.errors import DataError
from tuning.finetune._common import MAX_CURVE_POINTS, ArmKind, Steps
from tuning.finetune.base import BaseModel
from tuning.finetune.parts import Comparison, fit_clock, threads
from tuning.finetune.results import ArmResult, Curve, FinetuneSettings
from tuning.finetune.table import Table, score_output


class BoosterArms:
    """The arm engine of a native XGBoost booster (a study's refit XGBoost model or an uploaded file)."""

    def steps(self, base: BaseModel, settings: FinetuneSettings, arms: Sequence[ArmKind]) -> int:
        n = len(settings.rates(base.learning_rate)) if ArmKind.CONTINUE in arms else 0
        n += sum(k in arms for k in (ArmKind.REFRESH, ArmKind.STACK, ArmKind.RETRAIN_NEW))
        return n + (settings.tpe_trials if ArmKind.TUNED in arms else 0)

    def run(self, job: Comparison) -> tuple[list[ArmResult], dict[str, bytes]]:
        import xgboost as xgb

        try:
            return _arms(job)
        except xgb.core.XGBoostError as exc:
            why = _xgb_reason(exc)
            raise DataError(
                f"XGBoost could not adapt this model to the table: {why}",
                fix="Check that the table's columns and their types are the ones the model was trained on.",
            ) from None

    def notes(self, base: BaseModel) -> list[str]:
        if base.params_known:
            return []
        return [
            f"The model file does not record its learning rate: {base.learning_rate:g} (XGBoost's default) is assumed "
            "for refresh, retrain and continue's default rates. Give the real one if you know it."
        ]

    def time_kind(self, settings: FinetuneSettings) -> str:
        return "cpu" if fit_clock(settings) is time.thread_time else "wall"


def _xgb_reason(exc: Exception) -> str:
    """XGBoost's own sentence from its error, without the timestamp, source path and failed check."""
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    line = re.sub(r"^\[[^\]]*\]\s*\S+:\d+:\s*", "", line)
    if " : " in line:
        line = line.rsplit(" : ", 1)[1]
    return line.replace("Check failed: ", "").strip()[:200]


def _model_size(booster: Any) -> tuple[int, int]:
    dump = booster.get_dump()
    return len(dump), sum(t.count("leaf=") for t in dump)


def _arms(job: Comparison) -> tuple[list[ArmResult], dict[str, bytes]]:
    base, new_t, old_t, parts, arms, metric = job.base, job.new, job.old, job.parts, job.arms, job.metric
    settings, say = job.settings, job.say
    import xgboost as xgb

    def matrix(t: Table, idx: np.ndarray, margin: bool = False) -> xgb.DMatrix:
        X = t.X.iloc[idx]
        if base.preprocessor is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X = base.preprocessor.transform(X)
        dm = xgb.DMatrix(X, label=t.y[idx], enable_categorical=True, nthread=threads(settings))
        if margin:
            dm.set_base_margin(base_booster.predict(dm, output_margin=True))
        return dm

    base_booster = base.booster()
    base_rounds = base_booster.num_boosted_rounds()
    trees_per_round = max(1, len(base_booster.get_dump()) // max(base_rounds, 1))
    n_classes = base.n_classes
    has_old = job.has_old
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

    base_params = {**base.params, "nthread": threads(settings), "verbosity": 0, "seed": settings.seed}
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
