"""Large studies: the chart sample keeps every record-setting trial and the best ones; pages sort on the server."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ui.large_study import page_of, sample_rows


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(0.9, 0.02, n)
    score[rng.choice(n, 50, replace=False)] = np.nan  # failed trials
    return pd.DataFrame(
        {
            "number": np.arange(n),
            "state": np.where(np.isnan(score), "failed", "complete"),
            "mean_test_score": score,
            "model_size": rng.uniform(10, 1000, n),
        }
    ).sample(frac=1.0, random_state=1)  # rows out of trial order, as after a filter


def test_sample_keeps_the_best_so_far_line_and_the_top():
    f = _frame(20_000)
    rows = sample_rows(f, size=2000)
    s = f.iloc[rows]
    assert 2000 <= len(rows) < 2100 and np.all(np.diff(rows) > 0)
    full = f.sort_values("number")["mean_test_score"].fillna(-np.inf).cummax().to_numpy()
    part = s.sort_values("number")
    # the best-so-far at each sampled trial equals the one over all trials
    assert np.allclose(part["mean_test_score"].fillna(-np.inf).cummax().to_numpy(), full[part["number"].to_numpy()])
    top = f["mean_test_score"].nlargest(200).index
    assert set(top) <= set(s.index)
    assert np.array_equal(rows, sample_rows(f, size=2000))  # fixed seed: reruns draw the same sample
    assert len(sample_rows(f.head(100), size=2000)) == 100


def test_page_of_sorts_filters_and_clips():
    f = _frame(1000)
    p = page_of(f, states=["complete"], sort="rank (best first)", page=1, page_size=10)
    assert len(p) == 10 and p["mean_test_score"].is_monotonic_decreasing and (p["state"] == "complete").all()
    assert p["mean_test_score"].iloc[0] == f["mean_test_score"].max()
    last = page_of(f, states=["complete", "failed"], sort="rank (best first)", page=999, page_size=100)
    assert len(last) == 100 and last["mean_test_score"].isna().sum() == 50  # NaN scores sort last
    small = page_of(f, states=["complete"], sort="model size (smallest first)", page=2, page_size=10)
    assert small["model_size"].is_monotonic_increasing
    assert page_of(f, states=[], sort="trial number", page=1).empty
