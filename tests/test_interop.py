"""Optuna, MLflow and W&B interop: round trips, what each tool reads back, and the missing-package message."""

from __future__ import annotations

import json
import sys

import pytest

from tuning.cli import main
from tuning.demo import fill_study
from tuning.errors import ConfigError, StoreError
from tuning.protocol import TrialState
from tuning.study import summary_of as _summary

optuna = pytest.importorskip("optuna")  # a runtime dependency (requirements.txt): always there


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.number, x.state, x.params, x.score, x.train_score) == (
            y.number,
            y.state,
            y.params,
            y.score,
            y.train_score,
        )
        assert (x.fold_scores, x.fit_time, x.model_size, x.model_size_unit) == (
            y.fold_scores,
            y.fit_time,
            y.model_size,
            y.model_size_unit,
        )
        assert (x.budget, x.rung, x.note, x.error, x.rungs) == (y.budget, y.rung, y.note, y.error, y.rungs)
        assert (x.curves or {}).get("val_mean") == (y.curves or {}).get("val_mean")


@pytest.fixture
def study(store):
    return fill_study(store, 60, seed=1, curves=True)


@pytest.mark.parametrize("fast", [True, False])
def test_optuna_export_then_import_gives_the_same_trials(store, study, tmp_path, monkeypatch, fast):
    from tuning.export import optuna as ox

    if not fast:  # Optuna's own add_trials path, as for a non-SQLite storage
        monkeypatch.setattr(ox, "_FAST_SCHEMA", -1)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    name = ox.export_study(store, study, url)
    loaded = optuna.load_study(study_name=name, storage=url)
    best = store.best_trial(study)
    assert loaded.best_value == best.score and loaded.best_trial.user_attrs["number"] == best.number
    states = {t.state.name for t in loaded.trials}
    assert states == {"COMPLETE", "PRUNED", "FAIL"}
    dart = next(t for t in loaded.trials if t.params.get("booster") == "dart")
    assert "rate_drop" in dart.params and "rate_drop" in dart.distributions  # conditional: only where active
    assert not any("rate_drop" in t.params for t in loaded.trials if t.params.get("booster") == "gbtree")
    with_curves = next(t for t in store.get_trials(study, with_curves=True) if t.curves)
    same = next(t for t in loaded.trials if t.user_attrs["number"] == with_curves.number)
    assert [same.intermediate_values[i] for i in sorted(same.intermediate_values)] == with_curves.curves["val_mean"]
    new = ox.import_study(store, url)
    _same(store.get_trials(study, with_curves=True), store.get_trials(new, with_curves=True))
    assert store.get_study(new).raw_config["space"] == store.get_study(study).raw_config["space"]
    assert _summary(store, new)["best_score"] == best.score


