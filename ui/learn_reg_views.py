"""The Regularization page's views: linear penalties, sparsity, XGBoost's knobs, attributions."""

from __future__ import annotations

import numpy as np
import streamlit as st

from tuning import lessons
from tuning.charts.learn import plot_attributions, plot_linear_paths, plot_sparsity, plot_xgboost_knobs
from ui.jobs import compute
from ui.learn_data import compute_on, pick_data
from ui.learn_overfit_views import explain

SPARSITY_ROWS = 600


def linear_view() -> None:
    explain(
        "The same linear model under four penalties, on one shared axis of regularization strength (1/C for "
        "logistic regression, alpha for regression). L1 drives coefficients to exactly zero one after another — "
        "the non-zero count falls in steps; L2 shrinks every coefficient smoothly and keeps them all; elastic net "
        "sits between. The validation score shows how much simplicity costs, or gains.",
        "on the sparse-signal set (5 informative columns out of 60), find the L1 strength where the non-zero count "
        "is close to 5: is the validation score better or worse there than with no penalty?",
    )
    data = pick_data("lin_data", default_file="sparse_signal.csv")
    if data is None:
        return
    lo, hi = st.select_slider("Strength range (log10)", options=list(range(-4, 5)), value=(-3, 3), key="lin_range")
    strengths = [float(v) for v in np.logspace(lo, hi, hi - lo + 1)]  # one per decade keeps the first view quick
    res = compute_on(data, lessons.linear_paths, label="Fitting every penalty and strength", strengths=strengths)
    if res is not None:
        st.plotly_chart(plot_linear_paths(res), key="lin_chart")


def sparsity_view() -> None:
    explain(
        "Coefficients of an L1- and an L2-penalized logistic regression on 8x8 digit images, drawn as images: "
        "white is zero. L1 keeps a few decisive pixels and zeroes the rest; L2 spreads small weights over every "
        "pixel. The titles give each model's accuracy and its number of non-zero weights.",
        "move the strength to the right: how many pixels does L1 need before accuracy drops?",
    )
    data = pick_data("sp_data", default_file="digits.csv", task="classification")
    if data is None:
        return
    strengths = [0.01, 0.1, 1.0, 10.0, 100.0]
    n = min(len(data.y), SPARSITY_ROWS)  # saga on all 1,797 digits takes close to a minute; 600 rows show the same
    res = compute(
        f"sp|{data.label}|{strengths}|{n}",
        lessons.sparsity,
        label="Fitting L1 and L2 models",
        X=data.X.iloc[:n],
        y=data.y[:n],
        task=data.task,
        strengths=strengths,
    )
    if n < len(data.y):
        st.caption(f"Fitted on the first {n} of {len(data.y)} rows to stay interactive.")
    if res is None:
        return
    c1, c2 = st.columns(2)
    strength = c1.select_slider("Regularization strength (1/C)", options=strengths, value=1.0, key="sp_strength")
    classes = list(data.classes or [])
    klass = c2.selectbox(
        "Class",
        list(range(len(classes))) or [0],
        format_func=lambda i: classes[i] if classes else str(i),
        key="sp_class",
    )
    st.plotly_chart(plot_sparsity(res, index=strengths.index(strength), class_index=klass), key="sp_chart")


def knobs_view() -> None:
    explain(
        "XGBoost's regularization knobs one at a time, everything else fixed: train and validation score against "
        "each knob, with the model's size (total leaves) alongside. reg_alpha (L1) and reg_lambda (L2) shrink leaf "
        "values; gamma and min_child_weight prune splits and shrink the trees; max_depth caps them; subsample and "
        "DART's rate_drop (dropout for trees, booster='dart') add randomness.",
        "find the knob that closes the train–validation gap with the smallest loss of validation score.",
    )
    # A table XGBoost overfits (train 1.0, validation about 0.76 at 100 rounds), so closing the gap is visible.
    data = pick_data("kn_data", default_file="sparse_signal.csv")
    if data is None:
        return
    rounds = st.select_slider("Boosting rounds", [50, 100, 200], value=100, key="kn_rounds")
    res = compute_on(data, lessons.xgboost_knobs, label="Sweeping XGBoost's knobs (DART is slow)", n_estimators=rounds)
    if res is not None:
        # two panels a row: four put the subplot titles into each other in a narrow window
        st.plotly_chart(plot_xgboost_knobs(res, cols=2), key="kn_chart")


def attributions_view() -> None:
    explain(
        "How XGBoost spreads credit over features as a penalty grows: gain importance (how much each feature's "
        "splits improved the loss) and mean |SHAP| (its average contribution to predictions, from XGBoost's "
        "built-in pred_contribs). Strong penalties concentrate credit on fewer features.",
        "switch the penalty to gamma and compare how fast minor features lose their credit.",
    )
    data = pick_data("at_data", default_file="breast_cancer.csv")
    if data is None:
        return
    param = st.selectbox("Penalty", ["reg_lambda", "reg_alpha", "gamma", "min_child_weight"], key="at_param")
    values = {
        "reg_lambda": [0.0, 1.0, 10.0, 100.0, 1000.0],
        "reg_alpha": [0.0, 0.1, 1.0, 10.0, 100.0],
        "gamma": [0.0, 0.5, 2.0, 5.0, 10.0],
        "min_child_weight": [0.1, 1.0, 10.0, 30.0, 100.0],
    }[param]
    res = compute_on(data, lessons.xgboost_attributions, label="Fitting and explaining", param=param, reg_values=values)
    if res is not None:
        st.plotly_chart(plot_attributions(res), key="at_chart")
