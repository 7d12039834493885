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
from tuning.data import profile_table
from tuning.errors import ConfigError
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