def test_a_foreign_minimizing_optuna_study_imports_as_a_loss(store, tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    s = optuna.create_study(
        storage=url, study_name="foreign", direction="minimize", sampler=optuna.samplers.RandomSampler(0)
    )

    def objective(trial):
        booster = trial.suggest_categorical("booster", ["gbtree", "dart"])
        if booster == "dart":
            trial.suggest_float("rate_drop", 0.0, 0.5)
        x = trial.suggest_float("learning_rate", 0.01, 0.3, log=True)
        for step in range(3):
            trial.report(x + step, step)
        if trial.number == 4:
            raise optuna.TrialPruned()
        return (x - 0.1) ** 2

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s.optimize(objective, n_trials=8)
    sid = main_import(store, url)
    study = store.get_study(sid)
    assert study.raw_config["metric"] == "neg_objective" and study.raw_config["model"] == "xgboost"
    trials = store.get_trials(sid, with_curves=True)
    assert [t.number for t in trials] == list(range(8))
    assert trials[4].state is TrialState.PRUNED and trials[4].curves["val_mean"] == [
        s.trials[4].params["learning_rate"] + i for i in range(3)
    ]
    done = [t for t in trials if t.state is TrialState.COMPLETE]
    assert max(t.score for t in done) == -s.best_value  # stored higher-is-better
    assert _summary(store, sid)["n_complete"] == 7


def main_import(store, url) -> int:
    from tuning.export.optuna import import_study

    return import_study(store, url)


def test_import_errors_are_plain(store, tmp_path):
    from tuning.export.optuna import import_study

    with pytest.raises(StoreError, match="no SQLite file"):
        import_study(store, f"sqlite:///{tmp_path / 'missing.db'}")
    url = f"sqlite:///{tmp_path / 'two.db'}"
    for n in ("a", "b"):
        optuna.create_study(storage=url, study_name=n)
    with pytest.raises(ConfigError, match="holds 2 studies.*a, b"):
        import_study(store, url)
    with pytest.raises(StoreError, match="no study named 'c'"):
        import_study(store, url, study_name="c")


def test_cli_export_optuna_and_import_optuna(store, study, tmp_path, capsys):
    db = store.path
    out = tmp_path / "cli.db"
    assert main(["export", str(study), "--format", "optuna", "-o", str(out), "--db", db]) == 0
    assert "optuna-dashboard sqlite:///" in capsys.readouterr().err
    assert main(["import-optuna", str(out), "--db", db, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["best_score"] == store.best_trial(study).score and summary["n_trials"] == 60
    assert main(["import-optuna", str(tmp_path / "nope.db"), "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: There is no SQLite file") and len(err.strip().splitlines()) == 1


def test_wandb_sweep_yaml(store, study, capsys):
    import yaml

    from tuning.export.wandb import sweep_config, sweep_yaml

    cfg = store.get_study(study).config
    text = sweep_yaml(cfg.search_space(), metric="roc_auc", strategy="random", name="s")
    parsed = yaml.safe_load(text)
    assert parsed == sweep_config(cfg.search_space(), metric="roc_auc", strategy="random", name="s")
    assert parsed["method"] == "random" and parsed["metric"] == {"name": "roc_auc", "goal": "maximize"}
    p = parsed["parameters"]
    assert p["learning_rate"] == {"distribution": "log_uniform_values", "min": 0.01, "max": 0.3}
    assert p["max_depth"] == {"distribution": "int_uniform", "min": 2, "max": 10}
    assert p["booster"] == {"values": ["gbtree", "dart"]} and p["n_estimators"] == {"value": 200}
    assert "# rate_drop is used only when booster in ['dart']" in text
    grid = yaml.safe_load(sweep_yaml(cfg.search_space(), metric="neg_log_loss", strategy="grid"))
    assert grid["method"] == "grid" and grid["metric"] == {"name": "log_loss", "goal": "minimize"}
    assert grid["parameters"]["max_depth"]["values"] == [2, 4, 6, 8, 10]
    assert main(["export", str(study), "--format", "wandb", "--db", store.path]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["method"] == "random"


@pytest.mark.parametrize("package,fmt", [("mlflow", "mlflow"), ("optuna", "optuna")])
def test_a_missing_optional_package_gives_the_plain_message(store, study, tmp_path, monkeypatch, capsys, package, fmt):
    monkeypatch.setitem(sys.modules, package, None)  # import now raises ImportError
    if fmt == "mlflow":
        from tuning.export.mlflow import export_mlflow

        with pytest.raises(ConfigError, match="needs the package 'mlflow'.*pip install mlflow"):
            export_mlflow(store, study, tmp_path / "ml")
    rc = main(["export", str(study), "--format", fmt, "-o", str(tmp_path / "x"), "--db", store.path])
    err = capsys.readouterr().err
    assert (
        rc == 2
        and err
        == f"error: {'The MLflow export' if fmt == 'mlflow' else 'Optuna import, export and importance'} needs the package '{package}', which is not installed. Install it with: pip install {package}\n"
    )


@pytest.mark.slow  # creating MLflow's database (its migrations) takes ~20 s on a shared 2-core machine
def test_mlflow_finds_one_child_run_per_trial(store, study, tmp_path):
    mlflow = pytest.importorskip("mlflow", reason="mlflow is in requirements-dev.txt")
    from tuning.export.mlflow import export_mlflow, tracking_uri

    out = tmp_path / "ml"
    parent = export_mlflow(store, study, out, log_model=False)
    assert (out / "mlflow.db").is_file()
    client = mlflow.MlflowClient(tracking_uri=tracking_uri(out))
    exp = client.get_run(parent).info.experiment_id
    runs = client.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent}'", max_results=1000)
    trials = {t.number: t for t in store.get_trials(study, with_curves=True)}
    assert sorted(int(r.data.tags["number"]) for r in runs) == sorted(trials)
    for r in runs:
        t = trials[int(r.data.tags["number"])]
        assert r.data.tags["state"] == t.state.value
        assert r.data.params == {k: str(v) for k, v in t.params.items()}
        if t.state is TrialState.COMPLETE:
            assert r.data.metrics["mean_test_roc_auc"] == pytest.approx(t.score)
            assert r.data.metrics["model_size"] == t.model_size
            assert r.info.status == "FINISHED"
        if t.curves:
            hist = client.get_metric_history(r.info.run_id, "validation_auc")
            assert [m.value for m in sorted(hist, key=lambda m: m.step)] == t.curves["val_mean"]


@pytest.mark.slow
def test_mlflow_logs_the_refit_best_model(store, study, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="mlflow is in requirements-dev.txt")
    import pandas as pd

    from tuning.demo import ROOT
    from tuning.export.mlflow import export_mlflow, tracking_uri

    parent = export_mlflow(store, study, tmp_path / "ml")
    uri = tracking_uri(tmp_path / "ml")
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert client.get_run(parent).data.tags["best_model"] == "logged"
    exp = client.get_run(parent).info.experiment_id
    models = {m.name: m for m in client.search_logged_models(experiment_ids=[exp])}
    assert set(models) == {"pipeline", "xgboost"}
    monkeypatch.setattr(mlflow, "get_tracking_uri", lambda: uri)
    mlflow.set_tracking_uri(uri)
    pipe = mlflow.sklearn.load_model(models["pipeline"].model_uri)
    X = pd.read_csv(ROOT / "sample_data" / "moons.csv").drop(columns=["label"])
    assert len(pipe.predict(X.head(5))) == 5


def test_an_import_drops_where_the_foreign_study_ran(store, study, tmp_path):
    """A crafted file naming a scheduler: the imported study would contact it on resume. The import drops it."""
    import optuna

    from tuning.export.optuna import STUDY_ATTR, export_study, import_study

    url = f"sqlite:///{tmp_path / 'x.db'}"
    name = export_study(store, study, url)
    ostudy = optuna.load_study(study_name=name, storage=url)
    attr = dict(ostudy.user_attrs[STUDY_ATTR])
    attr["config"] = {
        **attr["config"],
        "executor": "dask",
        "scheduler": "tcp://203.0.113.9:8786",
        "workers": 64,
        "device": "cuda",
    }
    ostudy.set_user_attr(STUDY_ATTR, attr)
    cfg = store.get_study(import_study(store, url, study_name=name)).config
    assert (cfg.executor.value, cfg.scheduler, cfg.workers, cfg.device.value) == ("threads", None, 1, "cpu")


def test_the_mlflow_export_turns_mlflow_telemetry_off(tmp_path):
    """MLflow sends usage events unless told not to; outside CI (no CI variables) its client exists on import."""
    import os
    import subprocess

    code = (
        "import mlflow\n"
        "from mlflow.telemetry.client import get_telemetry_client\n"
        "before = get_telemetry_client() is not None\n"
        "from tuning.export.mlflow import _mlflow\n"
        "_mlflow()\n"
        "print(before, get_telemetry_client() is None)\n"
    )
    ci_vars = {"PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK"}
    env = {k: v for k, v in os.environ.items() if k not in ci_vars}
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]
