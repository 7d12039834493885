"""Learn-page charts: the info each chart is drawn from, built from small hand-made lesson results."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from tuning.charts import learn as C
from tuning.charts.learn import boundary as B
from tuning.charts.learn import regularization as R
from tuning.charts.learn import xgboost_regularization as XR
from tuning.lessons.bias_variance import BiasVariance
from tuning.lessons.boosting import BoostingRounds, BoostingRun, early_stop
from tuning.lessons.boundary import DecisionBoundary, Fit1D
from tuning.lessons.learning_curve import LearningCurve
from tuning.lessons.regularization import Attributions, KnobCurve, LinearPaths, Sparsity, XGBoostKnobs
from tuning.lessons.validation_curve import ValidationCurve
from tuning.lessons.validation_overfit import ValidationOverfit

# ----------------------------------------------------------------------------------------------
# Builders


def make_vc(
    values=(1, 2, 4, 8, 16, 32),
    *,
    metric: str = "neg_root_mean_squared_error",
    param: str = "max_depth",
    regimes=("underfit", "underfit", "sweet spot", "sweet spot", "overfit", "overfit"),
    model: str = "decision_tree",
) -> ValidationCurve:
    n = len(values)
    # Losses stored negated: validation is best (least negative) at index 3, train keeps improving.
    val = -np.array([0.6, 0.5, 0.42, 0.40, 0.45, 0.50])[:n]
    train = -np.array([0.58, 0.45, 0.35, 0.25, 0.10, 0.0])[:n]
    std = np.full(n, 0.02)
    return ValidationCurve(
        param=param,
        values=tuple(values),
        train_mean=train,
        train_std=std,
        val_mean=val,
        val_std=std,
        val_se=np.full(n, 0.01),
        gap=train - val,
        train_folds=np.tile(train[:, None], (1, 3)),
        val_folds=np.tile(val[:, None], (1, 3)),
        fit_time=np.full(n, 0.01),
        best_index=int(np.argmax(val)),
        one_se_index=2,
        regimes=tuple(regimes)[:n],
        dummy_score=-0.8,
        metric=metric,
        model=model,
        simpler="low",
    )


def make_lc(offset: float = 0.0, *, metric: str = "accuracy", params=None) -> LearningCurve:
    sizes = np.array([10.0, 20.0, 40.0, 80.0])
    train = np.array([1.0, 0.97, 0.95, 0.93]) - offset
    val = np.array([0.70, 0.80, 0.86, 0.89]) - offset
    std = np.full(4, 0.02)
    return LearningCurve(
        fractions=np.array([0.125, 0.25, 0.5, 1.0]),
        train_sizes=sizes,
        train_mean=train,
        train_std=std,
        val_mean=val,
        val_std=std,
        gap=train - val,
        fit_time=np.full(4, 0.01),
        dummy_score=0.5,
        metric=metric,
        model="decision_tree",
        params=params if params is not None else {"max_depth": 3},
    )


def make_run(lr: float, val: np.ndarray, patience: int = 3) -> BoostingRun:
    n = len(val)
    train = np.linspace(0.6, 0.05, n)
    best = int(np.argmin(val)) + 1
    kept, stop = early_stop(val, patience)
    return BoostingRun(
        learning_rate=lr,
        rounds=np.arange(1, n + 1),
        train_mean=train,
        train_std=np.full(n, 0.01),
        val_mean=val,
        val_std=np.full(n, 0.02),
        best_round=best,
        best_loss=float(val[best - 1]),
        es_best_round=kept,
        stop_round=stop,
        wasted_rounds=n - best,
        saved_rounds=n - stop,
        fit_time=0.1,
    )


def make_rounds() -> BoostingRounds:
    u_shape = np.array([0.7, 0.5, 0.4, 0.35, 0.36, 0.38, 0.40, 0.42, 0.45, 0.47, 0.5, 0.52])
    falling = np.linspace(0.7, 0.3, 12)  # never stops
    return BoostingRounds(
        runs=(make_run(0.3, u_shape), make_run(0.03, falling)),
        metric="logloss",
        higher_is_better=False,
        early_stopping_rounds=3,
        n_estimators=12,
        params={},
    )


def make_bv(test_mse=None) -> BiasVariance:
    values = (1, 3, 5, 9, 15)
    bias2 = np.array([0.20, 0.02, 0.005, 0.004, 0.004])
    variance = np.array([0.01, 0.01, 0.02, 0.05, 0.20])
    noise = 0.09
    total = bias2 + variance + noise
    grid = np.linspace(0, 1, 20)
    truth = np.sin(2 * np.pi * grid)
    rng = np.random.default_rng(0)
    samples = truth + rng.normal(0, 0.1, (len(values), 4, len(grid)))
    return BiasVariance(
        param="degree",
        values=values,
        bias2=bias2,
        variance=variance,
        noise=noise,
        total=total,
        test_mse=total + 0.002 if test_mse is None else np.asarray(test_mse, dtype=float),
        train_mse=np.array([0.28, 0.1, 0.09, 0.08, 0.07]),
        grid=grid,
        truth=truth,
        mean_pred=samples.mean(axis=1),
        sample_preds=samples,
        model="poly_ridge",
        n_repeats=4,
        n=30,
    )


def make_vo(metric: str = "neg_log_loss") -> ValidationOverfit:
    numbers = np.array([0, 1, 2, 4, 5])  # trial 3 failed: numbers need not be contiguous
    cv = np.array([-0.40, -0.35, -0.38, -0.30, -0.33])
    best = np.maximum.accumulate(cv)
    best_number = np.array([0, 1, 1, 4, 4])
    test = np.array([-0.41, -0.37, -0.37, -0.36, -0.36])
    return ValidationOverfit(
        study_id=1,
        metric=metric,
        numbers=numbers,
        cv_score=cv,
        best_cv=best,
        best_number=best_number,
        test_score=test,
        optimism=best - test,
        n_refits=3,
        n_train=100,
        n_test=40,
    )


def make_paths(metric: str = "roc_auc", dummy: float = 0.3) -> LinearPaths:
    strengths = np.array([0.01, 0.1, 1.0, 10.0])
    # Two outputs (multiclass) and three features; L1 zeroes feature 2 from strength 0.1 on.
    l1 = np.zeros((4, 2, 3))
    l1[:, 0, :] = [[2.0, 1.0, 0.5], [1.5, 0.6, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    l1[:, 1, :] = -l1[:, 0, :]
    l2 = np.zeros((4, 2, 3))
    l2[:, 0, :] = [[2.0, 1.0, 0.5], [1.6, 0.8, 0.4], [1.0, 0.5, 0.25], [0.3, 0.15, 0.07]]
    l2[:, 1, :] = -l2[:, 0, :]
    none = np.repeat(l2[:1], 4, axis=0)

    def nz(c):
        return (np.abs(c) > 1e-8).sum(axis=(1, 2))

    coefs = {"none": none, "l1": l1, "l2": l2}
    val = {"none": np.full(4, 0.80), "l1": np.array([0.80, 0.84, 0.82, 0.80]), "l2": np.array([0.80, 0.81, 0.85, 0.78])}
    train = {p: v + 0.05 for p, v in val.items()}
    std = {p: np.full(4, 0.01) for p in coefs}
    return LinearPaths(
        task="classification",
        strengths=strengths,
        penalties=("none", "l2", "l1"),
        feature_names=("a", "b", "c"),
        coefs=coefs,
        n_nonzero={p: nz(c) for p, c in coefs.items()},
        n_features_used={p: (np.abs(c) > 1e-8).any(axis=1).sum(axis=1) for p, c in coefs.items()},
        train_mean=train,
        train_std=std,
        val_mean=val,
        val_std=std,
        metric=metric,
        dummy_score=dummy,
        strength_note="",
        l1_ratio=0.5,
    )


def make_knob(param: str, values, val, fixed=None) -> KnobCurve:
    n = len(values)
    val = np.asarray(val, dtype=float)
    return KnobCurve(
        param=param,
        values=tuple(values),
        train_mean=val + 0.05,
        train_std=np.full(n, 0.01),
        val_mean=val,
        val_std=np.full(n, 0.02),
        n_leaves=np.linspace(100, 10, n).astype(int),
        n_zero_leaves=np.zeros(n, dtype=int),
        n_features_used=np.full(n, 5),
        fit_time=np.full(n, 0.1),
        best_index=int(np.argmax(val)),
        fixed=fixed or {},
    )


def make_knobs() -> XGBoostKnobs:
    return XGBoostKnobs(
        knobs=(
            make_knob("reg_alpha", (0.0, 1.0, 10.0), [0.80, 0.83, 0.70]),
            make_knob("max_depth", (1, 3, 6), [0.75, 0.86, 0.82]),
            make_knob("rate_drop", (0.0, 0.1, 0.3), [0.84, 0.85, 0.81], fixed={"booster": "dart"}),
        ),
        metric="roc_auc",
        dummy_score=0.5,
        n_features=5,
    )


def make_sparsity(names, l1, l2, *, strengths=(0.1, 1.0), image=None) -> Sparsity:
    l1, l2 = np.asarray(l1, dtype=float), np.asarray(l2, dtype=float)
    n = l1[0].size
    return Sparsity(
        strengths=np.asarray(strengths, dtype=float),
        feature_names=tuple(names),
        l1_coefs=l1,
        l2_coefs=l2,
        l1_zero_fraction=1 - (np.abs(l1) > 1e-8).sum(axis=(1, 2)) / n,
        l2_zero_fraction=1 - (np.abs(l2) > 1e-8).sum(axis=(1, 2)) / n,
        l1_val_mean=np.array([0.9, 0.85])[: len(strengths)],
        l1_val_std=np.full(len(strengths), 0.01),
        l2_val_mean=np.array([0.91, 0.9])[: len(strengths)],
        l2_val_std=np.full(len(strengths), 0.01),
        metric="accuracy",
        dummy_score=0.1,
        strength_note="",
        image_shape=image,
    )


def make_boundary(train_acc: float = 0.95, val_acc: float = 0.85, *, n_classes: int = 2) -> DecisionBoundary:
    gx, gy = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)
    mx, _ = np.meshgrid(gx, gy)
    proba = 1 / (1 + np.exp(-3 * mx))  # class 1 to the right of x = 0
    X_train = np.array([[-0.5, 0.0], [0.5, 0.1], [-0.6, 1.0], [0.7, -1.0]])
    y_train = np.array([0, 1, 0, 1]) if n_classes == 2 else np.array([0, 1, 2, 1])
    X_val = np.array([[-0.4, 0.2], [0.3, 0.5]])
    y_val = np.array([0, 1])
    return DecisionBoundary(
        grid_x=gx,
        grid_y=gy,
        proba=proba,
        pred=(proba > 0.5).astype(int),
        proba_kind="probability",
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        train_accuracy=train_acc,
        val_accuracy=val_acc,
        gap=train_acc - val_acc,
        classes=tuple(str(i) for i in range(n_classes)),
        feature_names=("x1", "x2"),
        model="knn",
        params={"n_neighbors": 5},
        seed=0,
    )


def make_fit(degree: int, *, seed: int = 0, pred_scale: float = 1.0) -> Fit1D:
    grid = np.linspace(0, 1, 11)
    truth = np.sin(2 * np.pi * grid)
    rng = np.random.default_rng(seed)
    x_tr, x_va = np.sort(rng.uniform(0, 1, 8)), np.sort(rng.uniform(0, 1, 4))
    return Fit1D(
        grid=grid,
        pred=truth * pred_scale,
        truth=truth,
        x_train=x_tr,
        y_train=np.sin(2 * np.pi * x_tr),
        x_val=x_va,
        y_val=np.sin(2 * np.pi * x_va),
        train_rmse=0.1 * degree,
        val_rmse=0.2 * degree,
        gap=0.1 * degree,
        model="poly_ridge",
        params={"degree": degree},
        seed=seed,
        noise=0.3,
    )


def assert_labelled(fig: go.Figure) -> None:
    """Every x and y axis that has data has a title; the figure has a title."""
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    layout = fig.layout.to_plotly_json()
    xs = [k for k in layout if k.startswith("xaxis")]
    ys = [k for k in layout if k.startswith("yaxis") and not layout[k].get("overlaying")]
    assert xs and ys
    assert any((layout[k].get("title") or {}).get("text") for k in xs)
    assert any((layout[k].get("title") or {}).get("text") for k in ys)


def traces_named(fig: go.Figure, text: str) -> list:
    return [t for t in fig.data if t.name and text in t.name]


# ----------------------------------------------------------------------------------------------
# Shared helpers


def test_x_axis_picks_log_linear_or_category():
    assert C.x_axis([1, 2, 4, 8, 16]).kind == "log"
    assert C.x_axis([1, 2, 4, 8]).kind == "linear"  # within one decade
    assert C.x_axis([0.0, 1.0, 100.0]).kind == "linear"  # zero: no log
    assert C.x_axis([1, 10, 100], log_x=False).kind == "linear"
    assert C.x_axis([1, 2, 4], log_x=True).kind == "log"
    assert C.x_axis([0.0, 10.0, 100.0], log_x=True).kind == "linear"  # cannot
    cat = C.x_axis([2, 4, None])
    assert cat.kind == "category" and cat.x == ["2", "4", "None"]
    np.testing.assert_allclose(cat.edges, [-0.5, 0.5, 1.5, 2.5])


def test_score_view_drops_a_far_baseline_and_keeps_a_near_one():
    near = C.score_view([np.array([0.7, 0.9])], 0.5)
    assert near.baseline_shown and near.range[0] < 0.5 < near.range[1]
    far = C.score_view([np.array([0.98, 0.99])], 0.5)
    assert not far.baseline_shown and far.range[0] > 0.9


# ----------------------------------------------------------------------------------------------
# Validation curve


def test_validation_curve_info_display_units_star_and_regime_bands():
    vc = make_vc()
    info = C._get_validation_curve_info(vc)
    # neg_* losses shown positive; the star is the argmax of the stored (argmin of the shown) loss.
    np.testing.assert_allclose(info.val_mean, -vc.val_mean)
    assert info.best_index == int(np.argmax(vc.val_mean)) == int(np.argmin(info.val_mean)) == 3
    assert info.dummy == pytest.approx(0.8)
    assert info.axis.kind == "log"
    bands = {b.regime: b for b in info.regimes}
    assert [b.regime for b in info.regimes] == ["underfit", "sweet spot", "overfit"]
    # Band edges are geometric midpoints between neighbouring values, half a step outside at the ends.
    assert bands["underfit"].x0 == pytest.approx(1 / math.sqrt(2))
    assert bands["underfit"].x1 == pytest.approx(math.sqrt(2 * 4))
    assert bands["sweet spot"].x0 == pytest.approx(math.sqrt(2 * 4))
    assert bands["sweet spot"].x1 == pytest.approx(math.sqrt(8 * 16))
    assert bands["overfit"].x1 == pytest.approx(32 * math.sqrt(2))
    assert (bands["sweet spot"].first, bands["sweet spot"].last) == (2, 3)


def test_regime_bands_on_linear_and_category_axes():
    lin = C.regime_bands(("underfit", "sweet spot", "sweet spot", "overfit"), C.x_axis([0, 1, 2, 3]))
    assert [(b.x0, b.x1) for b in lin] == [(-0.5, 0.5), (0.5, 2.5), (2.5, 3.5)]
    cat = C.regime_bands(("underfit", "", "overfit"), C.x_axis(["a", "b", "c"]))
    assert [(b.regime, b.x0, b.x1) for b in cat] == [("underfit", -0.5, 0.5), ("overfit", 1.5, 2.5)]
    # Unsorted numeric values are banded in axis order.
    uns = C.regime_bands(("overfit", "underfit", "underfit"), C.x_axis([10, 1, 2]))
    assert [b.regime for b in uns] == ["underfit", "overfit"]
    assert uns[1].first == 0


def test_validation_curve_scores_keep_their_sign():
    info = C._get_validation_curve_info(make_vc(metric="r2"))
    np.testing.assert_allclose(info.val_mean, make_vc(metric="r2").val_mean)


def test_validation_curve_current_marker_interpolates_on_the_log_axis():
    info = C._get_validation_curve_info(make_vc(), current=4 * math.sqrt(2))  # halfway between 4 and 8 in log
    assert info.current_x == pytest.approx(4 * math.sqrt(2))
    assert info.current_val == pytest.approx((0.42 + 0.40) / 2)
    assert math.isnan(C._get_validation_curve_info(make_vc(), current=1000).current_val)  # off the curve
    fig = C.plot_validation_curve(make_vc(), current=5)
    vlines = [s for s in fig.layout.shapes if s.x0 == s.x1 == 5]
    assert len(vlines) == 1
    assert traces_named(fig, "current max_depth=5")


def test_validation_curve_category_current_and_pinned():
    vc = make_vc(values=(2, 4, None), regimes=("underfit", "sweet spot", "overfit"))
    info = C._get_validation_curve_info(vc, current=None)
    assert info.axis.kind == "category" and info.current_x is None
    info = C._get_validation_curve_info(vc, current=4)
    assert info.current_x == 1.0 and info.current_val == pytest.approx(0.5)


def test_pinned_validation_curves_add_traces_and_skip_other_parameters():
    base = C.plot_validation_curve(make_vc())
    other = make_vc(model="knn")
    pinned = C.plot_validation_curve(make_vc(), pinned=[other, other], pinned_labels=["knn a", "knn b"])
    assert len(pinned.data) == len(base.data) + 2
    assert [t.name for t in traces_named(pinned, "validation: knn")] == ["validation: knn a", "validation: knn b"]
    assert all(t.line.dash != "solid" and t.line.width < 2 for t in traces_named(pinned, "validation: knn"))
    wrong = C.plot_validation_curve(make_vc(), pinned=[make_vc(param="min_samples_leaf")])
    assert len(wrong.data) == len(base.data)
    assert "1 pinned not shown" in wrong.layout.title.text


def test_plot_validation_curve_draws_regimes_star_diamond_and_labels():
    fig = C.plot_validation_curve(make_vc())
    assert_labelled(fig)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "max_depth (log scale)"
    assert fig.layout.yaxis.title.text == "RMSE (lower is better)"
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 3
    assert {a.text for a in fig.layout.annotations} >= {"underfit", "sweet spot", "overfit"}
    (star,) = traces_named(fig, "best validation")
    assert star.marker.symbol == "star" and star.y[0] == pytest.approx(0.40)
    (diamond,) = traces_named(fig, "one-SE")
    assert diamond.marker.symbol == "diamond" and diamond.x[0] == 4.0
    hlines = [s for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1]
    assert [s.y0 for s in hlines] == [pytest.approx(0.8)]  # the dummy baseline, shown positive


# ----------------------------------------------------------------------------------------------
# Learning curve


def test_learning_curve_runs_styles_and_limits():
    curves = [make_lc(0.0), make_lc(0.05, params={"max_depth": None})]
    info = C._get_learning_curve_info(curves)
    assert [r.label for r in info.runs] == ["decision_tree max_depth=3", "decision_tree max_depth=None"]
    assert len({r.dash for r in info.runs}) == 2 and len({r.symbol for r in info.runs}) == 2
    assert info.runs[0].verdict
    many = C._get_learning_curve_info([make_lc()] * 5 + [make_lc(metric="roc_auc")])
    assert len(many.runs) == 4 and many.skipped == 2
    fig = C.plot_learning_curve(curves, labels=["shallow", "deep"])
    assert_labelled(fig)
    assert len(traces_named(fig, "gap")) == 1  # shaded for the first run only
    train = [t for t in fig.data if t.name and t.name.startswith("train:")]
    assert {t.line.color for t in train} == {C.TRAIN}
    assert [t.name for t in train] == ["train: shallow", "train: deep"]
    assert fig.layout.xaxis.title.text == "training rows (per fold)"


# ----------------------------------------------------------------------------------------------
# Boosting rounds


def test_boosting_info_star_stop_and_wasted_band():
    rounds = make_rounds()
    info = C._get_boosting_rounds_info(rounds)
    u, falling = info.panels
    assert u.run.best_round == int(np.argmin(rounds.runs[0].val_mean)) + 1 == 4
    assert u.run.stop_round == 7  # best at 4, patience 3
    assert u.wasted == (7.0, 12.0)  # the band starts at the stop round
    assert falling.wasted is None


def test_plot_boosting_rounds_one_panel_per_learning_rate():
    fig = C.plot_boosting_rounds(make_rounds())
    assert_labelled(fig)
    assert fig.layout.xaxis.title.text == "boosting round" and fig.layout.xaxis2.title.text == "boosting round"
    assert fig.layout.yaxis.title.text == "logloss (lower is better)"
    assert fig.layout.yaxis2.matches == "y"  # shared y
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1 and rects[0].x0 == 7 and rects[0].x1 == 12 and rects[0].xref == "x"
    stars = [t for t in fig.data if t.marker and t.marker.symbol == "star"]
    assert [(t.x[0], t.y[0]) for t in stars] == [(4, pytest.approx(0.35)), (12, pytest.approx(0.3))]
    assert "learning rate 0.3: best 4, stops at 7" in fig.layout.annotations[0].text
    assert "never stops" in fig.layout.annotations[1].text


# ----------------------------------------------------------------------------------------------
# Bias-variance


def test_bias_variance_star_stack_and_clipping():
    bv = make_bv()
    info = C._get_bias_variance_info(bv, current=5)
    assert info.best_index == int(np.argmin(bv.test_mse)) == 2
    assert not info.clipped and info.current_x == 5.0
    fig = C.plot_bias_variance(bv, current=5)
    assert_labelled(fig)
    stacked = [t.name for t in fig.data if t.stackgroup]
    assert stacked == ["noise σ²", "bias²", "variance"]
    (test,) = traces_named(fig, "test MSE (measured)")
    assert test.line.dash == "dash" and test.line.color == C.TEST
    exploded = make_bv(test_mse=[0.3, 0.11, 0.1, 0.12, 50.0])
    info = C._get_bias_variance_info(exploded)
    assert info.clipped and info.y_max == pytest.approx(C.CLIP_FACTOR * 0.1 * 1.05)


def test_bias_variance_fits_pick_one_value():
    bv = make_bv()
    info = C._get_bias_variance_fits_info(bv, 3)
    assert info.label == "degree=9"
    np.testing.assert_allclose(info.mean, bv.mean_pred[3])
    assert info.samples.shape == (4, 20)
    fig = C.plot_bias_variance_fits(bv, 3)
    assert_labelled(fig)
    assert len(traces_named(fig, "fit on one sample")) == 4
    assert traces_named(fig, "truth")[0].line.dash == "dot"
    with pytest.raises(IndexError):
        C._get_bias_variance_fits_info(bv, 5)


# ----------------------------------------------------------------------------------------------
# Overfitting the validation set


def test_validation_overfit_steps_display_and_optimism():
    vo = make_vo()
    info = C._get_validation_overfit_info(vo)
    np.testing.assert_allclose(info.cv_score, -vo.cv_score)  # log loss shown positive
    # Steps: each value held until the next trial number (trial 3 is missing).
    np.testing.assert_allclose(info.step_x, [0, 1, 1, 2, 2, 4, 4, 5, 5])
    np.testing.assert_allclose(info.best_cv_steps, [0.40, 0.40, 0.35, 0.35, 0.35, 0.35, 0.30, 0.30, 0.30])
    assert info.final_optimism == pytest.approx(0.06)
    fig = C.plot_validation_overfit(vo)
    assert_labelled(fig)
    (test,) = traces_named(fig, "test score")
    assert test.line.color == C.TEST and test.line.dash == "dash"
    (best,) = traces_named(fig, "best CV")
    assert best.line.color == C.VALIDATION
    assert any("optimism +0.06" in a.text for a in fig.layout.annotations)


# ----------------------------------------------------------------------------------------------
# Regularization


def test_linear_paths_info_columns_best_and_output():
    paths = make_paths()
    info = R._get_linear_paths_info(paths, output=1)
    assert info.penalties == ["l1", "l2"]  # L1 first, "none" is a reference, not a column
    np.testing.assert_allclose(info.coefs["l1"], paths.coefs["l1"][:, 1, :])
    assert info.best_index == {"l1": 1, "l2": 2}
    np.testing.assert_array_equal(info.n_nonzero["l1"], [6, 4, 2, 0])
    assert info.none_val == pytest.approx(0.80) and info.n_coefs == 6
    with pytest.raises(IndexError):
        R._get_linear_paths_info(paths, output=2)


def test_plot_linear_paths_three_rows_on_a_log_axis():
    fig = R.plot_linear_paths(make_paths())
    assert_labelled(fig)
    layout = fig.layout.to_plotly_json()
    xaxes = [k for k in layout if k.startswith("xaxis")]
    assert len(xaxes) == 6 and all(layout[k]["type"] == "log" for k in xaxes)
    assert fig.layout.yaxis.title.text == "coefficient (class 0)"
    assert fig.layout.yaxis5.title.text == "ROC AUC (higher is better)"
    stars = [t for t in fig.data if t.marker and t.marker.symbol == "star"]
    assert [s.x[0] for s in stars] == [0.1, 1.0]
    # The dummy at 0.3 is far below scores of 0.77-0.91 (more than two spans): left off, named in the legend.
    assert traces_named(fig, "dummy baseline 0.3 (off the chart)")
    near = R.plot_linear_paths(make_paths(dummy=0.7))
    assert traces_named(near, "dummy baseline") and not traces_named(near, "off the chart")


def test_xgboost_knobs_panels_best_and_secondary_axis():
    knobs = make_knobs()
    info = XR._get_xgboost_knobs_info(knobs)
    assert [p.best_index for p in info.panels] == [1, 1, 1]
    assert info.panels[2].title.endswith("(DART)")
    assert info.panels[0].labels == ["0", "1", "10"]
    lo, hi = info.y_range
    assert lo < 0.5 and hi > 0.91  # shared range covers every panel's bands and the dummy
    fig = XR.plot_xgboost_knobs(knobs, cols=2)
    assert_labelled(fig)
    stars = [t for t in fig.data if t.marker and t.marker.symbol == "star"]
    assert [(s.x[0], s.y[0]) for s in stars] == [("1", 0.83), ("3", 0.86), ("0.1", 0.85)]
    leaves = traces_named(fig, "leaves")
    assert len(leaves) == 3 and all(fig.layout[t.yaxis.replace("y", "yaxis")].overlaying for t in leaves)
    assert fig.layout.xaxis.title.text == "reg_alpha" and fig.layout.xaxis.type == "category"


def test_sparsity_image_zeros_are_exact():
    names = [f"pixel_{r}_{c}" for r in range(2) for c in range(2)]
    l1 = [[[0.0, 1e-12, -0.5, 0.0]], [[0.0, 0.0, -0.2, 0.0]]]
    l2 = [[[0.1, 0.2, -0.4, 0.05]], [[0.05, 0.1, -0.2, 0.02]]]
    sp = make_sparsity(names, l1, l2, image=(2, 2))
    info = R._get_sparsity_info(sp, index=0)
    assert info.kind == "image" and info.l1.shape == (2, 2)
    # 1e-12 is not exactly zero (but counts as zero for the non-zero count, like the lesson's tolerance).
    np.testing.assert_array_equal(info.l1_zero, [[True, False], [False, True]])
    assert not info.l2_zero.any()
    assert (info.l1_nonzero, info.l2_nonzero, info.n_coefs) == (1, 4, 4)
    assert info.zmax == pytest.approx(0.5)
    fig = R.plot_sparsity(sp, index=0)
    assert_labelled(fig)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heat) == 2 and heat[0].zmid == 0 and heat[0].zmin == -heat[0].zmax
    l1_zeros, l2_zeros = [t for t in fig.data if t.name == "exactly 0"]
    assert sorted(zip(l1_zeros.y, l1_zeros.x)) == [(0, 0), (1, 1)]
    assert len(l2_zeros.x) == 0
    assert "L1: accuracy 0.900,<br>1/4 non-zero" in fig.layout.annotations[0].text
    with pytest.raises(IndexError):
        R._get_sparsity_info(sp, class_index=1)


def test_sparsity_bars_for_tabular_features_and_default_strength():
    names = ["a", "b", "c"]
    l1 = [[[0.0, 0.5, -0.1]], [[0.0, 0.3, 0.0]]]
    l2 = [[[0.2, 0.6, -0.3]], [[0.1, 0.4, -0.1]]]
    sp = make_sparsity(names, l1, l2)
    # Score 0.85 keeps more than half the lift over the dummy (0.1 -> 0.9): the stronger one is the default.
    assert R.default_strength_index(sp) == 1
    info = R._get_sparsity_info(sp)
    assert info.kind == "bars" and info.index == 1
    assert info.features == ["b", "a", "c"]  # sorted by |L2|
    np.testing.assert_array_equal(info.l1_zero, [False, True, True])
    fig = R.plot_sparsity(sp)
    assert_labelled(fig)
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert len(bars) == 2 and bars[0].orientation == "h"
    cost = R.plot_sparsity_cost(sp)
    assert_labelled(cost)
    np.testing.assert_allclose(R._get_sparsity_cost_info(sp).zero_fraction["l1"], [1 / 3, 2 / 3])


def test_attributions_top_features_gain_share_and_unused_cells():
    gain = np.array([[1.0, 3.0, 0.0, 6.0], [0.0, 2.0, 0.0, 2.0]])
    shap = np.array([[0.1, 0.5, 0.0, 0.9], [0.0, 0.3, 0.01, 0.2]])
    attr = Attributions(
        param="gamma",
        values=np.array([0.0, 10.0]),
        feature_names=("f0", "f1", "f2", "f3"),
        gain=gain,
        shap=shap,
        n_features_used=np.array([3, 2]),
        n_leaves=np.array([50, 10]),
    )
    info = XR._get_attributions_info(attr, top=3)
    assert info.features == ["f3", "f1", "f0"]
    np.testing.assert_allclose(info.gain[:, 0], [0.6, 0.3, 0.1])  # shares of the column's total gain
    np.testing.assert_allclose(info.gain[:, 1], [0.5, 0.5, 0.0])
    fig = XR.plot_attributions(attr, top=3)
    assert_labelled(fig)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert heat[0].text[2][1] == "–"  # f0 unused at gamma=10
    assert list(heat[0].x) == ["0<br>3 used", "10<br>2 used"]


# ----------------------------------------------------------------------------------------------
# Boundary lab and 1-D fit


def test_decision_boundary_info_points_and_title():
    db = make_boundary()
    info = B._get_decision_boundary_info(db)
    assert info.binary and info.label == "knn n_neighbors=5"
    assert [len(p.train) for p in info.points] == [2, 2] and [len(p.val) for p in info.points] == [1, 1]
    np.testing.assert_allclose(info.points[1].train, [[0.5, 0.1], [0.7, -1.0]])
    fig = B.plot_decision_boundary(db)
    assert_labelled(fig)
    assert "train 0.95, validation 0.85, gap +0.10" in fig.layout.title.text
    (heat,) = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert heat.zmid == 0.5
    (contour,) = [t for t in fig.data if isinstance(t, go.Contour)]
    assert contour.contours.start == contour.contours.end == 0.5
    symbols = {t.name: t.marker.symbol for t in fig.data if isinstance(t, go.Scatter)}
    assert symbols["train, class 0"] == "circle" and symbols["validation, class 1"] == "x"


def test_decision_boundary_multiclass_uses_the_predicted_class():
    info = B._get_decision_boundary_info(make_boundary(n_classes=3))
    assert not info.binary and info.colour_title == "predicted class"
    fig = B.plot_decision_boundary(make_boundary(n_classes=3))
    assert not [t for t in fig.data if isinstance(t, go.Contour)]


def test_pinned_boundaries_are_side_by_side():
    single = B.plot_decision_boundary(make_boundary())
    grid = B.plot_decision_boundary(make_boundary(), pinned=[make_boundary(1.0, 0.7), make_boundary(0.8, 0.8)])
    assert_labelled(grid)
    heat = [t for t in grid.data if isinstance(t, go.Heatmap)]
    assert len(heat) == 3 and len(grid.data) == 3 * len(single.data)
    assert [t.showscale for t in heat] == [True, False, False]
    assert "gap +0.30" in grid.layout.annotations[1].text
    info = B._get_boundaries_info([make_boundary()] * 6)
    assert len(info.panels) == 4 and info.skipped == 2


def test_fit_1d_overlays_with_rmse_in_the_legend():
    fits = [make_fit(1), make_fit(9, pred_scale=50.0)]
    info = B._get_fit_1d_info(fits, labels=["line", "wiggle"])
    assert [f.label for f in info.fits] == [
        "line (RMSE train 0.100, validation 0.200)",
        "wiggle (RMSE train 0.900, validation 1.800)",
    ]
    assert info.same_data
    assert info.y_range[1] < 2  # the wild fit does not set the y range
    fig = B.plot_fit_1d(fits)
    assert_labelled(fig)
    assert len(fig.data) == 3 + 2
    assert traces_named(fig, "train points")[0].marker.color == C.TRAIN
    assert traces_named(fig, "validation points")[0].marker.color == C.VALIDATION
    assert traces_named(fig, "truth")[0].line.dash == "dot"
    other = B.plot_fit_1d([make_fit(1), make_fit(3, seed=1)])
    assert "other samples" in other.layout.title.text
    assert len(B.plot_fit_1d(make_fit(2)).data) == 4


# ----------------------------------------------------------------------------------------------
# Real lesson results (small and fast)


def test_charts_from_real_lessons():
    import tuning.lessons as L

    db = L.decision_boundary("moons", model="knn", params={"n_neighbors": 5}, n=60, grid_size=20)
    assert_labelled(B.plot_decision_boundary(db))
    fit = L.fit_1d(model="poly_ridge", params={"degree": 5}, n=30, grid_size=50)
    assert_labelled(B.plot_fit_1d(fit))
    bv = L.bias_variance(model="poly_ridge", param="degree", values=[1, 3, 9], n_repeats=3, n=20, grid_size=20)
    info = C._get_bias_variance_info(bv)
    assert info.best_index == int(np.argmin(bv.test_mse))
    assert_labelled(C.plot_bias_variance(bv))
    s = L.noisy_sine(60, seed=0)
    vc = L.validation_curve(
        s.X, s.y, model="decision_tree", task="regression", param="max_depth", values=[1, 3, 8], cv=3
    )
    fig = C.plot_validation_curve(vc, current=3)
    assert_labelled(fig)
    assert C._get_validation_curve_info(vc).best_index == int(np.nanargmax(vc.val_mean))
