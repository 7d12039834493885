"""The Learn pages' computations: each concept must hold on the seeded synthetic data.

Everything is small (tens to a few hundred rows, a handful of settings) so the file runs in well
under a minute on two shared cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

import tuning.lessons as L
from tuning.errors import ConfigError
from tuning.lessons.learning_curve import (
    CLOSING_VERDICT,
    CONVERGED_VERDICT,
    LOW_VERDICT,
    WIDE_VERDICT,
    LearningCurve,
)
from tuning.lessons.regularization import image_shape

ROOT = Path(__file__).resolve().parents[1]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


@pytest.fixture(scope="module")
def sine() -> L.Sine1D:
    return L.noisy_sine(200, noise=0.3, seed=0)


@pytest.fixture(scope="module")
def moons() -> L.Dataset2D:
    return L.moons(240, noise=0.3, seed=0)


# ----------------------------------------------------------------------------------------------
# Synthetic data


@pytest.mark.parametrize("name", sorted(L.DATASETS_2D))
def test_2d_datasets_are_seeded_and_binary(name: str) -> None:
    a = L.make_2d(name, 101, noise=0.1, seed=3)
    b = L.make_2d(name, 101, noise=0.1, seed=3)
    c = L.make_2d(name, 101, noise=0.1, seed=4)
    assert a.X.shape == (101, 2) and list(a.X.columns) == ["x1", "x2"]
    assert set(np.unique(a.y)) == {0, 1}
    pd.testing.assert_frame_equal(a.X, b.X)
    assert not np.allclose(a.X.to_numpy(), c.X.to_numpy())


def test_noisy_sine_has_its_truth() -> None:
    clean = L.noisy_sine(50, noise=0.0, seed=1)
    assert np.all((clean.x >= 0) & (clean.x <= 1))
    np.testing.assert_allclose(clean.y, L.truth(clean.x))
    noisy = L.noisy_sine(5000, noise=0.3, seed=1)
    assert np.std(noisy.y - L.truth(noisy.x)) == pytest.approx(0.3, rel=0.05)
    assert list(noisy.X.columns) == ["x"]


def test_unknown_dataset_is_a_plain_error() -> None:
    with pytest.raises(ConfigError, match="Unknown dataset"):
        L.make_2d("banana")


# ----------------------------------------------------------------------------------------------
# Engine plumbing


def test_make_context_uses_the_study_fold_rule(moons: L.Dataset2D) -> None:
    ctx = L.make_context(moons.X, moons.y, model="knn", task="classification", cv=4, seed=2)
    assert ctx.metric == "roc_auc" and len(ctx.folds) == 4 and ctx.numeric == ("x1", "x2")
    # Stratified: every validation fold keeps the class balance.
    for _, va in ctx.folds:
        assert abs(moons.y[va].mean() - moons.y.mean()) < 0.05
    assert L.dummy_score(ctx) == pytest.approx(0.5)
    acc = L.make_context(moons.X, moons.y, model="knn", task="classification", metric="accuracy", cv=4)
    assert L.dummy_score(acc) == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ConfigError):
        L.make_context(moons.X, np.zeros(len(moons.y)), model="knn", task="classification")
    with pytest.raises(ConfigError):
        L.make_context(moons.X, moons.y, model="knn", task="classification", metric="r2")


def test_lessons_never_import_streamlit() -> None:
    code = "import sys, tuning.lessons; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ----------------------------------------------------------------------------------------------
# 1. Validation curve


def test_validation_curve_tree_depth_on_noisy_sine(sine: L.Sine1D) -> None:
    depths = list(range(1, 13))
    c = L.validation_curve(sine.X, sine.y, model="decision_tree", task="regression", param="max_depth", values=depths)
    assert c.metric == "neg_root_mean_squared_error" and c.train_folds.shape == (12, 5)
    # Train score rises with depth (a deeper tree contains the shallower one).
    assert np.all(np.diff(c.train_mean) >= -1e-12)
    assert c.train_mean[-1] > c.train_mean[0]
    # Validation peaks strictly inside the range; the gap widens past the peak.
    assert 0 < c.best_index < len(depths) - 1
    assert c.gap[-1] > c.gap[c.best_index]
    # Regimes come from the numbers: underfit at depth 1, overfit at depth 12, the best is sweet.
    assert c.regimes[0] == "underfit" and c.regimes[-1] == "overfit"
    assert c.regimes[c.best_index] == "sweet spot"
    # The one-SE choice is no deeper than the best and within one SE of it.
    assert c.one_se_index <= c.best_index
    assert c.val_mean[c.one_se_index] >= c.val_mean[c.best_index] - c.val_se[c.best_index]
    assert c.dummy_score < c.val_mean.min()
    assert list(c.frame().columns)[:3] == ["value", "train_mean", "train_std"]


def test_validation_curve_knn_simpler_is_high_k(sine: L.Sine1D) -> None:
    ks = [1, 3, 8, 20, 50, 120]
    c = L.validation_curve(
        sine.X, sine.y, model="knn", task="regression", param="n_neighbors", values=ks, cv=3, simpler="high"
    )
    assert c.regimes[0] == "overfit" and c.regimes[-1] == "underfit"
    assert c.one_se_index >= c.best_index  # larger k is the simpler model


def test_classify_regimes_rules() -> None:
    train = np.array([0.5, 0.8, 0.9, 0.99])
    val = np.array([0.45, 0.75, 0.8, 0.6])
    rank = np.arange(4)
    assert L.classify_regimes(train, val, 2, 0.01, rank) == ("underfit", "underfit", "sweet spot", "overfit")
    assert L.classify_regimes(train, val, 2, 0.06, rank)[1] == "sweet spot"


def test_validation_curve_failed_values_are_nan_not_crashes(sine: L.Sine1D) -> None:
    c = L.validation_curve(
        sine.X, sine.y, model="decision_tree", task="regression", param="max_depth", values=[0, 2, 4], cv=3
    )
    assert np.isnan(c.val_mean[0]) and c.regimes[0] == "" and len(c.failures) == 1
    assert c.best_index in (1, 2)
    with pytest.raises(ConfigError, match="Every fit"):
        L.validation_curve(sine.X, sine.y, model="decision_tree", task="regression", param="max_depth", values=[-1])


# ----------------------------------------------------------------------------------------------
# 2. Learning curve


def test_learning_curve_gap_narrows_for_a_deep_tree(moons: L.Dataset2D) -> None:
    c = L.learning_curve(
        moons.X,
        moons.y,
        model="decision_tree",
        task="classification",
        params={},
        fractions=(0.1, 0.3, 0.6, 1.0),
        metric="accuracy",
        cv=3,
    )
    assert np.all(np.diff(c.train_sizes) > 0) and c.train_sizes[-1] == pytest.approx(160)
    assert np.all(c.train_mean == 1.0)  # an unlimited tree memorizes its rows
    assert c.gap[-1] < c.gap[0]
    assert c.val_mean[-1] > c.val_mean[0]
    assert L.verdict(c) in (CLOSING_VERDICT, WIDE_VERDICT)


def test_learning_curve_keeps_validation_folds(moons: L.Dataset2D) -> None:
    from tuning.lessons.learning_curve import subsample_contexts

    ctx = L.make_context(moons.X, moons.y, model="knn", task="classification", cv=3)
    small, full = subsample_contexts(ctx, (0.05, 1.0), seed=0)
    for (tr_s, va_s), (tr_f, _), (tr, va) in zip(small.folds, full.folds, ctx.folds):
        np.testing.assert_array_equal(va_s, va)
        np.testing.assert_array_equal(np.sort(tr_f), np.sort(tr))
        assert set(tr_s) <= set(tr) and set(np.unique(moons.y[tr_s])) == {0, 1}


def _curve(train: list[float], val: list[float], *, metric: str = "accuracy", dummy: float = 0.5) -> LearningCurve:
    t, v = np.array(train), np.array(val)
    n = len(t)
    return LearningCurve(
        fractions=np.linspace(0.1, 1, n),
        train_sizes=np.linspace(20, 200, n),
        train_mean=t,
        train_std=np.zeros(n),
        val_mean=v,
        val_std=np.zeros(n),
        gap=t - v,
        fit_time=np.zeros(n),
        dummy_score=dummy,
        metric=metric,
        model="x",
        params={},
    )


def test_verdict_thresholds() -> None:
    assert L.verdict(_curve([1, 1, 1, 1], [0.6, 0.7, 0.78, 0.85])) == CLOSING_VERDICT
    assert L.verdict(_curve([1, 1, 1, 1], [0.8, 0.8, 0.8, 0.8])) == WIDE_VERDICT
    assert L.verdict(_curve([0.7, 0.66, 0.65, 0.65], [0.6, 0.62, 0.63, 0.64])) == LOW_VERDICT
    assert L.verdict(_curve([0.97, 0.96, 0.95, 0.95], [0.9, 0.93, 0.94, 0.945])) == CONVERGED_VERDICT
    # Losses: measured against the dummy's distance from a perfect 0.
    assert L.verdict(_curve([-0.1, -0.1], [-0.9, -0.8], metric="neg_root_mean_squared_error", dummy=-1.0)) in (
        CLOSING_VERDICT,
        WIDE_VERDICT,
    )


# ----------------------------------------------------------------------------------------------
# 3. Boosting rounds


def test_early_stop_follows_xgboost_semantics() -> None:
    v = np.array([5, 4, 3, 3.5, 3.2, 3.1, 3.05, 2.0, 2.5])
    assert L.early_stop(v, 3) == (3, 6)  # plateau of 3 rounds after round 3 stops at round 6
    assert L.early_stop(v, 10) == (8, 9)  # patience longer than the run: keep the global best
    assert L.early_stop(np.array([0.5, 0.7, 0.6]), 1, higher_is_better=True) == (2, 3)


def test_boosting_best_round_and_stop_round(moons: L.Dataset2D) -> None:
    patience = 10
    b = L.boosting_rounds(
        moons.X,
        moons.y,
        task="classification",
        n_estimators=120,
        learning_rates=(0.3, 0.1),
        early_stopping_rounds=patience,
        cv=3,
    )
    assert b.metric == "logloss" and not b.higher_is_better
    for r in b.runs:
        assert len(r.rounds) == 120 and r.rounds[0] == 1
        assert r.best_round == int(np.argmin(r.val_mean)) + 1
        assert r.best_loss == pytest.approx(r.val_mean.min())
        assert r.es_best_round == int(np.argmin(r.val_mean[: r.stop_round])) + 1
        assert r.stop_round == min(r.es_best_round + patience, 120)
        assert r.es_best_round == r.best_round  # the noisy-moons curve has one minimum
        assert r.wasted_rounds == 120 - r.best_round and r.saved_rounds == 120 - r.stop_round
        assert r.train_mean[-1] < r.train_mean[0]  # training loss keeps falling
    fast, slow = b.runs
    assert fast.best_round < slow.best_round  # a smaller learning rate needs more rounds
    assert len(b.frame()) == 240


# ----------------------------------------------------------------------------------------------
# 4. Regularization


@pytest.fixture(scope="module")
def sparse_classification() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=150, n_features=15, n_informative=3, n_redundant=0, n_repeated=0, random_state=0
    )
    return X, y


def test_l1_zeroes_coefficients_and_l2_keeps_them(sparse_classification) -> None:
    X, y = sparse_classification
    strengths = np.logspace(-2, 1.5, 5)
    p = L.linear_paths(X, y, task="classification", penalties=("none", "l1", "l2"), strengths=strengths, cv=3)
    assert p.coefs["l1"].shape == (5, 1, 15) and len(p.feature_names) == 15
    l1 = p.n_nonzero["l1"]
    assert l1[0] > l1[-1] and spearman(l1, p.strengths) < -0.8
    assert l1[-1] <= 3
    assert np.all(p.n_nonzero["l2"] == 15)
    # L2 shrinks: the coefficient norm falls as the strength rises.
    norms = np.linalg.norm(p.coefs["l2"], axis=(1, 2))
    assert np.all(np.diff(norms) < 0)
    # No penalty is one fit drawn flat across the axis.
    assert np.ptp(p.val_mean["none"]) == 0 and np.all(p.n_nonzero["none"] == 15)
    assert set(p.frame()["penalty"]) == {"none", "l1", "l2"}


def test_lasso_path_in_regression() -> None:
    X, y = make_regression(n_samples=120, n_features=12, n_informative=3, noise=5.0, random_state=0)
    p = L.linear_paths(X, y, task="regression", penalties=("l1", "l2", "elasticnet"), strengths=(0.01, 1, 30), cv=3)
    assert p.n_nonzero["l1"][0] == 12 and p.n_nonzero["l1"][-1] <= 3
    assert np.all(p.n_nonzero["l2"] == 12)
    assert p.n_nonzero["elasticnet"][-1] >= p.n_nonzero["l1"][-1]
    assert "n_rows" in p.strength_note


def test_sparsity_l1_against_l2_on_digit_pixels() -> None:
    df = pd.read_csv(ROOT / "sample_data" / "digits.csv")
    two = df[df["digit"].isin([0, 1])].head(120)
    s = L.sparsity(two.drop(columns="digit"), two["digit"], task="classification", strengths=(0.3, 3.0), cv=3)
    assert s.image_shape == (8, 8)
    assert s.l1_coefs.shape == (2, 1, 64)
    assert np.all(s.l1_zero_fraction > s.l2_zero_fraction)
    assert s.l1_zero_fraction[-1] >= s.l1_zero_fraction[0]
    assert np.all((s.l1_val_mean >= 0) & (s.l1_val_mean <= 1))


def test_image_shape_needs_a_full_grid() -> None:
    assert image_shape([f"pixel_{r}_{c}" for r in range(2) for c in range(3)]) == (2, 3)
    assert image_shape(["pixel_0_0", "pixel_0_2"]) is None
    assert image_shape(["a", "b"]) is None


def test_xgboost_knobs_pruning_knobs_never_grow_trees(moons: L.Dataset2D) -> None:
    k = L.xgboost_knobs(
        moons.X,
        moons.y,
        task="classification",
        knobs={"min_child_weight": (0.5, 2, 8), "gamma": (0, 0.5, 4), "reg_alpha": (0, 5), "rate_drop": (0.0, 0.3)},
        n_estimators=25,
        cv=3,
    )
    for name in ("min_child_weight", "gamma"):
        leaves = k.knob(name).n_leaves
        assert np.all(np.diff(leaves) <= 0), (name, leaves)
        assert leaves[-1] < leaves[0]
    alpha = k.knob("reg_alpha")
    assert alpha.n_zero_leaves[-1] > alpha.n_zero_leaves[0]  # L1 on leaf values sets some to exactly 0
    dart = k.knob("rate_drop")
    assert dart.fixed["booster"] == "dart" and dart.fixed["n_estimators"] == 25
    for curve in k.knobs:
        assert np.all(curve.train_mean >= curve.val_mean - 0.05)
        assert np.all(curve.fit_time > 0) and np.all(curve.n_features_used <= k.n_features)
    assert set(k.frame()["param"]) == {"min_child_weight", "gamma", "reg_alpha", "rate_drop"}


def test_xgboost_attributions_shrink_with_lambda(moons: L.Dataset2D) -> None:
    a = L.xgboost_attributions(moons.X, moons.y, task="classification", reg_values=(0.0, 100.0), n_estimators=20)
    assert a.gain.shape == a.shap.shape == (2, 2) and a.feature_names == ("x1", "x2")
    assert a.shap[1].sum() < a.shap[0].sum()
    assert np.all(a.gain >= 0) and np.all(a.n_features_used <= 2)
    assert len(a.frame()) == 4


# ----------------------------------------------------------------------------------------------
# 5. Decision boundary and 1-D fits


@pytest.mark.parametrize("name", sorted(L.DATASETS_2D))
def test_decision_boundary_shapes_and_scores(name: str) -> None:
    b = L.decision_boundary(name, model="knn", params={"n_neighbors": 1}, n=120, grid_size=30, seed=1)
    assert b.proba.shape == b.pred.shape == (30, 30) and b.grid_x.shape == b.grid_y.shape == (30,)
    assert np.all((b.proba >= 0) & (b.proba <= 1))
    assert 0 <= b.val_accuracy <= 1 and b.train_accuracy == 1.0  # 1-NN memorizes
    assert b.gap == pytest.approx(b.train_accuracy - b.val_accuracy)
    assert len(b.X_train) + len(b.X_val) == 120 and len(b.X_val) == 36
    lo = min(b.X_train[:, 0].min(), b.X_val[:, 0].min())
    assert b.grid_x[0] < lo  # the mesh has a margin around the data


def test_decision_boundary_models_and_inputs(moons: L.Dataset2D) -> None:
    svm = L.decision_boundary(moons.X, moons.y, model="svm", grid_size=20)
    assert svm.proba_kind == "decision" and np.all((svm.proba > 0) & (svm.proba < 1))
    stump = L.decision_boundary("moons", model="decision_tree", params={"max_depth": 1}, grid_size=20)
    assert len(np.unique(stump.pred)) == 2 and stump.proba_kind == "probability"
    assert 0 <= stump.train_accuracy <= 1
    # "Resample": another seed is another draw of the noise.
    again = L.decision_boundary("moons", model="decision_tree", params={"max_depth": 1}, grid_size=20, seed=1)
    assert not np.array_equal(stump.X_train, again.X_train)
    with pytest.raises(ConfigError, match="2 features"):
        L.decision_boundary(np.zeros((10, 3)), np.arange(10) % 2, model="knn")


def test_fit_1d_polynomial_and_registry_models() -> None:
    low = L.fit_1d(model=L.POLY_RIDGE, params={"degree": 1}, n=40, grid_size=50)
    high = L.fit_1d(model=L.POLY_RIDGE, params={"degree": 12}, n=40, grid_size=50)
    assert low.pred.shape == low.truth.shape == low.grid.shape == (50,)
    np.testing.assert_allclose(low.truth, L.truth(low.grid))
    assert high.train_rmse < low.train_rmse
    assert high.gap > low.gap
    tree = L.fit_1d(model="decision_tree", params={"max_depth": 3}, n=40)
    assert 0 < tree.train_rmse < tree.val_rmse + 1
    x = np.linspace(2, 5, 30)
    own = L.fit_1d(x, x**2, model="knn", params={"n_neighbors": 3})
    assert own.truth is None and own.grid[0] == 2 and own.grid[-1] == 5
    with pytest.raises(ConfigError):
        L.fit_1d(model=L.POLY_RIDGE, params={"depth": 3})


# ----------------------------------------------------------------------------------------------
# 6. Bias and variance


def test_bias_falls_and_variance_rises_with_depth() -> None:
    depths = [1, 2, 3, 5, 8]
    bv = L.bias_variance(model="decision_tree", param="max_depth", values=depths, n_repeats=12, n=60, seed=0)
    assert bv.bias2[0] == bv.bias2.max() and bv.bias2[-1] < bv.bias2[0] / 5
    assert bv.variance[-1] > bv.variance[0] and spearman(bv.variance, np.array(depths)) >= 0.8
    assert bv.noise == pytest.approx(0.09)
    # The decomposition adds up to the measured test error.
    np.testing.assert_allclose(bv.total, bv.test_mse, rtol=0.15)
    assert bv.train_mse[-1] < bv.train_mse[0]
    assert bv.mean_pred.shape == (5, 100) and bv.sample_preds.shape == (5, 10, 100)


def test_bias_variance_polynomial_degree() -> None:
    bv = L.bias_variance(model=L.POLY_RIDGE, param="degree", values=[1, 3, 10], n_repeats=10, n=40, seed=1)
    assert bv.bias2[0] > bv.bias2[1] and bv.variance[2] > bv.variance[0]


# ----------------------------------------------------------------------------------------------
# 7. Overfitting the validation set


def test_validation_overfitting_on_a_tiny_study(store, add_sample) -> None:
    from tuning.config import StudyConfig
    from tuning.runner import run

    ds = add_sample("moons.csv")
    config = StudyConfig(
        dataset_id=ds,
        target="label",
        model="decision_tree",
        strategy="random",
        n_trials=6,
        cv=3,
        test_size=0.3,
        metric="accuracy",
        space={"max_depth": {"type": "int", "low": 1, "high": 12}},
        seed=0,
    )
    summary = run(store, config)
    v = L.validation_overfitting(store, summary["study_id"])
    assert len(v.numbers) == summary["n_complete"] == 6
    assert np.all(np.diff(v.best_cv) >= 0) and v.best_cv[-1] == pytest.approx(summary["best_score"])
    assert 1 <= v.n_refits <= 6 and v.n_test == 120
    # The last point is the study's own test score: same refit, same rows.
    assert v.test_score[-1] == pytest.approx(summary["test_score"])
    np.testing.assert_allclose(v.optimism, v.best_cv - v.test_score)

    no_test = run(store, config.replace(test_size=0.0, n_trials=1))
    with pytest.raises(ConfigError, match="no held-out test rows"):
        L.validation_overfitting(store, no_test["study_id"])
