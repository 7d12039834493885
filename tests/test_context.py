"""The evaluation context and the splits (scikit-learn's splitters, shuffled with the seed)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from tuning.context import EvalContext, early_stopping_split, holdout_split, make_folds


def test_folds_are_stratified_for_classification():
    y = np.array([0] * 30 + [1] * 10)
    for _, va in make_folds(y, task="classification", cv=5, seed=0):
        assert (y[va] == 1).sum() == 2


def test_holdout_and_early_stopping_splits_cover_the_rows_once():
    y = np.array([0, 1] * 50)
    tr, te = holdout_split(100, y, task="classification", test_size=0.2, seed=1)
    assert len(te) == 20 and not set(tr) & set(te) and sorted([*tr, *te]) == list(range(100))
    fit, es = early_stopping_split(y, task="classification", seed=0)
    assert len(es) == 15 and not set(fit) & set(es)


def test_the_context_pickles_without_its_cache():
    X = pd.DataFrame({"a": np.arange(10.0)})
    ctx = EvalContext(
        model="knn",
        task="regression",
        X=X,
        y=np.arange(10.0),
        numeric=("a",),
        categorical=(),
        folds=tuple(make_folds(np.arange(10.0), task="regression", cv=2, seed=0)),
        metric="r2",
        secondary=("r2",),
    )
    ctx.cache.shared("k", lambda: 1)
    back = pickle.loads(pickle.dumps(ctx))
    assert back.cache is not ctx.cache and back.pipeline({}).steps[-1][0] == "model"
