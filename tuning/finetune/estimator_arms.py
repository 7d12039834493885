"""Adapting a scikit-learn pipeline: base, continue where the family's trainer can (``Trainer.continue_fit``),
retrain on the new rows or on old and new together."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tuning.finetune._common import ArmKind
from tuning.finetune.base import BaseModel
from tuning.finetune.parts import Comparison
from tuning.finetune.results import ArmResult, FinetuneSettings
from tuning.finetune.table import Table, score_output


class EstimatorArms:
    """The arm engine of a fitted scikit-learn pipeline (a study's refit best model)."""

    def steps(self, base: BaseModel, settings: FinetuneSettings, arms: Sequence[ArmKind]) -> int:
        return int(ArmKind.CONTINUE in arms and base.continues is not None) + int(ArmKind.RETRAIN_NEW in arms)

    def run(self, job: Comparison) -> tuple[list[ArmResult], dict[str, bytes]]:
        return _arms(job), {}

    def notes(self, base: BaseModel) -> list[str]:
        return []

    def time_kind(self, settings: FinetuneSettings) -> str:
        return "wall"


def _arms(job: Comparison) -> list[ArmResult]:
    """scikit-learn families: base, continue where warm_start exists, retrain."""
    base, new_t, old_t, parts, arms, metric = job.base, job.new, job.old, job.parts, job.arms, job.metric
    say = job.say
    from sklearn.base import clone

    adapt_idx = parts.adapt
    has_old = job.has_old

    def out(est: Any, X: pd.DataFrame) -> np.ndarray:
        if base.task == "regression":
            return est.predict(X)
        if hasattr(est, "predict_proba"):
            return est.predict_proba(X)
        pred = est.predict(X).astype(int)
        return np.eye(max(base.n_classes or 2, 2))[pred]

    def on(est: Any, t: Table, rows: np.ndarray) -> float:
        return score_output(
            out(est, t.X.iloc[rows]), t.y[rows], task=base.task, n_classes=base.n_classes, metric=metric
        )

    def scores(est: Any) -> tuple[float, float | None]:
        if not has_old or old_t is None or parts.old_hold is None:
            return on(est, new_t, parts.hold), None
        return on(est, new_t, parts.hold), on(est, old_t, parts.old_hold)

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
    return results
