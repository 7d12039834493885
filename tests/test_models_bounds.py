"""Per-model preprocessing keeps one-hot output bounded; a space cannot set what the study controls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tuning.config import StudyConfig
from tuning.data import MAX_ONEHOT_WIDTH, onehot_max_categories
from tuning.errors import SpaceError
from tuning.models import build_pipeline, get_model
from tuning.runner import create_study
from tuning.space import RESERVED_PARAMS, SearchSpace


def _categorical_frame(n_cols: int, n_rows: int = 200, n_levels: int = 20) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {f"c{i}": rng.choice([f"v{j}" for j in range(n_levels)], size=n_rows).astype(object) for i in range(n_cols)}
    )
    X["num"] = rng.normal(size=n_rows)
    return X, rng.integers(0, 2, size=n_rows)


def _transform(model: str, X: pd.DataFrame, y: np.ndarray):
    cats = [c for c in X.columns if c != "num"]
    pipe = build_pipeline(model, "classification", {}, numeric=["num"], categorical=cats)
    return pipe.named_steps["prep"].fit_transform(X, y)


def test_wide_one_hot_is_sparse_where_the_model_reads_sparse_input():
    X, y = _categorical_frame(60)
    out = _transform("logistic_regression", X, y)
    assert sp.issparse(out) and out.shape[0] == 200 and 1100 < out.shape[1] <= 60 * 20 + 1
    assert out.data.nbytes < 0.1 * out.shape[0] * out.shape[1] * 8  # a tenth of the dense matrix


def test_xgboost_stays_dense_but_the_one_hot_width_is_capped():
    # XGBoost reads absent sparse entries as missing, so it gets a dense matrix; its width is capped.
    X, y = _categorical_frame(400, n_rows=100)
    out = _transform("xgboost", X, y)
    assert isinstance(out, np.ndarray)
    assert out.shape[1] <= MAX_ONEHOT_WIDTH + 1
    assert onehot_max_categories(400) == 5 and onehot_max_categories(10) == 20


def test_a_narrow_table_is_unchanged_and_dense():
    X, y = _categorical_frame(2, n_levels=3)
    out = _transform("logistic_regression", X, y)
    assert isinstance(out, np.ndarray) and out.shape == (200, 7)


def test_a_sparse_pipeline_fits_and_predicts():
    X, y = _categorical_frame(60)
    pipe = build_pipeline(
        "logistic_regression", "classification", {"max_iter": 200}, numeric=["num"], categorical=list(X.columns[:-1])
    )
    assert set(pipe.fit(X, y).predict(X)) <= {0, 1}


@pytest.mark.parametrize(
    "model, spec, name",
    [
        ("random_forest", {"n_jobs": {"value": 8}}, "n_jobs"),
        ("xgboost", {"device": {"values": ["cpu", "cuda"]}}, "device"),
        ("xgboost", {"nthread": {"value": 64}}, "nthread"),
        ("xgboost", {"verbosity": {"value": 3}}, "verbosity"),
        ("xgboost", {"tree_method": {"values": ["hist", "gpu_hist"]}}, "tree_method"),
        ("logistic_regression", {"random_state": {"type": "int", "low": 0, "high": 9}}, "random_state"),
        ("mlp", {"verbose": {"value": True}}, "verbose"),
    ],
)
def test_a_space_cannot_set_what_the_study_controls(store, add_sample, model, spec, name):
    ds = add_sample("moons.csv")
    cfg = StudyConfig(dataset_id=ds, target="label", model=model, strategy="random", n_trials=1, space=spec)
    with pytest.raises(SpaceError, match=f"'{name}'"):
        create_study(store, cfg)
    assert store.list_studies() == []


def test_reserved_names_are_not_offered_as_known_parameters():
    for m in ("xgboost", "random_forest", "logistic_regression", "knn", "mlp"):
        assert not set(RESERVED_PARAMS) & get_model(m).allowed_params("classification")
    # tree_method itself stays allowed (hist/approx/exact change what is learned)
    SearchSpace.from_dict({"tree_method": {"values": ["hist", "approx"]}}).validate_against(
        get_model("xgboost").allowed_params("classification"), model="XGBoost"
    )
