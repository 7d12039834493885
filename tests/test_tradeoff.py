"""Pareto front, the one-standard-error pick and the trade-off chart's info, on hand-made trials."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tuning.charts.tradeoff import _get_tradeoff_info, plot_tradeoff
from tuning.tradeoff import (
    Cost,
    default_cost,
    describe,
    one_standard_error,
    pareto_front,
    simpler_model_note,
    standard_error,
)


def frame(rows: list[tuple], *, unit: str | None = "leaves") -> pd.DataFrame:
    """rows: (number, score, std, fit_time, size[, state])."""
    out = []
    for r in rows:
        number, score, std, fit, size = r[:5]
        out.append(
            {
                "number": number,
                "state": r[5] if len(r) > 5 else "complete",
                "mean_test_score": score,
                "std_test_score": std,
                "mean_fit_time": fit,
                "model_size": size,
                "model_size_unit": unit
                if size is not None and not (isinstance(size, float) and math.isnan(size))
                else None,
            }
        )
    return pd.DataFrame(out)


def test_pareto_front_keeps_non_dominated_points_by_cost():
    cost = np.array([1, 2, 2, 3, 4, 4, np.nan, 0.5])
    score = np.array([0.80, 0.85, 0.83, 0.84, 0.90, 0.90, 0.99, np.nan])
    assert pareto_front(score, cost).tolist() == [0, 1, 4]  # C, D dominated by B; F repeats E; NaNs never
    assert pareto_front(np.array([0.5, 0.6]), np.array([2.0, 1.0])).tolist() == [1]  # cheaper and better
    assert pareto_front(np.array([]), np.array([])).tolist() == []


def test_standard_error_from_scikit_learns_std():
    folds = np.array([0.90, 0.92, 0.88, 0.91, 0.89])
    assert standard_error(float(np.std(folds)), 5) == pytest.approx(np.std(folds, ddof=1) / math.sqrt(5))
    assert math.isnan(standard_error(0.1, 1))


# five folds, best std 0.02 -> SE = 0.02 / sqrt(4) = 0.01: the band is [0.89, 0.90]
ROWS = [
    (0, 0.900, 0.02, 2.0, 1000),  # best
    (1, 0.895, 0.01, 0.4, 100),  # within one SE, ten times smaller: the pick
    (2, 0.880, 0.01, 0.1, 10),  # smaller still, but outside the band
    (3, 0.891, 0.01, 0.3, 100),  # same size as #1, lower score: loses the tie
    (4, 0.990, 0.01, 0.1, 5, "failed"),  # not complete: ignored
]


def test_one_standard_error_picks_the_simplest_within_the_band():
    c = one_standard_error(frame(ROWS), n_folds=5)
    assert c is not None and c.by is Cost.MODEL_SIZE
    assert (c.best.number, c.simplest.number, c.n_within) == (0, 1, 3)
    assert c.se == pytest.approx(0.01)
    by_time = one_standard_error(frame(ROWS), n_folds=5, by=Cost.FIT_TIME)
    assert by_time.simplest.number == 3  # 0.3 s beats 0.4 s
    text = describe(c, metric="roc_auc")
    assert "#1" in text and "#0" in text and "10x smaller" in text and "5x faster" in text and "100 leaves" in text


def test_one_se_without_sizes_uses_fit_time_and_a_lone_best_is_its_own_pick():
    no_size = frame([(n, s, sd, t, None) for n, s, sd, t, *_ in ROWS[:4]], unit=None)
    assert default_cost(no_size) is Cost.FIT_TIME
    assert one_standard_error(no_size, n_folds=5).simplest.number == 3
    lone = one_standard_error(frame([(7, 0.8, 0.05, 1.0, 50)]), n_folds=5)
    assert lone.same and "also the simplest" in describe(lone, metric="accuracy")
    assert one_standard_error(frame([]), n_folds=5) is None


def test_losses_read_as_positive_numbers():
    rows = [(0, -1.00, 0.2, 1.0, 400), (1, -1.05, 0.2, 0.2, 40)]  # neg RMSE: #0 is best
    c = one_standard_error(frame(rows), n_folds=5)
    text = describe(c, metric="neg_root_mean_squared_error")
    assert c.simplest.number == 1 and "1.05 RMSE against 1 for the best" in text and "worse" in text


def test_simpler_model_note_speaks_only_when_much_simpler():
    note = simpler_model_note(frame(ROWS), n_folds=5, metric="roc_auc")
    assert note is not None and note.startswith("A much simpler model is within noise of the best") and "#1" in note
    barely = frame([(0, 0.90, 0.02, 1.0, 100), (1, 0.899, 0.02, 0.9, 80)])
    assert simpler_model_note(barely, n_folds=5, metric="roc_auc") is None  # 1.25x: not much simpler
    assert simpler_model_note(frame([(0, 0.9, 0.02, 1.0, 10)]), n_folds=5, metric="roc_auc") is None


def test_chart_info_marks_front_best_and_pick():
    info = _get_tradeoff_info(frame(ROWS), metric="roc_auc", cost=Cost.MODEL_SIZE, n_folds=5)
    assert [m.number for m in info.front] == [2, 1, 0]  # by increasing size; #3 is dominated by #1
    assert (info.best.number, info.pick.number) == (0, 1)
    assert info.x_title == "model size (leaves)" and info.log_x  # 10 .. 1000 leaves
    assert info.n_points == info.n_drawn == 4 and info.studies == [""]
    t = _get_tradeoff_info(frame(ROWS), metric="roc_auc", cost=Cost.FIT_TIME, n_folds=5)
    assert [m.number for m in t.front] == [2, 3, 1, 0] and t.pick.x == 0.4  # same pick, drawn at its fit time
    assert "simplest trial within one standard error" in t.sentence


def test_chart_samples_large_studies_but_keeps_the_front():
    rng = np.random.default_rng(1)
    n = 3000
    size = rng.uniform(10, 1000, n)
    score = 0.8 + 0.1 * np.log(size) / np.log(1000) + rng.normal(0, 0.01, n)
    big = frame([(i, score[i], 0.02, size[i] / 500, size[i]) for i in range(n)])
    info = _get_tradeoff_info(big, metric="roc_auc", cost=Cost.MODEL_SIZE, n_folds=5, max_points=200)
    drawn = set(np.concatenate(info.numbers).tolist())
    assert info.n_points == n and 200 <= info.n_drawn < n and len(drawn) == info.n_drawn
    assert {m.number for m in info.front} <= drawn
    fig = plot_tradeoff(big, metric="roc_auc", cost=Cost.MODEL_SIZE, n_folds=5, max_points=200)
    assert f"of {n:,} trials drawn" in fig.layout.title.text


def test_compare_pools_studies_and_leaves_out_other_units():
    l1 = frame([(0, 0.90, 0.02, 0.1, 5), (1, 0.85, 0.02, 0.1, 2)], unit="non-zero coefficients")
    l2 = frame([(0, 0.91, 0.02, 0.1, 30), (1, 0.80, 0.02, 0.1, 30)], unit="non-zero coefficients")
    trees = frame([(0, 0.95, 0.02, 1.0, 800)], unit="leaves")
    info = _get_tradeoff_info(
        {"L1": l1, "L2": l2, "XGB": trees},
        metric="accuracy",
        cost=Cost.MODEL_SIZE,
        n_folds={"L1": 5, "L2": 5, "XGB": 5},
    )
    assert info.studies == ["L1", "L2"] and info.left_out == ["XGB"]
    assert [(m.study, m.number) for m in info.front] == [("L1", 1), ("L1", 0), ("L2", 0)]
    t = _get_tradeoff_info({"L1": l1, "XGB": trees}, metric="accuracy", cost=Cost.FIT_TIME, n_folds=5)
    assert t.studies == ["L1", "XGB"] and t.best.study == "XGB"


def test_empty_input_gives_an_empty_figure_not_an_error():
    fig = plot_tradeoff(pd.DataFrame(), metric="roc_auc", cost=Cost.MODEL_SIZE)
    assert "No complete trial has a model size" in fig.layout.annotations[0].text
    no_sizes = frame([(0, 0.9, 0.01, 1.0, None)], unit=None)
    assert _get_tradeoff_info(no_sizes, metric="roc_auc", cost=Cost.MODEL_SIZE, n_folds=5).n_points == 0


def test_compare_sampling_shares_points_between_studies():
    rng = np.random.default_rng(0)
    big = frame([(i, 0.9 + rng.normal(0, 0.01), 0.02, 0.1, 100 + i) for i in range(3000)])
    small = frame([(i, 0.9 + rng.normal(0, 0.01), 0.02, 0.1, 50 + i) for i in range(40)])
    info = _get_tradeoff_info(
        {"big": big, "small": small}, metric="roc_auc", cost=Cost.MODEL_SIZE, n_folds=5, max_points=500
    )
    drawn = dict(zip(info.studies, (len(n) for n in info.numbers), strict=True))
    assert drawn["small"] == 40 and 460 <= drawn["big"] < 3000  # every point of the small study is drawn
