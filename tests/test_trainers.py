"""Trainers: one prediction per split gives scikit-learn's scores; staged and continued boosters equal fits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_validate

from tuning.data import parse_table, prepare_xy
from tuning.evaluate import EvalContext, evaluate, make_folds, run_trial, secondary_metrics
from tuning.models import build_pipeline
from tuning.profile import profile_table
from tuning.protocol import Candidate, TrialState
from tuning.trainers import trainer_for
from tuning.trainers.xgboost import _runs

from .conftest import SAMPLES


def _ctx(name, target, model, metric, *, task, cv=3, **kw):
    df = parse_table((SAMPLES / name).read_bytes(), name=name)
    d = prepare_xy(df, profile_table(df, target=target, task=task))
    n_classes = len(d.classes) if d.classes else None
    return d, EvalContext(
        model=model,
        task=task,
        X=d.X,
        y=d.y,
        numeric=d.numeric,
        categorical=d.categorical,
        folds=tuple(make_folds(d.y, task=task, cv=cv, seed=3)),
        metric=metric,
        secondary=secondary_metrics(task, n_classes),
        seed=3,
        **kw,
    )


CASES = [
    # (sample, target, task, model, params, metrics): one per metric family and response method
    (
        "breast_cancer.csv",
        "diagnosis",
        "classification",
        "xgboost",
        {"n_estimators": 15, "max_depth": 3},
        ["roc_auc", "accuracy", "neg_log_loss", "f1", "average_precision"],
    ),
    (
        "breast_cancer.csv",
        "diagnosis",
        "classification",
        "logistic_regression",
        {"C": 0.5, "max_iter": 500},
        ["roc_auc", "accuracy", "neg_log_loss", "balanced_accuracy"],
    ),
    ("breast_cancer.csv", "diagnosis", "classification", "svm", {"C": 1.0}, ["roc_auc", "accuracy", "f1"]),
    (
        "wine.csv",
        "cultivar",
        "classification",
        "xgboost",
        {"n_estimators": 10, "max_depth": 2},
        ["accuracy", "roc_auc_ovr", "neg_log_loss", "f1_macro"],
    ),
    (
        "wine.csv",
        "cultivar",
        "classification",
        "random_forest",
        {"n_estimators": 20, "max_depth": 4},
        ["accuracy", "roc_auc_ovr", "neg_log_loss", "f1_weighted"],
    ),
    (
        "diabetes.csv",
        "progression",
        "regression",
        "xgboost",
        {"n_estimators": 20, "max_depth": 3},
        ["r2", "neg_root_mean_squared_error", "neg_mean_absolute_error", "neg_median_absolute_error"],
    ),
    ("diabetes.csv", "progression", "regression", "ridge", {"alpha": 2.0}, ["r2", "neg_mean_squared_error"]),
]


@pytest.mark.parametrize("sample, target, task, model, params, metrics", CASES)
def test_one_prediction_per_split_equals_scikit_learn_scorers(sample, target, task, model, params, metrics):
    for metric in metrics:
        d, ctx = _ctx(sample, target, model, metric, task=task)
        out = evaluate(ctx, params)
        assert out.state is TrialState.COMPLETE, out.error
        pipe = build_pipeline(model, task, params, numeric=d.numeric, categorical=d.categorical, seed=3, n_jobs=1)
        cv = cross_validate(pipe, d.X, d.y, cv=list(ctx.folds), scoring=metric, return_train_score=True)
        assert np.allclose(out.fold_scores[metric], cv["test_score"], rtol=0, atol=1e-12), metric
        assert np.allclose(out.fold_train_scores[metric], cv["train_score"], rtol=0, atol=1e-12), metric
        assert set(out.fold_scores) >= set(ctx.secondary) - {"neg_log_loss"} if model == "svm" else True


def _common_points(a: dict, b: dict) -> int:
    """How many rounds two stored curves both have a point at; asserts their values agree there."""
    at_b = dict(zip(b["rounds"], zip(b["val_mean"], b["train_mean"], strict=True), strict=True))
    common = [(r, v, t) for r, v, t in zip(a["rounds"], a["val_mean"], a["train_mean"], strict=True) if r in at_b]
    assert all(at_b[r] == (v, t) for r, v, t in common)
    return len(common)


def test_staged_n_estimators_share_boosters_and_equal_separate_fits():
    _, staged = _ctx(
        "breast_cancer.csv", "diagnosis", "xgboost", "roc_auc", task="classification", hints={"staged": True}
    )
    _, alone = _ctx("breast_cancer.csv", "diagnosis", "xgboost", "roc_auc", task="classification")
    order = [20, 5, 40, 10]  # larger continues the shared boosters, smaller uses iteration_range
    for n in order:
        params = {"n_estimators": n, "max_depth": 3, "learning_rate": 0.2}
        a = run_trial(staged, Candidate(n, params))
        b = run_trial(alone, Candidate(n, params))
        assert a.note and "shared" in a.note and b.note is None
        assert a.fold_scores == b.fold_scores and a.fold_train_scores == b.fold_train_scores
        # the shared curve has the points of the sibling fits that boosted it (each spaced over its own rounds):
        # wherever both curves have a point, the values are the separate fit's, bit for bit
        assert a.curves["rounds"][-1] == b.curves["rounds"][-1] == n - 1
        assert _common_points(a.curves, b.curves) >= min(n, 20)
    # with row sampling, continuing would not be identical: each candidate fits alone
    sampled = run_trial(staged, Candidate(9, {"n_estimators": 10, "subsample": 0.7}))
    assert sampled.note is None


def test_rungs_continue_boosters_and_the_last_rung_equals_one_full_fit():
    _, ctx = _ctx("breast_cancer.csv", "diagnosis", "xgboost", "roc_auc", task="classification")
    params = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.3, "subsample": 0.7, "colsample_bytree": 0.8}
    trainer = trainer_for("xgboost")
    ladder = trainer.rung_budgets(ctx, params, eta=3, min_budget=None)
    assert ladder == [30, 90, 200]  # progress lr x rounds = 9, 27, then the full 200 rounds
    outs = []
    for rung, budget in enumerate(ladder):
        outs.append(run_trial(ctx, Candidate(7, params, budget=budget, rung=rung)))
        if rung < len(ladder) - 1:
            kept = _runs(ctx).get(7)
            assert kept is not None and all(f.rounds == budget for f in kept.folds)  # boosters kept, not refit
    assert [o.budget for o in outs] == ladder and [o.rung for o in outs] == [0, 1, 2]
    full = run_trial(ctx, Candidate(8, params, budget=200, rung=0))  # one fit of 200 rounds, other thread state
    assert outs[-1].fold_scores == full.fold_scores
    # the continued curve also has a point at each rung's last round; everywhere else it is the full fit's
    assert _common_points(outs[-1].curves, full.curves) == len(full.curves["rounds"])
    assert outs[0].score != outs[-1].score


def test_a_cut_trial_is_evaluated_only_at_the_points_of_its_full_fits_curve():
    """Curve points are spaced over the trial's full rounds: cut at 30 of 320 rounds, it is evaluated 11 times
    (8 first rounds, every 10th, its last), and its curve is the start of the full fit's."""
    _, ctx = _ctx("breast_cancer.csv", "diagnosis", "xgboost", "roc_auc", task="classification", record_curves=True)
    params = {"n_estimators": 320, "max_depth": 2, "learning_rate": 0.1}
    cut = run_trial(ctx, Candidate(1, params, budget=30, rung=0))
    full = run_trial(ctx, Candidate(2, params, budget=320, rung=0))
    n = len(cut.curves["rounds"])
    assert list(cut.curves["rounds"]) == [*range(8), 9, 19, 29] == list(full.curves["rounds"][:n])
    assert list(cut.curves["val_mean"]) == list(full.curves["val_mean"][:n])
    assert len(full.curves["rounds"]) == 8 + 32  # rounds 9, 19, ..., 319


