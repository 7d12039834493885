"""The engine's grid search gives, per candidate, GridSearchCV's mean_test_score (difference < 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from tuning.analysis import results_frame
from tuning.config import StudyConfig
from tuning.data import parse_table, prepare_xy
from tuning.evaluate import EvalContext, evaluate, make_folds
from tuning.models import build_pipeline
from tuning.profile import profile_table
from tuning.runner import run

from .conftest import SAMPLES


def _prepared(name, target):
    df = parse_table((SAMPLES / name).read_bytes(), name=name)
    return prepare_xy(df, profile_table(df, target=target))


@pytest.mark.parametrize(
    "model, space, metric",
    [
        (
            "xgboost",
            {"n_estimators": {"value": 20}, "max_depth": {"values": [2, 4]}, "learning_rate": {"values": [0.1, 0.3]}},
            "roc_auc",
        ),
        (
            "logistic_regression",
            {
                "C": {"values": [0.01, 0.1, 1.0]},
                "l1_ratio": {"values": [0.0, 1.0]},
                "solver": {"value": "saga"},
                "max_iter": {"value": 2000},
            },
            "accuracy",
        ),
    ],
)
def test_grid_matches_gridsearchcv(store, add_sample, model, space, metric):
    ds = add_sample("breast_cancer.csv")
    cfg = StudyConfig(
        dataset_id=ds,
        target="diagnosis",
        model=model,
        strategy="grid",
        n_trials=None,
        cv=3,
        test_size=0.0,
        metric=metric,
        space=space,
        seed=7,
        workers=2,
    )
    summary = run(store, cfg)
    assert summary["state"] == "complete" and summary["n_complete"] == 4 if model == "xgboost" else 6
    frame = results_frame(store.get_trials(summary["study_id"]), metric=metric)

    d = _prepared("breast_cancer.csv", "diagnosis")
    fixed = {k: v["value"] for k, v in space.items() if "value" in v}
    grid = {f"model__{k}": v["values"] for k, v in space.items() if "values" in v}
    pipe = build_pipeline(
        model, "classification", fixed, numeric=d.numeric, categorical=d.categorical, seed=7, n_jobs=1
    )
    gs = GridSearchCV(
        pipe,
        grid,
        cv=StratifiedKFold(3, shuffle=True, random_state=7),
        scoring=metric,
        return_train_score=True,
        n_jobs=1,
    ).fit(d.X, d.y)
    cv = gs.cv_results_
    assert len(frame) == len(cv["params"])
    for i, params in enumerate(cv["params"]):
        mask = np.ones(len(frame), dtype=bool)
        for k, v in params.items():
            mask &= frame[f"param_{k.removeprefix('model__')}"].to_numpy() == v
        row = frame[mask]
        assert len(row) == 1
        assert abs(row["mean_test_score"].iloc[0] - cv["mean_test_score"][i]) < 1e-9
        assert abs(row["mean_train_score"].iloc[0] - cv["mean_train_score"][i]) < 1e-9
        assert abs(row["std_test_score"].iloc[0] - cv["std_test_score"][i]) < 1e-9


def test_failed_candidate_is_a_failed_result_not_an_exception():
    d = _prepared("moons.csv", "label")
    folds = make_folds(d.y, task="classification", cv=3, seed=0)
    ctx = EvalContext(
        model="decision_tree",
        task="classification",
        X=d.X,
        y=d.y,
        numeric=d.numeric,
        categorical=d.categorical,
        folds=tuple(folds),
        metric="accuracy",
        secondary=("accuracy",),
    )
    res = evaluate(ctx, {"max_depth": -3})
    assert res.state == "failed" and "max_depth" in res.error
    ok = evaluate(ctx, {"max_depth": 3})
    assert ok.state == "complete" and 0.5 < ok.score <= 1 and len(ok.fold_scores["accuracy"]) == 3


def test_xgboost_records_round_curves_and_early_stopping():
    d = _prepared("breast_cancer.csv", "diagnosis")
    folds = make_folds(d.y, task="classification", cv=3, seed=0)
    ctx = EvalContext(
        model="xgboost",
        task="classification",
        X=d.X,
        y=d.y,
        numeric=d.numeric,
        categorical=d.categorical,
        folds=tuple(folds),
        metric="roc_auc",
        secondary=("accuracy",),
        early_stopping_rounds=10,
    )
    res = evaluate(ctx, {"n_estimators": 400, "learning_rate": 0.3, "max_depth": 3})
    assert res.state == "complete"
    c = res.curves
    assert c["metric"] == "logloss" and c["rounds"][-1] < 399  # stopped early
    assert len(c["rounds"]) == len(c["val_mean"]) == len(c["train_mean"]) <= 8 + 32 + 2  # points, not rounds
    assert c["rounds"][:8] == list(range(8)) and c["rounds"] == sorted(c["rounds"])
    for best in c["best_iteration"]:
        assert 0 <= best <= c["rounds"][-1]  # early stopping watched every round, so any round can be best
    assert c["train_mean"][-1] < c["train_mean"][0]


def test_secondary_metrics_and_timings_are_recorded():
    d = _prepared("wine.csv", "cultivar")
    folds = make_folds(d.y, task="classification", cv=3, seed=0)
    from tuning.evaluate import secondary_metrics

    ctx = EvalContext(
        model="svm",
        task="classification",
        X=d.X,
        y=d.y,
        numeric=d.numeric,
        categorical=d.categorical,
        folds=tuple(folds),
        metric="accuracy",
        secondary=secondary_metrics("classification", 3),
    )
    res = evaluate(ctx, {"C": 1.0})
    assert res.state == "complete"
    assert set(res.fold_scores) >= {"accuracy", "f1_macro", "precision_macro", "recall_macro"}
    assert "neg_log_loss" not in res.fold_scores  # SVC gives no probabilities: skipped, not failed
    assert len(res.fit_time) == 3 and all(t > 0 for t in res.fit_time)


def test_early_stopping_watches_rows_of_the_training_fold_not_the_validation_fold():
    from tuning.evaluate import early_stopping_split, final_params

    y = np.array([0] * 40 + [1] * 20)
    fit, es = early_stopping_split(y, task="classification", seed=1)
    assert len(set(fit) & set(es)) == 0 and len(fit) + len(es) == 60
    assert 0.1 < len(es) / 60 < 0.2 and set(y[es]) == {0, 1}
    assert final_params(
        {"n_estimators": 500, "max_depth": 3}, {"best_iteration": [9, 11, 13]}, early_stopping_rounds=10
    ) == {"n_estimators": 12, "max_depth": 3}
    assert final_params({"n_estimators": 500}, {"best_iteration": [9]}, early_stopping_rounds=None) == {
        "n_estimators": 500
    }


@pytest.mark.parametrize("model, params", [("decision_tree", {"max_depth": 3}), ("xgboost", {"n_estimators": 50})])
def test_a_trial_past_its_time_cap_fails_with_the_reason_and_a_stop_is_still_a_stop(model, params, monkeypatch):
    import dataclasses
    import threading

    import tuning.evaluate as ev

    d = _prepared("moons.csv", "label")
    folds = make_folds(d.y, task="classification", cv=3, seed=0)
    ctx = EvalContext(
        model=model,
        task="classification",
        X=d.X,
        y=d.y,
        numeric=d.numeric,
        categorical=d.categorical,
        folds=tuple(folds),
        metric="accuracy",
        secondary=("accuracy",),
        trial_timeout=30.0,
    )
    assert evaluate(ctx, params).state == "complete"  # well inside the cap
    clock = iter(range(0, 10**6, 20))  # every look at the clock is 20 s later: past the cap at the second fold
    monkeypatch.setattr(ev.time, "monotonic", lambda: float(next(clock)))
    out = evaluate(ctx, params)
    assert out.state == "failed" and "trial time cap (30 s)" in out.error and "--trial-timeout" in out.error
    stop = threading.Event()
    stop.set()
    assert evaluate(ctx, params, stop=stop).state == "stopped"
    uncapped = dataclasses.replace(ctx, trial_timeout=None)
    assert evaluate(uncapped, params).state == "complete"
