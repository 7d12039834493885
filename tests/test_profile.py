"""The profile looks for trouble (issue 19): a loans-like table with columns known only after the outcome
and mostly-empty joint-income columns is flagged, the flagged columns drop in one click, the target is
guessed by name, and a tiny table is refused for its folds and not called "Ready"."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tuning.data import check_folds, parse_table, without_columns
from tuning.errors import DataError
from tuning.profile import guess_target, profile_table

from .conftest import ROOT

APP = str(ROOT / "app.py")


def loans(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """The traits of the loans table a newcomer tried: the target in the middle, post-outcome payment
    columns (one correlated 0.5 with the rate), joint-income columns 85% missing, the last column a fee."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(11, 0.5, n)
    rate = np.clip(5 + 20 * rng.beta(2, 5, n), 5, 30).round(2)
    amount = rng.integers(1, 40, n) * 1000
    joint = np.where(rng.random(n) < 0.85, np.nan, income * rng.uniform(1.2, 2.0, n))
    paid_interest = amount * rate / 100 * rng.uniform(0.05, 0.6, n)
    return pd.DataFrame(
        {
            "emp_length": rng.integers(0, 11, n),
            "annual_income": income.round(0),
            "annual_income_joint": joint.round(0),
            "debt_to_income_joint": np.where(np.isnan(joint), np.nan, rng.uniform(5, 40, n)),
            "loan_amount": amount,
            "term": rng.choice([36, 60], n),
            "homeownership": rng.choice(["RENT", "OWN", "MORTGAGE"], n),
            "interest_rate": rate,
            "loan_status": rng.choice(["Current", "Fully Paid", "Late"], n, p=[0.8, 0.15, 0.05]),
            "paid_interest": paid_interest.round(2),
            "paid_late_fees": np.where(rng.random(n) < 0.02, rng.uniform(5, 50, n), 0.0).round(2),
        }
    )


def test_the_target_is_guessed_by_name_not_taken_from_the_last_column():
    assert guess_target(loans()) == "interest_rate"
    assert (
        guess_target(pd.DataFrame({"Status": ["good", "bad"] * 10, "Price": range(20), "Age": range(20)})) == "Status"
    )
    # an identifier or a date is never the guess; without a telling name, the last usable column
    df = pd.DataFrame({"a": range(30), "b": np.linspace(0, 1, 30), "id": range(30)})
    assert guess_target(df) == "b"
    assert guess_target(pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})) == "label"


def test_a_loans_like_table_flags_post_outcome_and_mostly_missing_columns():
    profile = profile_table(loans(), target="interest_rate")
    s = profile.suspects
    assert s["annual_income_joint"].endswith("missing") and s["debt_to_income_joint"].endswith("missing")
    assert "after the outcome" in s["paid_interest"]
    assert "emp_length" not in s and "annual_income" not in s and "loan_amount" not in s
    text = " ".join(profile.warnings)
    assert "paid_interest" in text and "annual_income_joint" in text and "85%" in text or "86%" in text


def test_dropping_flagged_columns_keeps_the_types_and_refuses_nonsense():
    df = loans(200)
    content, ext = without_columns(df, ["paid_interest", "annual_income_joint"])
    assert ext == ".parquet"
    back = parse_table(content, name="x" + ext)
    assert list(back.columns) == [c for c in df.columns if c not in ("paid_interest", "annual_income_joint")]
    assert back["term"].dtype.kind == "i"
    with pytest.raises(DataError, match="not in the table"):
        without_columns(df, ["nope"])
    with pytest.raises(DataError, match="no column"):
        without_columns(df, list(df.columns))
    mixed = pd.DataFrame({"a": [1, "x", 2.5], "y": [1, 2, 3]})
    assert without_columns(mixed, ["y"])[1] == ".csv"


def test_too_few_rows_for_the_folds_is_refused_with_the_fix():
    with pytest.raises(DataError, match="5 CV folds need at least 10") as err:
        check_folds(np.arange(5, dtype=float), task="regression", cv=5)
    assert "CV folds" in err.value.for_app()
    check_folds(np.arange(10, dtype=float), task="regression", cv=5)


@pytest.fixture
def loans_app(tmp_path, monkeypatch):
    from tuning.store import Store

    db = tmp_path / "loans.db"
    store = Store(db)
    buf = io.StringIO()
    loans().to_csv(buf, index=False)
    ds = store.add_dataset("loans.csv", buf.getvalue().encode())
    monkeypatch.setenv("TUNING_DB", str(db))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params["dataset"] = ds
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app, store, ds


def test_the_data_page_guesses_the_target_and_drops_flagged_columns_in_one_click(loans_app):
    app, store, ds = loans_app
    assert app.selectbox(key=f"data_target_{ds}").value == "interest_rate"
    picked = [m for m in app.multiselect if str(m.key).startswith("data_suspects_")]
    dropped = list(picked[0].value)
    assert set(dropped) >= {"paid_interest", "annual_income_joint", "debt_to_income_joint"}
    app.button(key="data_drop_suspects").click().run()
    assert not app.exception, [e.value for e in app.exception]
    datasets = store.list_datasets()
    assert len(datasets) == 2  # the original stays
    new = next(d for d in datasets if d["id"] != ds)
    assert new["name"].startswith("loans without") and new["n_cols"] == 11 - len(dropped)
    assert app.selectbox(key=f"data_target_{new['id']}").value == "interest_rate"
    assert not [m for m in app.multiselect if str(m.key).startswith("data_suspects_")]  # nothing left to flag
    assert any("Ready" in str(s.value) for s in app.success)


def test_a_five_row_table_is_not_called_ready(tmp_path, monkeypatch):
    from tuning.store import Store

    store = Store(tmp_path / "tiny.db")
    ds = store.add_dataset("tiny.csv", b"x,y\n1,2\n2,4\n3,5\n4,9\n5,11\n")
    monkeypatch.setenv("TUNING_DB", str(tmp_path / "tiny.db"))
    import ui.state

    ui.state._store.clear()
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["dataset"] = ds
    app.run()
    assert not app.exception
    assert not any("Ready" in str(s.value) for s in app.success)
    assert any("Only 5 rows have a target" in str(w.value) for w in app.warning)