def test_rows_are_the_resource_for_families_without_rounds():
    _, ctx = _ctx("breast_cancer.csv", "diagnosis", "logistic_regression", "accuracy", task="classification")
    trainer = trainer_for("logistic_regression")
    assert trainer.resource == "rows"
    ladder = trainer.rung_budgets(ctx, {}, eta=3, min_budget=None)
    assert ladder[-1] == min(len(tr) for tr, _ in ctx.folds) and ladder == sorted(ladder) and len(ladder) >= 2
    small = run_trial(ctx, Candidate(0, {"max_iter": 500}, budget=ladder[0], rung=0))
    assert small.state is TrialState.COMPLETE and small.budget == ladder[0]


def test_a_stop_flag_stops_a_trial_between_rounds():
    import threading

    _, ctx = _ctx("breast_cancer.csv", "diagnosis", "xgboost", "roc_auc", task="classification")
    stop = threading.Event()
    stop.set()
    out = run_trial(ctx, Candidate(0, {"n_estimators": 100000}), stop)
    assert out.state is TrialState.STOPPED


@pytest.mark.parametrize(
    "model, params, unit",
    [
        ("xgboost", {"n_estimators": 12, "max_depth": 2}, "leaves"),
        ("decision_tree", {"max_depth": 3}, "leaves"),
        ("svm", {"C": 1.0}, "support vectors"),
        ("knn", {"n_neighbors": 7}, "neighbours (k)"),
    ],
)
def test_every_trial_records_its_model_size(model, params, unit):
    _, ctx = _ctx("breast_cancer.csv", "diagnosis", model, "accuracy", task="classification")
    out = evaluate(ctx, params)
    assert out.model_size_unit == unit and out.model_size > 0
    if model == "xgboost":
        assert out.model_size <= 12 * 4  # depth 2: at most 4 leaves a tree
    if model == "knn":
        assert out.model_size == 7


def test_continue_fit_grows_a_forest_and_trains_a_network_on_from_its_weights():
    """Fine-tune's "continue" asks the family's trainer: a forest adds half its trees on the new rows (the old
    ones unchanged), a network takes more epochs; only the families whose ModelFamily says how are offered it."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPRegressor

    from tuning.models import MODELS

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    first = forest.estimators_[0]
    added, unit = trainer_for("random_forest").continue_fit(forest, X[:60], y[:60], task="classification", n_classes=2)
    assert (added, unit) == (5, "trees") and len(forest.estimators_) == 15 and forest.estimators_[0] is first

    net = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, X[:, 0])
    before = net.coefs_[0].copy()
    added, unit = trainer_for("mlp").continue_fit(net, X, X[:, 0], task="regression", n_classes=1)
    assert unit == "epochs" and added > 0 and not np.allclose(before, net.coefs_[0])

    assert {n for n, f in MODELS.items() if f.continues} == {"random_forest", "mlp"}
    with pytest.raises(NotImplementedError):
        trainer_for("xgboost").continue_fit(None, X, y, task="classification", n_classes=2)
