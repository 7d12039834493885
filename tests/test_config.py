"""The request and the resolved config: enums, the space, held-out rows by default, old stored dicts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tuning.config import (
    AUTO_TEST_SIZE,
    Device,
    ExecutorName,
    PrunerName,
    ResolvedConfig,
    StrategyName,
    StudyConfig,
    Task,
    resolve_config,
)
from tuning.errors import ConfigError
from tuning.profile import profile_table
from tuning.space import SearchSpace


def profile(n: int):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n), "y": [i % 2 for i in range(n)]})
    return profile_table(df, target="y")


def test_resolving_gives_enums_and_a_search_space():
    r = resolve_config(
        StudyConfig(dataset_id="d", target="y", model="knn", strategy="random", pruner="asha"), profile(50)
    )
    assert r.task is Task.CLASSIFICATION and r.strategy is StrategyName.RANDOM and r.pruner is PrunerName.ASHA
    assert r.executor is ExecutorName.THREADS and r.device is Device.CPU and isinstance(r.space, SearchSpace)
    assert r.metric == "roc_auc" and f"{r.strategy}" == "random"


def test_held_out_rows_by_default_only_on_larger_tables():
    small = resolve_config(StudyConfig(dataset_id="d", target="y", model="knn"), profile(999))
    large = resolve_config(StudyConfig(dataset_id="d", target="y", model="knn"), profile(1000))
    none = resolve_config(StudyConfig(dataset_id="d", target="y", model="knn", test_size=0.0), profile(5000))
    assert (small.test_size, large.test_size, none.test_size) == (0.0, AUTO_TEST_SIZE, 0.0)


def test_a_sampling_search_starts_cheap_unless_told_or_seeded():
    def cheap(**kw) -> bool:
        return resolve_config(StudyConfig(dataset_id="d", target="y", model="xgboost", **kw), profile(50)).cheap_start

    assert cheap(strategy="tpe") and cheap(strategy="random") and cheap(strategy="anneal")
    assert not cheap(strategy="grid", space={"max_depth": {"values": [2, 3]}})  # a grid is exactly its points
    assert not cheap(strategy="tpe", extra={"seed": [{"max_depth": 3}]})  # a seeded study starts from its seeds
    assert not cheap(strategy="tpe", cheap_start=False)
    with pytest.raises(ConfigError, match="no cheap first trial"):
        cheap(strategy="grid", space={"max_depth": {"values": [2, 3]}}, cheap_start=True)


@pytest.mark.parametrize(
    "change", [{"strategy": "bayes"}, {"pruner": "median"}, {"executor": "ray"}, {"device": "tpu"}]
)
def test_unknown_names_are_refused_plainly(change):
    with pytest.raises(ConfigError, match="Unknown"):
        resolve_config(StudyConfig(dataset_id="d", target="y", model="knn", **change), profile(50))


def test_the_stored_form_round_trips_and_old_dicts_open():
    r = resolve_config(StudyConfig(dataset_id="d", target="y", model="xgboost", n_trials=5), profile(50))
    stored = json.loads(json.dumps(r.to_dict()))
    assert stored["strategy"] == "tpe" and isinstance(stored["space"], dict)
    back = ResolvedConfig.from_stored(stored)
    assert back == r
    old = {"dataset_id": "d", "target": "y", "model": "knn", "task": "regression", "metric": "r2", "space": None}
    o = ResolvedConfig.from_stored(old)  # a first-release dict: no pruner, executor, device keys
    assert o.pruner is PrunerName.NONE and o.executor is ExecutorName.THREADS and o.space.names
    assert o.request().model == "knn"


def test_defaults_fit_the_tables_shape_and_an_explicit_space_is_kept():
    wide = resolve_config(StudyConfig(dataset_id="d", target="y", model="logistic_regression"), _table(300, 5000))
    narrow = resolve_config(StudyConfig(dataset_id="d", target="y", model="logistic_regression"), profile(500))
    assert wide.space.to_dict()["max_iter"] == {"value": 200} and wide.space.to_dict()["tol"] == {"value": 1e-3}
    assert narrow.space.to_dict()["max_iter"] == {"value": 1000} and "tol" not in narrow.space.to_dict()
    mine = {"C": {"type": "float", "low": 0.1, "high": 1.0}, "max_iter": {"value": 5000}}
    kept = resolve_config(
        StudyConfig(dataset_id="d", target="y", model="logistic_regression", space=mine), _table(300, 5000)
    )
    assert kept.space.to_dict()["max_iter"] == {"value": 5000}


def _table(n_rows: int, n_cols: int):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(n_rows, n_cols)), columns=[f"c{i}" for i in range(n_cols)])
    df["y"] = [i % 2 for i in range(n_rows)]
    return profile_table(df, target="y")


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf")])
def test_the_trial_time_cap_is_checked_and_stored(bad):
    from tuning.protocol import DEFAULT_TRIAL_TIMEOUT

    with pytest.raises(ConfigError, match="trial time cap"):
        resolve_config(StudyConfig(dataset_id="d", target="y", model="knn", trial_timeout=bad), profile(50))
    r = resolve_config(StudyConfig(dataset_id="d", target="y", model="knn"), profile(50))
    assert r.trial_timeout == DEFAULT_TRIAL_TIMEOUT
    assert ResolvedConfig.from_stored({**r.to_dict(), "trial_timeout": None}).trial_timeout is None
    old = {k: v for k, v in r.to_dict().items() if k != "trial_timeout"}  # a study of an earlier release
    assert ResolvedConfig.from_stored(old).trial_timeout == DEFAULT_TRIAL_TIMEOUT
