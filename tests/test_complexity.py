"""Model size per family: the number each trainer stores with a trial for the trade-off view."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from tuning.complexity import (
    COEFFICIENTS,
    LEAVES,
    NEIGHBOURS,
    PARAMETERS,
    SUPPORT_VECTORS,
    model_complexity,
    model_size,
)


@pytest.fixture(scope="module")
def clf_data():
    return make_classification(300, 8, n_informative=4, random_state=0)


@pytest.fixture(scope="module")
def multi_data():
    return make_classification(300, 8, n_informative=5, n_classes=3, random_state=0)


def _xgb_truth(booster: xgb.Booster) -> tuple[int, int, int]:
    """Leaves, trees and features used read the slow way, from the tree table."""
    df = booster.trees_to_dataframe()
    return (
        int((df["Feature"] == "Leaf").sum()),
        int(df["Tree"].nunique()),
        int(df.loc[df["Feature"] != "Leaf", "Feature"].nunique()),
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"n_estimators": 20, "max_depth": 3},
        {"n_estimators": 10, "max_depth": 4, "booster": "dart", "rate_drop": 0.2},
        {"n_estimators": 5, "max_depth": 2, "num_parallel_tree": 3},
        {"n_estimators": 5, "max_depth": 2, "colsample_bytree": 0.3},
    ],
)
def test_xgboost_leaves_match_the_tree_table(clf_data, kw):
    X, y = clf_data
    m = xgb.XGBClassifier(n_jobs=1, **kw).fit(X, y)
    leaves, trees, used = _xgb_truth(m.get_booster())
    c = model_complexity(m, "xgboost")
    assert c == (leaves, LEAVES, trees, used)
    assert model_size(m.get_booster(), "xgboost") == (leaves, LEAVES)  # a bare Booster works too


def test_xgboost_multiclass_and_regression(multi_data):
    X, y = multi_data
    m = xgb.XGBClassifier(n_estimators=7, max_depth=3, n_jobs=1).fit(X, y)
    leaves, trees, _ = _xgb_truth(m.get_booster())
    assert trees == 21
    assert model_size(m, "xgboost") == (leaves, LEAVES)
    Xr, yr = make_regression(200, 5, random_state=0)
    r = xgb.XGBRegressor(n_estimators=9, max_depth=2, n_jobs=1).fit(Xr, yr)
    assert model_size(r, "xgboost") == (_xgb_truth(r.get_booster())[0], LEAVES)


def test_xgboost_stumps_without_splits_count_one_leaf_each():
    X = np.zeros((50, 3))
    y = np.r_[np.zeros(25), np.ones(25)]
    m = xgb.XGBClassifier(n_estimators=4, n_jobs=1).fit(X, y)  # nothing to split on
    assert model_complexity(m, "xgboost") == (4, LEAVES, 4, 0)


def test_forests_and_a_tree(clf_data):
    X, y = clf_data
    f = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    c = model_complexity(f, "random_forest")
    assert c.size == sum(t.get_n_leaves() for t in f.estimators_) and c.unit == LEAVES and c.trees == 5
    assert 1 <= c.features_used <= 8
    r = RandomForestRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X, y.astype(float))
    assert model_size(r, "random_forest") == (sum(t.get_n_leaves() for t in r.estimators_), LEAVES)
    t = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert model_size(t, "decision_tree") == (t.get_n_leaves(), LEAVES)


def test_linear_models_count_non_zero_coefficients(clf_data, multi_data):
    X, y = clf_data
    lasso = Lasso(alpha=0.1).fit(X, y.astype(float))
    assert model_size(lasso, "lasso") == (np.count_nonzero(lasso.coef_), COEFFICIENTS)
    assert 0 < np.count_nonzero(lasso.coef_) < 8  # the L1 penalty did zero some: the count is not just n_features
    assert model_size(Ridge().fit(X, y.astype(float)), "ridge") == (8, COEFFICIENTS)
    Xm, ym = multi_data
    lr = LogisticRegression(max_iter=500).fit(Xm, ym)
    c = model_complexity(lr, "logistic_regression")
    assert c.size == 3 * 8 and c.features_used == 8


def test_svm_mlp_knn(clf_data):
    X, y = clf_data
    svc = SVC(C=0.5).fit(X, y)
    assert model_size(svc, "svm") == (len(svc.support_), SUPPORT_VECTORS)
    mlp = MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=50, random_state=0).fit(X, y)
    assert model_size(mlp, "mlp") == ((8 * 5 + 5) + (5 * 4 + 4) + (4 * 1 + 1), PARAMETERS)
    assert model_size(KNeighborsClassifier(n_neighbors=7).fit(X, y), "knn") == (7, NEIGHBOURS)


def test_a_pipeline_unfitted_or_unknown_model_never_raises(clf_data):
    X, y = clf_data
    pipe = make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=2, random_state=0)).fit(X, y)
    assert model_size(pipe, "decision_tree") == (pipe[-1].get_n_leaves(), LEAVES)
    assert model_size(SVC(), "svm") == (None, None)
    assert model_size(object(), "") == (None, None)


def test_xgboost_rounds_counts_only_the_first_rounds(clf_data):
    X, y = clf_data
    m = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)
    first = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(X, y)  # same first 8 trees
    assert model_size(m, "xgboost", rounds=8) == model_size(first, "xgboost")
    assert model_complexity(m.get_booster(), "xgboost", rounds=8).trees == 8
    assert model_size(m, "xgboost", rounds=50) == model_size(m, "xgboost")
