"""The numpy secondary metrics equal scikit-learn's, on binary, multiclass and regression data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from tuning.metrics import classification_metrics, regression_metrics


@pytest.mark.parametrize("k, seed", [(2, 0), (2, 1), (3, 2), (5, 3)])
def test_classification_metrics_match_sklearn(k, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, 300)
    raw = rng.random((300, k)) + np.eye(k)[y] * rng.random(300)[:, None]
    raw[:20] = np.round(raw[:20], 1)  # ties in the scores
    proba = raw / raw.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    if k == 2:
        names = ("accuracy", "precision", "recall", "f1", "roc_auc", "neg_log_loss")
        expected = [
            accuracy_score(y, pred),
            precision_score(y, pred),
            recall_score(y, pred),
            f1_score(y, pred),
            roc_auc_score(y, proba[:, 1]),
            -log_loss(y, proba),
        ]
    else:
        names = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc_ovr", "neg_log_loss")
        expected = [
            accuracy_score(y, pred),
            precision_score(y, pred, average="macro", zero_division=0),
            recall_score(y, pred, average="macro", zero_division=0),
            f1_score(y, pred, average="macro", zero_division=0),
            roc_auc_score(y, proba, multi_class="ovr"),
            -log_loss(y, proba),
        ]
    got = classification_metrics(y, pred, proba, n_classes=k, names=names)
    for name, exp in zip(names, expected):
        assert got[name] == pytest.approx(exp, abs=1e-12), name


def test_decision_function_auc_and_a_class_never_predicted():
    y = np.array([0, 0, 1, 1, 1, 0])
    decision = np.array([-1.0, 0.2, 0.3, 2.0, -0.5, -0.2])
    pred = np.zeros(6, dtype=int)  # the positive class never predicted: precision is 0, as in scikit-learn
    got = classification_metrics(y, pred, decision, n_classes=2, names=("roc_auc", "precision", "neg_log_loss"))
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, decision))
    assert got["precision"] == 0.0 and np.isnan(got["neg_log_loss"])


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=200), rng.normal(size=200)
    got = regression_metrics(y, p, names=("neg_root_mean_squared_error", "neg_mean_absolute_error", "r2"))
    assert got["neg_root_mean_squared_error"] == pytest.approx(-root_mean_squared_error(y, p), abs=1e-12)
    assert got["neg_mean_absolute_error"] == pytest.approx(-mean_absolute_error(y, p), abs=1e-12)
    assert got["r2"] == pytest.approx(r2_score(y, p), abs=1e-12)
