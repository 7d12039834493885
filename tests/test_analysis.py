"""The results frame (cv_results_ names), best-so-far and the diagnosis, on stored trials."""

from __future__ import annotations

import numpy as np

from tuning.analysis import best_so_far, diagnose, display_metric_name, display_score, results_frame
from tuning.protocol import TrialState
from tuning.space import SearchSpace
from tuning.store import TrialRecord


def trial(n, score, depth, state=TrialState.COMPLETE):
    return TrialRecord(
        state=state,
        params={"max_depth": depth},
        study_id=1,
        number=n,
        score=score,
        train_score=None if score is None else score + 0.2,
        fold_scores={"roc_auc": [score, score]} if score is not None else {},
        fit_time=(1.0, 2.0),
    )


def test_frame_columns_follow_scikit_learn():
    trials = [trial(0, 0.7, 2), trial(1, 0.9, 8), trial(2, None, 5, TrialState.FAILED)]
    f = results_frame(trials, metric="roc_auc", param_names=["max_depth"])
    for col in (
        "number",
        "state",
        "param_max_depth",
        "mean_test_score",
        "std_test_score",
        "mean_train_score",
        "rank_test_score",
        "mean_fit_time",
        "mean_test_roc_auc",
    ):
        assert col in f.columns, col
    assert list(f["state"]) == ["complete", "complete", "failed"] and f["mean_fit_time"].iloc[0] == 1.5
    assert list(best_so_far(f).dropna()) == [0.7, 0.9]


def test_losses_show_as_positive_numbers():
    assert display_score("neg_root_mean_squared_error", -1.5) == 1.5 and display_score("r2", 0.3) == 0.3
    assert "neg" not in display_metric_name("neg_log_loss").lower()


def test_the_diagnosis_names_the_gap():
    space = SearchSpace.from_dict({"max_depth": {"type": "int", "low": 2, "high": 8}})
    trials = [trial(i, 0.6 + 0.01 * i, 2 + i % 7) for i in range(12)]
    f = results_frame(trials, metric="roc_auc", param_names=["max_depth"])
    text = " ".join(x.text if hasattr(x, "text") else str(x) for x in diagnose(f, space, metric="roc_auc"))
    assert text and np.isfinite(f["mean_test_score"]).all()
