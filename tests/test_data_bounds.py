"""Infinite numbers count as missing; wide tables are handled in linear time, without warnings, up to a cap."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tuning.config import StudyConfig
from tuning.data import MAX_COLUMNS, parse_table, prepare_xy
from tuning.errors import DataError
from tuning.profile import profile_table
from tuning.runner import run


def _inf_table() -> bytes:
    rng = np.random.default_rng(1)
    x = rng.normal(size=60).round(3)
    y = (x + rng.normal(scale=0.5, size=60) > 0).astype(int)
    df = pd.DataFrame({"x": x.astype(object), "z": rng.normal(size=60).round(3).astype(object), "y": y})
    df.loc[[3, 9], "x"] = ["inf", "-inf"]
    df.loc[5, "z"] = "-inf"
    return df.to_csv(index=False).encode()


def test_infinities_are_missing_with_one_plain_warning_and_no_warning_text(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (or other) fails the test
        df = parse_table(_inf_table(), name="inf.csv")
        assert not np.isinf(df.select_dtypes("number").to_numpy()).any()
        assert df["x"].isna().sum() == 2 and df["z"].isna().sum() == 1
        profile = profile_table(df, target="y")
        prepared = prepare_xy(df, profile)
    assert np.isfinite(prepared.X.to_numpy(dtype=float)[~np.isnan(prepared.X.to_numpy(dtype=float))]).all()
    lines = [w for w in profile.warnings if "infinite" in w]
    assert lines == ["3 infinite value(s) (inf/-inf) in column(s) 'x', 'z' are treated as missing."]
    assert profile.column("x").n_missing == 2
    out, err = capfd.readouterr()
    assert "Warning" not in out + err


def test_a_frame_that_still_holds_infinities_is_profiled_the_same_way():
    df = pd.DataFrame({"a": [1.0, np.inf, 3.0, -np.inf, 5.0] * 4, "b": [0, 1] * 10})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profile = profile_table(df, target="b", task="classification")
        prepared = prepare_xy(df, profile)
    assert any("infinite" in w for w in profile.warnings)
    assert np.isnan(prepared.X["a"]).sum() == 8


def test_a_study_on_a_table_with_infinities_completes(store):
    ds = store.add_dataset("inf.csv", _inf_table())
    s = run(
        store,
        StudyConfig(dataset_id=ds, target="y", model="logistic_regression", strategy="random", n_trials=2, cv=3),
    )
    assert s["state"] == "complete" and s["n_failed"] == 0, s


def _wide(n_cols: int, n_rows: int = 30) -> bytes:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(n_rows, n_cols)).round(3), columns=[f"f{i}" for i in range(n_cols)])
    df["cat"] = rng.choice(["a", "b", "c"], size=n_rows)
    df["target"] = rng.integers(0, 2, size=n_rows)
    return df.to_csv(index=False).encode()


def test_a_wide_table_is_read_profiled_and_prepared_without_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = parse_table(_wide(3000), name="wide.csv")
        profile = profile_table(df, target="target")
        prepared = prepare_xy(df, profile)
    assert [str(w.message)[:80] for w in caught] == []  # formerly one PerformanceWarning per inserted column
    assert prepared.X.shape == (30, 3001) and len(prepared.numeric) == 3000
    assert prepared.X.columns[-1] == "cat"


def test_too_many_columns_are_refused_with_a_plain_message():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n"
    row = ",".join("1" for _ in range(MAX_COLUMNS + 1)) + "\n"
    with pytest.raises(DataError, match=f"at most {MAX_COLUMNS:,}") as info:
        parse_table((header + row).encode(), name="huge.csv")
    assert "select the columns" in str(info.value).lower()


def test_many_duplicate_columns_are_named_briefly():
    header = ",".join([" a", "a "] * 30 + ["b", "b "]) + "\n"
    row = ",".join("1" for _ in range(62)) + "\n"
    with pytest.raises(DataError, match="duplicate column names") as info:
        parse_table((header + row).encode(), name="dupes.csv")
    assert "'a'" in str(info.value) and "'b'" in str(info.value) and len(str(info.value)) < 300


def test_many_ignored_columns_make_one_warning_line_each_kind():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({f"k{i}": 1 for i in range(40)} | {"x": rng.normal(size=30), "y": rng.integers(0, 2, 30)})
    df = pd.concat([df, pd.DataFrame({"k_one": [7] * 30})], axis=1)
    profile = profile_table(df, target="y")
    constant = [w for w in profile.warnings if "single value" in w]
    assert constant == [
        "41 columns ('k0', 'k1', 'k2', 'k3', 'k4' and 36 more) have a single value and will be ignored."
    ]
    assert len(profile.dropped) == 41
