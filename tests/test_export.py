from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import joblib
import pandas as pd
import pytest

from tuning.config import StudyConfig
from tuning.export import best_params_json, export_model, standalone_script, trials_csv
from tuning.runner import run

from .conftest import SAMPLES


@pytest.mark.parametrize(
    "sample, target, model, space",
    [
        ("penguins.csv", "species", "xgboost", {"n_estimators": {"value": 30}, "max_depth": {"values": [2, 3]}}),
        ("diabetes.csv", "progression", "ridge", {"alpha": {"values": [0.1, 10.0]}}),
    ],
)
def test_standalone_script_reproduces_the_best_score(store, add_sample, tmp_path, sample, target, model, space):
    ds = add_sample(sample)
    s = run(
        store,
        StudyConfig(
            dataset_id=ds, target=target, model=model, strategy="grid", n_trials=None, cv=3, space=space, seed=3
        ),
    )
    script = standalone_script(store, s["study_id"])
    assert "import tuning" not in script and "from tuning" not in script
    (tmp_path / sample).write_bytes((SAMPLES / sample).read_bytes())
    path = tmp_path / "refit.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    score = float(re.search(r"= (-?[\d.e+-]+) \+/-", out.stdout).group(1))
    assert score == pytest.approx(s["best_score"], rel=1e-5)
    saved = joblib.load(tmp_path / f"best_model_study_{s['study_id']}.joblib")
    assert hasattr(saved["model"], "predict")


def test_exports_of_trials_params_and_model(store, add_sample):
    ds = add_sample("moons.csv")
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="xgboost",
            strategy="random",
            n_trials=3,
            cv=3,
            space={"n_estimators": {"value": 20}, "max_depth": {"type": "int", "low": 2, "high": 4}},
        ),
    )
    sid = s["study_id"]
    assert trials_csv(store, sid).count("\n") == 4
    best = json.loads(best_params_json(store, sid))
    assert best["params"] == s["best_params"] and best["score"] == s["best_score"]
    files = {m.filename: m for m in export_model(store, sid)}
    pipe = joblib.load(io.BytesIO(files[f"study_{sid}_pipeline.joblib"].content))
    assert pipe["classes"] == ("0", "1")
    X = pd.read_csv(SAMPLES / "moons.csv")[["x1", "x2"]]
    assert set(pipe["model"].predict(X)) <= {0, 1}
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(files[f"study_{sid}_xgboost.json"].content))
    assert booster.num_boosted_rounds() == 20
    assert (
        "joblib" in files[f"study_{sid}_pipeline.joblib"].note and "trust" in files[f"study_{sid}_pipeline.joblib"].note
    )


@pytest.mark.parametrize("name", ["x\ncommand: [rm, -rf, /]", "a: b", "#c", "k\n  extra: 1", "é\u2028z"])
def test_wandb_sweep_names_cannot_add_yaml_keys(name):
    import yaml

    from tuning.export.wandb import sweep_yaml
    from tuning.space import SearchSpace

    space = SearchSpace.from_dict({name: {"values": [0.5, 1.0]}, "b": {"values": [1, 2], "when": {name: [0.5]}}})
    doc = yaml.safe_load(sweep_yaml(space, metric="neg_log_loss", name=name + "\ncommand: x"))
    assert set(doc) == {"method", "name", "metric", "parameters"}
    assert set(doc["parameters"]) == {name, "b"} and doc["name"] == name + "\ncommand: x"
