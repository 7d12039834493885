"""The default trainer: a scikit-learn estimator per fold on the fold's preprocessed rows.

The preprocessing does not depend on the hyperparameters, so each fold is transformed once per
study (``fold_data``) and every trial fits only the estimator. Its multi-fidelity resource is
training rows, as in ``HalvingRandomSearchCV``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from tuning.complexity import model_size
from tuning.protocol import Candidate, TrialOutcome
from tuning.trainers.base import FoldScores, Predictions, Trainer, check_stop, fold_data

if TYPE_CHECKING:
    from tuning.evaluate import EvalContext
    from tuning.executors import StopFlag


class SklearnTrainer(Trainer):
    resource = "rows"

    def continue_fit(self, model: Any, X: Any, y: np.ndarray, *, task: str, n_classes: int) -> tuple[int, str]:
        """A forest grows half as many trees again on the new rows (warm_start); a network takes 20 more epochs
        (partial_fit) from its learned weights."""
        if hasattr(model, "estimators_"):
            added = max(1, model.n_estimators // 2)
            model.set_params(warm_start=True, n_estimators=model.n_estimators + added)
            model.fit(X, y)
            return added, "trees"
        epochs = 20
        for _ in range(epochs):
            if task == "classification":
                model.partial_fit(X, y, classes=np.arange(max(n_classes, 2)))
            else:
                model.partial_fit(X, y)
        return epochs, "epochs"

    def evaluate(self, ctx: EvalContext, candidate: Candidate, stop: StopFlag) -> TrialOutcome:
        from tuning.models import get_model, make_estimator

        family = get_model(ctx.model)
        base = make_estimator(
            ctx.model, ctx.task, candidate.params, n_jobs=ctx.n_jobs, device=ctx.device, seed=ctx.seed
        )
        scorer = ctx.scorer_for(base)
        classifier = ctx.task == "classification"
        acc = FoldScores()
        sizes: list[float] = []
        unit: str | None = None
        for i in range(len(ctx.folds)):
            check_stop(stop)
            fd = fold_data(ctx, i, scale=family.scale, impute=family.impute, sparse=family.sparse_input)
            X_tr, y_tr = fd.X_tr, fd.y_tr
            if candidate.budget is not None and candidate.budget < len(y_tr):
                idx = subsample(y_tr, candidate.budget, seed=ctx.seed + i, stratify=classifier)
                X_tr, y_tr = X_tr[idx], y_tr[idx]
            est = clone(base)
            t = time.perf_counter()
            est.fit(X_tr, y_tr)
            fit_s = time.perf_counter() - t
            check_stop(stop)
            t = time.perf_counter()
            sv = scorer(Predictions.of(est, fd.X_va, classifier=classifier), fd.y_va)
            st = scorer(Predictions.of(est, X_tr, classifier=classifier), y_tr)
            acc.add(sv, st, fit_s=fit_s, score_s=time.perf_counter() - t)
            size, unit = model_size(est, ctx.model)
            if size is not None:
                sizes.append(size)
        reached = None if candidate.budget is None else min(candidate.budget, min(len(tr) for tr, _ in ctx.folds))
        return acc.outcome(
            candidate.params,
            ctx.metric,
            budget=reached,
            model_size=float(np.mean(sizes)) if sizes else None,
            model_size_unit=unit if sizes else None,
        )


def subsample(y: np.ndarray, n: int, *, seed: int, stratify: bool) -> np.ndarray:
    """``n`` of the rows, class proportions kept when they can be (every class keeps a row)."""
    idx = np.arange(len(y))
    if stratify:
        counts = np.bincount(y)
        present = counts[counts > 0]
        if len(present) <= n and present.min() >= 2:
            try:
                part, _ = train_test_split(idx, train_size=n, random_state=seed, stratify=y)
                return np.sort(part)
            except ValueError:
                pass
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(idx, size=n, replace=False))
