"""Charts: the info each chart is drawn from, empty inputs, and 10,000 trials."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from tuning import charts
from tuning.analysis import param_importance, results_frame
from tuning.space import SearchSpace
from tuning.store import TrialRecord, TrialState

SPACE = SearchSpace.from_dict(
    {
        "n_estimators": {"value": 300},
        "learning_rate": {"type": "float", "low": 0.001, "high": 1.0, "log": True},
        "max_depth": {"type": "int", "low": 2, "high": 10},
        "booster": {"values": ["gbtree", "dart"]},
        "rate_drop": {"type": "float", "low": 0.0, "high": 0.5, "when": {"booster": "dart"}},
    }
)
T0 = pd.Timestamp("2024-05-01 12:00:00", tz="UTC")


def make_frame(n: int, *, seed: int = 0, loss: bool = False) -> pd.DataFrame:
    """A results frame as ``results_frame`` makes it, built directly: ~10% failed, a few pruned and running."""
    rng = np.random.default_rng(seed)
    state = rng.choice(["complete", "failed", "pruned", "running"], size=n, p=[0.85, 0.1, 0.03, 0.02])
    lr = 10 ** rng.uniform(-3, 0, n)
    depth = rng.integers(2, 11, n)
    booster = rng.choice(["gbtree", "dart"], n)
    rate_drop = np.where(booster == "dart", rng.uniform(0, 0.5, n), np.nan)
    val = 0.9 - 0.1 * np.abs(np.log10(lr) + 1.5) - 0.01 * np.abs(depth - 6) + rng.normal(0, 0.01, n)
    train = val + rng.uniform(0, 0.1, n)
    if loss:
        val, train = -(1 - val), -(1 - train)
    done = state != "running"
    val = np.where(state == "complete", val, np.nan)
    train = np.where(state == "complete", train, np.nan)
    started = T0 + pd.to_timedelta(np.sort(rng.uniform(0, 3600, n)), unit="s")
    duration = rng.uniform(1, 60, n)
    finished = pd.Series(started + pd.to_timedelta(duration, unit="s")).where(done)
    return pd.DataFrame(
        {
            "number": np.arange(n),
            "state": state,
            "param_learning_rate": lr,
            "param_max_depth": depth,
            "param_booster": booster,
            "param_rate_drop": rate_drop,
            "mean_test_score": val,
            "std_test_score": np.where(state == "complete", 0.01, np.nan),
            "mean_train_score": train,
            "std_train_score": np.where(state == "complete", 0.005, np.nan),
            "mean_fit_time": duration / 5,
            "duration_s": np.where(done, duration, np.nan),
            "started": started,
            "finished": finished,
            "error": np.where(state == "failed", "boom", None),
        }
    )


def small_frame(scores: list[float], *, states: list[str] | None = None, train: list[float] | None = None):
    n = len(scores)
    return pd.DataFrame(
        {
            "number": np.arange(n),
            "state": states or ["complete"] * n,
            "mean_test_score": scores,
            "mean_train_score": train if train is not None else scores,
            "started": T0 + pd.to_timedelta(np.arange(n) * 10, unit="s"),
            "finished": T0 + pd.to_timedelta(np.arange(n) * 10 + 5, unit="s"),
        }
    )


def record(number: int, *, score: float | None = 0.5, state=TrialState.COMPLETE, curves=None, **params) -> TrialRecord:
    start = T0 + pd.Timedelta(seconds=10 * number)
    return TrialRecord(
        study_id=1,
        number=number,
        state=state,
        params=params,
        score=score,
        train_score=None if score is None else score + 0.05,
        fold_scores={"accuracy": [score, score]} if score is not None else {},
        fold_train_scores={"accuracy": [score + 0.05] * 2} if score is not None else {},
        fit_time=[1.0, 1.2],
        score_time=[0.1, 0.1],
        curves=curves,
        error=None if state is TrialState.COMPLETE else "failed",
        started=start.isoformat(),
        finished=(start + pd.Timedelta(seconds=5)).isoformat(),
        duration_s=5.0,
        worker=None,
    )


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def all_charts(frame: pd.DataFrame, metric: str, trials: list[TrialRecord] | None = None) -> dict[str, go.Figure]:
    return {
        "history": charts.plot_history(frame, metric=metric),
        "history_time": charts.plot_history(frame, metric=metric, x="time"),
        "parallel": charts.plot_parallel_coordinates(frame, SPACE, metric=metric, top_fraction=0.5),
        "slices": charts.plot_slices(frame, SPACE, metric=metric),
        "contour": charts.plot_contour(frame, SPACE, "learning_rate", "max_depth", metric=metric),
        "contour_cat": charts.plot_contour(frame, SPACE, "booster", "rate_drop", metric=metric),
        "gap": charts.plot_train_vs_validation(frame, metric=metric),
        "distribution": charts.plot_score_distribution(frame, metric=metric),
        "timeline": charts.plot_timeline(frame, now=T0 + pd.Timedelta(hours=2)),
        "compare_history": charts.plot_compare_history({"a": frame, "b": frame.iloc[::2]}, metric=metric),
        "compare_dist": charts.plot_compare_distributions({"a": frame, "b": frame.iloc[::2]}, metric=metric),
        "curves": charts.plot_learning_curves(trials or []),
    }


# -- history ----------------------------------------------------------------------------------------


def test_history_best_so_far_is_the_running_minimum_of_losses():
    stored = [-0.5, -0.3, np.nan, -0.4, -0.2, -0.6]
    frame = small_frame(stored, states=["complete", "complete", "failed", "complete", "complete", "complete"])
    info = charts._get_history_info(frame, metric="neg_log_loss")
    np.testing.assert_array_equal(info.numbers, [0, 1, 3, 4, 5])
    np.testing.assert_allclose(info.y, [0.5, 0.3, 0.4, 0.2, 0.6])
    np.testing.assert_allclose(info.best, [0.5, 0.3, 0.3, 0.2, 0.2])
    assert np.all(np.diff(info.best) <= 0)
    fig = charts.plot_history(frame, metric="neg_log_loss")
    assert fig.layout.yaxis.title.text == "validation log loss (lower is better)"


def test_history_best_so_far_is_the_running_maximum_of_scores_and_can_follow_finish_time():
    frame = small_frame([0.5, 0.7, 0.6, 0.8])
    frame["finished"] = T0 + pd.to_timedelta([40, 10, 30, 20], unit="s")  # finished out of order
    info = charts._get_history_info(frame, metric="accuracy")
    np.testing.assert_allclose(info.best, [0.5, 0.7, 0.7, 0.8])
    by_time = charts._get_history_info(frame, metric="accuracy", x="time")
    np.testing.assert_array_equal(by_time.numbers, [1, 3, 2, 0])
    np.testing.assert_allclose(by_time.best, [0.7, 0.8, 0.8, 0.8])
    assert by_time.x.dtype.kind == "M"
    with pytest.raises(ValueError):
        charts._get_history_info(frame, metric="accuracy", x="epoch")


def test_history_noise_band_follows_the_best_trials_fold_spread():
    frame = small_frame([0.5, 0.7, 0.6, 0.8])
    frame["std_test_score"] = [0.04, 0.02, 0.08, 0.06]
    info = charts._get_history_info(frame, metric="accuracy", n_folds=5)
    # the band is the standard error of whichever trial holds the best so far (sample std: / sqrt(k - 1))
    np.testing.assert_allclose(info.best_se, np.array([0.04, 0.02, 0.02, 0.06]) / 2)
    fig = charts.plot_history(frame, metric="accuracy", n_folds=5)
    band = [t for t in fig.data if t.legendgroup == "noise band"]
    assert len(band) == 2 and band[1].fill == "tonexty"
    np.testing.assert_allclose(np.asarray(band[1].y) - np.asarray(band[0].y), 2 * info.best_se)
    loss_frame = small_frame([-0.5, -0.3, -0.4]).assign(std_test_score=[0.1, 0.2, 0.3])
    losses = charts._get_history_info(loss_frame, metric="neg_log_loss", n_folds=3)
    np.testing.assert_allclose(losses.best_se, np.array([0.1, 0.2, 0.2]) / np.sqrt(2))  # loss 0.3 is the best
    assert charts._get_history_info(small_frame([0.5]), metric="accuracy", n_folds=3).best_se.size == 0
    assert not [t for t in charts.plot_history(frame, metric="accuracy").data if t.legendgroup == "noise band"]


# -- parallel coordinates ---------------------------------------------------------------------------


def test_parallel_log_dimension_is_log10_with_ticks_in_natural_units():
    frame = make_frame(200, seed=1)
    ok = frame[frame["state"] == "complete"]
    info = charts._get_parallel_coordinates_info(frame, SPACE, metric="accuracy")
    labels = [d.label for d in info.dimensions]
    assert labels == ["learning_rate (log scale)", "max_depth", "booster", "rate_drop", "accuracy (higher is better)"]
    lr = info.dimensions[0]
    np.testing.assert_allclose(lr.values, np.log10(ok["param_learning_rate"]))
    assert lr.range[0] <= -3 + 1e-9 and lr.range[1] >= -1e-9
    assert len(lr.tickvals) >= 2
    for v, text in zip(lr.tickvals, lr.ticktext, strict=True):
        assert float(text) == pytest.approx(10**v, rel=1e-2)
    assert "0.001" in lr.ticktext and "1" in lr.ticktext


def test_parallel_categorical_codes_and_inactive_values():
    frame = make_frame(200, seed=2)
    ok = frame[frame["state"] == "complete"]
    dims = {d.label: d for d in charts._get_parallel_coordinates_info(frame, SPACE, metric="accuracy").dimensions}
    booster = dims["booster"]
    assert (booster.tickvals, booster.ticktext) == ([0.0, 1.0], ["gbtree", "dart"])
    np.testing.assert_array_equal(booster.values, (ok["param_booster"] == "dart").astype(float))
    drop = dims["rate_drop"]
    inactive = ok["param_rate_drop"].isna().to_numpy()
    assert inactive.any() and (~inactive).any()
    pos = drop.tickvals[drop.ticktext.index("inactive")]
    assert np.all(drop.values[inactive] == pos)
    assert pos < 0 <= drop.values[~inactive].min()  # below the range [0, 0.5]
    assert drop.range[0] <= pos


def test_parallel_top_fraction_keeps_the_best_trials():
    losses = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 1.0])
    frame = small_frame(list(-losses), states=["complete"] * 10)
    frame["param_max_depth"] = np.arange(10) + 2
    frame.loc[10] = {"number": 10, "state": "failed", "mean_test_score": np.nan}
    info = charts._get_parallel_coordinates_info(frame, SPACE, metric="neg_log_loss", top_fraction=0.3)
    assert info.n_complete == 10
    np.testing.assert_array_equal(info.numbers, [1, 3, 5])  # the three lowest losses
    np.testing.assert_allclose(info.score, [0.1, 0.3, 0.2])
    for fraction, kept in ((0.25, 3), (0.01, 1), (1.0, 10)):
        info = charts._get_parallel_coordinates_info(frame, SPACE, metric="neg_log_loss", top_fraction=fraction)
        assert len(info.numbers) == kept, fraction
    with pytest.raises(ValueError):
        charts.plot_parallel_coordinates(frame, SPACE, metric="neg_log_loss", top_fraction=0)
    fig = charts.plot_parallel_coordinates(frame, SPACE, metric="neg_log_loss", top_fraction=0.3)
    assert "best 3 of 10" in fig.layout.title.text


# -- slices -----------------------------------------------------------------------------------------


def test_slices_one_subplot_per_searched_parameter_with_log_and_category_axes():
    frame = make_frame(300, seed=3)
    info = charts._get_slices_info(frame, SPACE, metric="accuracy")
    assert [s.param for s in info.subplots] == ["learning_rate", "max_depth", "booster", "rate_drop"]
    by = {s.param: s for s in info.subplots}
    ok = frame[frame["state"] == "complete"]
    np.testing.assert_allclose(by["learning_rate"].x, ok["param_learning_rate"])
    assert set(by["booster"].x) == {"gbtree", "dart"}
    assert len(by["rate_drop"].x) == ok["param_rate_drop"].notna().sum()  # inactive trials are left out
    fig = charts.plot_slices(frame, SPACE, metric="accuracy")
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis3.type == "category"
    assert list(fig.layout.xaxis3.categoryarray) == ["gbtree", "dart"]
    assert fig.layout.coloraxis.colorbar.title.text == "trial"


# -- contour ----------------------------------------------------------------------------------------


def test_contour_bins_average_the_scores_in_each_cell():
    space = SearchSpace.from_dict({"a": {"low": 0.0, "high": 1.0}, "b": {"low": 0.0, "high": 1.0}})
    frame = pd.DataFrame(
        {
            "number": range(5),
            "state": ["complete"] * 4 + ["failed"],
            "param_a": [0.1, 0.2, 0.9, 0.6, 0.1],
            "param_b": [0.1, 0.3, 0.2, 0.9, 0.1],
            "mean_test_score": [-1.0, -3.0, -5.0, -7.0, np.nan],
        }
    )
    info = charts._get_contour_info(frame, space, "a", "b", metric="neg_mean_squared_error", bins=2)
    np.testing.assert_allclose(info.x_edges, [0, 0.5, 1])
    np.testing.assert_allclose(info.y_edges, [0, 0.5, 1])
    # rows are b, columns are a; display scores are positive losses
    np.testing.assert_allclose(info.z, [[2.0, 5.0], [np.nan, 7.0]])
    np.testing.assert_array_equal(info.counts, [[2, 1], [0, 1]])
    np.testing.assert_array_equal(info.numbers, [0, 1, 2, 3])


def test_contour_log_and_categorical_axes():
    frame = make_frame(400, seed=4)
    info = charts._get_contour_info(frame, SPACE, "learning_rate", "booster", metric="accuracy", bins=6)
    np.testing.assert_allclose(info.x_edges, np.linspace(-3, 0, 7), atol=1e-9)  # geometric bins, in log10
    np.testing.assert_allclose(info.y_edges, [-0.5, 0.5, 1.5])
    assert info.counts.sum() == (frame["state"] == "complete").sum()
    depth = charts._get_contour_info(frame, SPACE, "max_depth", "rate_drop", metric="accuracy")
    np.testing.assert_allclose(depth.x_edges, np.arange(2, 12) - 0.5)  # one bin per integer
    assert depth.counts.sum() == frame[frame["state"] == "complete"]["param_rate_drop"].notna().sum()
    fig = charts.plot_contour(frame, SPACE, "learning_rate", "booster", metric="accuracy")
    assert list(fig.layout.yaxis.ticktext) == ["gbtree", "dart"]
    assert "0.01" in fig.layout.xaxis.ticktext
    with pytest.raises(ValueError):
        charts.plot_contour(frame, SPACE, "booster", "booster", metric="accuracy")
    with pytest.raises(ValueError):
        charts.plot_contour(frame, SPACE, "n_estimators", "booster", metric="accuracy")


# -- importance -------------------------------------------------------------------------------------


def test_importance_sorted_and_coloured_by_direction():
    df = pd.DataFrame({"param": ["a", "b", "c"], "importance": [0.2, 0.5, 0.3], "correlation": [0.4, -0.6, np.nan]})
    info = charts._get_importance_info(df)
    assert info.params == ["b", "c", "a"]
    np.testing.assert_array_equal(info.sign, [-1, 0, 1])
    fig = charts.plot_importance(df)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["raising it improves the score"].y) == ["a"]
    assert list(by_name["raising it worsens the score"].y) == ["b"]
    assert list(by_name["raising it worsens the score"].customdata) == ["-0.60"]
    assert list(fig.layout.yaxis.categoryarray) == ["a", "c", "b"]  # most important on top


def test_importance_from_analysis():
    frame = results_frame(
        [record(i, score=0.5 + 0.04 * i, max_depth=2 + i % 5, booster=["gbtree", "dart"][i % 2]) for i in range(12)],
        metric="accuracy",
    )
    fig = charts.plot_importance(param_importance(frame, SPACE))
    assert {p for t in fig.data for p in t.y} == {"max_depth", "booster"}
    too_few = charts.plot_importance(param_importance(frame[:2], SPACE))
    assert "importance needs at least 4" in annotation_texts(too_few)[0]


# -- train vs validation ----------------------------------------------------------------------------


def test_gap_is_positive_when_overfitting_for_losses_and_scores():
    loss = small_frame([-0.5, -0.3], train=[-0.2, -0.3])  # validation losses 0.5, 0.3; train losses 0.2, 0.3
    info = charts._get_train_vs_validation_info(loss, metric="neg_log_loss")
    np.testing.assert_allclose(info.train, [0.2, 0.3])
    np.testing.assert_allclose(info.validation, [0.5, 0.3])
    np.testing.assert_allclose(info.gaps, [0.3, 0.0])
    assert info.best_index == 1  # the lowest validation loss
    acc = small_frame([0.8, 0.9], train=[0.95, 0.92])
    info = charts._get_train_vs_validation_info(acc, metric="accuracy")
    np.testing.assert_allclose(info.gaps, [0.15, 0.02])
    assert info.best_index == 1
    fig = charts.plot_train_vs_validation(acc, metric="accuracy")
    star = [t for t in fig.data if t.name == "best (#1)"][0]
    assert (star.x[0], star.y[0]) == (0.92, 0.9)


# -- distribution -----------------------------------------------------------------------------------


def test_distribution_is_the_empirical_cdf_of_display_scores():
    frame = small_frame([-0.3, -0.1, np.nan, -0.2], states=["complete", "complete", "failed", "complete"])
    info = charts._get_score_distribution_info(frame, metric="neg_mean_absolute_error")
    np.testing.assert_allclose(info.scores, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(info.fraction, [1 / 3, 2 / 3, 1])


# -- timeline ---------------------------------------------------------------------------------------


def _lane_checks(info) -> None:
    start, end = info.start.view(np.int64), info.end.view(np.int64)
    for lane in np.unique(info.lanes):
        m = info.lanes == lane
        s, e = start[m], end[m]
        order = np.argsort(s)
        assert np.all(e[order][:-1] <= s[order][1:]), f"lane {lane} has overlapping trials"
    # the fewest lanes possible is the most trials running at one instant (an end frees its lane first)
    events = np.concatenate([np.column_stack([start, np.ones_like(start)]), np.column_stack([end, -np.ones_like(end)])])
    events = events[np.lexsort((events[:, 1], events[:, 0]))]
    assert info.lanes.max() + 1 == np.cumsum(events[:, 1]).max()


def test_timeline_lanes_never_overlap_and_are_as_few_as_possible():
    spans = [(0, 10), (2, 5), (5, 8), (6, 12), (11, 13), (12, 14)]
    frame = pd.DataFrame(
        {
            "number": range(len(spans)),
            "state": ["complete", "failed", "complete", "complete", "pruned", "complete"],
            "started": [T0 + pd.Timedelta(seconds=s) for s, _ in spans],
            "finished": [T0 + pd.Timedelta(seconds=e) for _, e in spans],
        }
    )
    info = charts._get_timeline_info(frame)
    np.testing.assert_array_equal(info.numbers, range(6))
    np.testing.assert_array_equal(info.lanes, [0, 1, 1, 2, 1, 0])
    _lane_checks(info)
    big = make_frame(2000, seed=5)
    _lane_checks(charts._get_timeline_info(big, now=T0 + pd.Timedelta(hours=2)))


def test_timeline_running_trials_end_now():
    frame = small_frame([0.5, np.nan], states=["complete", "running"])
    frame.loc[1, "finished"] = pd.NaT
    now = T0 + pd.Timedelta(minutes=5)
    info = charts._get_timeline_info(frame, now=now)
    assert info.end[1] == now.tz_convert(None).to_datetime64()
    assert list(info.states) == ["complete", "running"]
    fig = charts.plot_timeline(frame, now=now)
    assert {t.name for t in fig.data} == {"complete", "running"}


# -- learning curves --------------------------------------------------------------------------------


def _curves(val: list[float], metric: str = "logloss") -> dict:
    return {
        "metric": metric,
        "train_mean": [v - 0.1 for v in val],
        "train_std": [0.01] * len(val),
        "val_mean": val,
        "val_std": [0.02] * len(val),
        "best_iteration": [2, 3],
        "early_stopping_rounds": None,
    }


def test_curves_star_at_the_best_validation_round():
    trials = [
        record(0, curves=_curves([0.7, 0.5, 0.4, 0.45, 0.5])),
        record(1, curves=None),
        record(2, curves=_curves([0.6, 0.7, 0.8], metric="auc")),
    ]
    info = charts._get_learning_curves_info(trials)
    assert [c.number for c in info.trials] == [0, 2]
    assert (info.trials[0].best_round, info.trials[0].best_value) == (2, 0.4)
    assert info.trials[1].best_round == 2  # AUC: higher is better
    fig = charts.plot_learning_curves(trials[:2])
    stars = [t for t in fig.data if t.marker.symbol == "star"]
    assert len(stars) == 1 and (stars[0].x[0], stars[0].y[0]) == (2, 0.4)
    lines = {t.name: t for t in fig.data if t.name}
    assert lines["#0 train"].line.color == charts._common.TRAIN
    assert lines["#0 validation"].line.color == charts._common.VALIDATION
    assert fig.layout.xaxis.title.text == "boosting round"
    empty = charts.plot_learning_curves([record(1, curves=None)])
    assert "No learning curves" in annotation_texts(empty)[0]


def test_curves_keep_the_best_trials_past_the_limit():
    trials = [record(i, score=i / 20, curves=_curves([0.5, 0.4])) for i in range(15)]
    info = charts._get_learning_curves_info(trials, max_trials=3)
    assert [c.number for c in info.trials] == [12, 13, 14] and info.n_with_curves == 15


# -- compare ----------------------------------------------------------------------------------------


def test_compare_best_so_far_per_study():
    a = small_frame([-0.5, -0.4, -0.6])
    b = small_frame([-0.3, -0.35])
    empty = small_frame([np.nan], states=["failed"])
    info = charts._get_compare_info({"a": a, "b": b, "c": empty}, metric="neg_rmse")
    assert info.studies == ["a", "b"]
    np.testing.assert_allclose(info.best[0], [0.5, 0.4, 0.4])
    np.testing.assert_allclose(info.best[1], [0.3, 0.3])
    assert [t.name for t in charts.plot_compare_distributions({"a": a, "b": b}, metric="neg_rmse").data] == ["a", "b"]


# -- every chart ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        results_frame([], metric="accuracy", param_names=SPACE.names),
        small_frame([np.nan, np.nan], states=["failed", "running"]),
        pd.DataFrame(),
    ],
    ids=["results_frame_of_nothing", "failed_and_running", "no_columns"],
)
def test_no_complete_trials_gives_an_empty_figure_that_says_so(frame):
    figs = all_charts(frame, "accuracy")
    figs["importance"] = charts.plot_importance(pd.DataFrame(columns=["param", "importance", "correlation"]))
    for name, fig in figs.items():
        assert isinstance(fig, go.Figure), name
        texts = " ".join(annotation_texts(fig))
        if name == "timeline":
            expected = "No trials with a start time" if frame.empty else None
        elif name == "curves":
            expected = "No learning curves"
        else:
            expected = "No complete trials"
        if expected:
            assert expected in texts, name


def test_charts_from_trial_records():
    trials = [
        record(
            i,
            score=0.6 + 0.01 * (i % 7),
            learning_rate=10 ** (-3 + i / 10),
            max_depth=2 + i % 9,
            booster="dart" if i % 3 else "gbtree",
            rate_drop=0.1 if i % 3 else None,
        )
        for i in range(30)
    ]
    trials.append(record(30, score=None, state=TrialState.FAILED, learning_rate=0.1))
    frame = results_frame(trials, metric="accuracy", param_names=SPACE.names)
    figs = all_charts(frame, "accuracy")
    for name, fig in figs.items():
        if name != "curves":
            assert not annotation_texts(fig) or "No " not in annotation_texts(fig)[0], name
    assert len(charts._get_history_info(frame, metric="accuracy").numbers) == 30
    assert charts._get_timeline_info(frame).lanes.max() == 0  # sequential trials share one lane


def test_every_axis_is_labelled():
    frame = make_frame(300, seed=6)
    trials = [record(0, curves=_curves([0.5, 0.4]))]
    figs = all_charts(frame, "neg_log_loss", trials)
    figs["importance"] = charts.plot_importance(
        pd.DataFrame({"param": ["a"], "importance": [1.0], "correlation": [0.1]})
    )
    for name, fig in figs.items():
        layout = fig.to_plotly_json()["layout"]
        axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
        if name != "parallel":
            assert axes, name
        for key in axes:
            assert layout[key].get("title", {}).get("text"), f"{name}: {key} has no title"


def test_ten_thousand_trials_render_every_chart():
    frame = make_frame(10_000, seed=7, loss=True)
    trials = [record(i, curves=_curves(list(np.linspace(1, 0.2, 500)))) for i in range(20)]
    figs = all_charts(frame, "neg_log_loss", trials)
    figs["importance"] = charts.plot_importance(
        pd.DataFrame({"param": SPACE.names[1:], "importance": [0.4, 0.3, 0.2, 0.1], "correlation": [0.5, -0.2, 0, 0.1]})
    )
    for name, fig in figs.items():
        assert not annotation_texts(fig) or "No " not in annotation_texts(fig)[0], name
        assert fig.to_json(), name
    assert isinstance(next(t for t in figs["history"].data if t.name == "trial"), go.Scattergl)
    assert isinstance(figs["gap"].data[1], go.Scattergl)
    assert all(isinstance(t, go.Scattergl) for t in figs["slices"].data)
    assert len(figs["curves"].data) <= 5 * 10  # capped at the best 10 trials
    assert math.isclose(figs["parallel"].data[0].line.color.size, 0.5 * (frame["state"] == "complete").sum(), abs_tol=1)


def test_contour_with_too_few_trials_says_so():
    frame = make_frame(400, seed=4).head(6)
    fig = charts.plot_contour(frame, SPACE, "learning_rate", "max_depth", metric="accuracy")
    assert "at least 10 trials" in fig.layout.annotations[0].text
    assert len(fig.data) == 0


def test_curves_are_drawn_at_the_rounds_they_were_evaluated():
    c = {**_curves([0.7, 0.5, 0.4, 0.45]), "rounds": [0, 1, 50, 99]}
    info = charts._get_learning_curves_info([record(0, curves=c)])
    assert list(info.trials[0].rounds) == [0, 1, 50, 99] and info.trials[0].best_round == 50
    fig = charts.plot_learning_curves([record(0, curves=c)])
    val = next(t for t in fig.data if t.name == "#0 validation")
    assert list(val.x) == [0, 1, 50, 99]


def test_pruned_trials_have_their_own_axis_and_the_best_trial_a_star_on_top():
    frame = small_frame([0.8, 0.5, 0.9, 0.3], states=["complete", "pruned", "complete", "pruned"])
    fig = charts.plot_history(frame, metric="accuracy")
    names = [t.name for t in fig.data]
    assert names.index("best so far") < names.index("trial") < names.index("best: #2")  # drawn over the line
    star = next(t for t in fig.data if t.name == "best: #2")
    assert list(star.y) == [0.9] and star.marker.symbol == "star"
    pruned = next(t for t in fig.data if t.name == "pruned (cut early)")
    trial = next(t for t in fig.data if t.name == "trial")
    assert pruned.yaxis == "y2" and trial.yaxis in (None, "y")  # apart from the full-budget scores
    assert fig.layout.yaxis2.title.text == "cut early"
    alone = charts.plot_history(small_frame([0.8, 0.9]), metric="accuracy")
    assert not any(t.name == "pruned (cut early)" for t in alone.data) and "yaxis2" not in alone.layout
