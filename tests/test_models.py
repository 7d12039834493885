"""The model registry: family knowledge lives on the family (trainer, defaults, native format)."""

from __future__ import annotations

import numpy as np
import pytest

from tuning.errors import ConfigError
from tuning.models import MODELS, build_pipeline, get_model, make_estimator
from tuning.trainers import trainer_for


def test_every_family_has_a_space_and_an_estimator_per_task():
    for fam in MODELS.values():
        assert fam.space().names
        for task in fam.tasks:
            assert fam.factory(task)() is not None


def test_the_trainer_is_found_through_the_family():
    assert type(trainer_for("xgboost")).__name__ == "XGBoostTrainer"
    assert type(trainer_for("knn")).__name__ == "SklearnTrainer"
    assert get_model("xgboost").trainer == "xgboost"


def test_family_defaults_fill_what_the_space_leaves_out():
    est = make_estimator("xgboost", "classification", {"booster": "dart"}, device="cpu")
    assert est.get_params()["rate_drop"] == 0.0 and est.get_params()["verbosity"] == 0
    est = make_estimator("xgboost", "classification", {"booster": "dart", "rate_drop": 0.3})
    assert est.get_params()["rate_drop"] == 0.3


def test_the_native_model_is_offered_by_families_that_have_one():
    pipe = build_pipeline("xgboost", "regression", {"n_estimators": 3}, numeric=("a",), categorical=())
    import pandas as pd

    pipe.fit(pd.DataFrame({"a": np.arange(20.0)}), np.arange(20.0))
    suffix, raw, note = get_model("xgboost").native_model(pipe.named_steps["model"])
    assert suffix.endswith(".json") and raw.startswith(b"{") and "Booster" in note
    assert get_model("knn").native_model is None


def test_an_unknown_family_or_task_is_refused():
    with pytest.raises(ConfigError):
        get_model("no_such_model")
    with pytest.raises(ConfigError):
        get_model("logistic_regression").factory("regression")


def test_svm_and_mlp_defaults_on_many_rows():
    svm, mlp = get_model("svm"), get_model("mlp")
    assert svm.default_space_for(100_000, 20)["C"]["high"] == 100.0
    assert svm.default_space_for(5_000, 20)["C"] == svm.default_space["C"]
    big = mlp.default_space_for(100_000, 20)
    assert big["early_stopping"] == {"value": True} and big["max_iter"] == {"value": 200}
    assert "early_stopping" not in mlp.default_space_for(5_000, 20)
    assert get_model("knn").default_space_for(10**6, 10**4) == get_model("knn").default_space
