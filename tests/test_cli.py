from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, SAMPLES

SUMMARY_KEYS = {
    "study_id",
    "state",
    "n_trials",
    "n_complete",
    "n_failed",
    "metric",
    "best_score",
    "best_params",
    "duration_s",
}


def cli(*args, db=None, timeout=300):
    argv = [sys.executable, "-m", "tuning", *args] + (["--db", str(db)] if db else [])
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    out = cli(
        "run",
        "--data",
        str(SAMPLES / "diabetes.csv"),
        "--target",
        "progression",
        "--model",
        "ridge",
        "--strategy",
        "random",
        "--trials",
        "5",
        "--cv",
        "3",
        "--json",
        db=path,
    )
    assert out.returncode == 0, out.stderr
    return path


def test_run_json_is_the_last_line(db):
    out = cli(
        "run",
        "--data",
        str(SAMPLES / "moons.csv"),
        "--target",
        "label",
        "--model",
        "knn",
        "--trials",
        "4",
        "--cv",
        "3",
        "--strategy",
        "anneal",
        "--json",
        db=db,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert SUMMARY_KEYS <= set(summary)
    assert summary["state"] == "complete" and summary["n_trials"] == 4 and summary["metric"] == "roc_auc"
    assert isinstance(summary["best_params"]["n_neighbors"], int)
    assert "4/4" in out.stderr  # progress goes to stderr


def test_list_show_export(db, tmp_path):
    out = cli("list", "--json", db=db)
    studies = json.loads(out.stdout.strip().splitlines()[-1])
    assert studies[0]["study_id"] == 1 and SUMMARY_KEYS <= set(studies[0])
    assert studies[0]["metric"] == "neg_root_mean_squared_error" and studies[0]["best_score"] < 0
    show = json.loads(cli("show", "1", "--json", db=db).stdout.strip().splitlines()[-1])
    assert len(show["trials"]) == 5
    t = show["trials"][0]
    assert {"number", "state", "params", "score", "train_score", "started", "finished", "duration_s", "error"} <= set(t)
    assert {"budget", "rung", "fit_time_s", "model_size", "model_size_unit"} <= set(t)
    assert t["started"].endswith("Z") and t["state"] == "complete"
    host, pid, *_thread = t["worker"].split(":")  # where it ran (host:pid:thread), as the store recorded it
    assert host and pid.isdigit()
    target = tmp_path / "t.csv"
    assert cli("export", "1", "--format", "csv", "-o", str(target), db=db).returncode == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 5 and "param_alpha" in rows[0] and "mean_test_score" in rows[0]
    js = json.loads(cli("export", "1", "--format", "json", db=db).stdout)
    assert len(js["trials"]) == 5
    assert "ridge" in cli("list", db=db).stdout


def test_models_json():
    out = cli("models", "--json")
    models = {m["name"]: m for m in json.loads(out.stdout)}
    assert {
        "xgboost",
        "logistic_regression",
        "ridge",
        "lasso",
        "elastic_net",
        "random_forest",
        "svm",
        "mlp",
        "knn",
        "decision_tree",
    } <= set(models)
    assert models["xgboost"]["gpu"] and models["lasso"]["coefficients"]
    assert models["xgboost"]["params"]["rate_drop"]["regularizes"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["run", "--data", "missing.csv", "--target", "y", "--model", "ridge"], "not found"),
        (["run", "--data", str(SAMPLES / "moons.csv"), "--target", "lable", "--model", "knn"], "Did you mean 'label'"),
        (["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "lasso"], "does not support"),
        (
            ["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "knn", "--metric", "rmse"],
            "Unknown metric",
        ),
        (
            [
                "run",
                "--data",
                str(SAMPLES / "moons.csv"),
                "--target",
                "label",
                "--model",
                "knn",
                "--space",
                "nope.json",
            ],
            "not found",
        ),
        (["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "knn", "--cv", "1"], "2 folds"),
        (["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label"], "--model"),
        (
            ["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "knn", "--trials", "x"],
            "invalid int",
        ),
        (["show", "99"], "no study 99"),
        (["resume", "99"], "no study 99"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_plain_line(args, words, db, tmp_path, capsys, monkeypatch):
    from tuning.cli import main

    monkeypatch.chdir(tmp_path)
    argv = [*args, "--db", str(db)] if args[0] in ("show", "resume") else list(args)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert words in lines[0] and "Traceback" not in err


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    out = cli("run", "--data", str(SAMPLES / "moons.csv"), "--target", "lable", "--model", "knn", db=tmp_path / "x.db")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_bad_space_file_names_the_parameter(tmp_path):
    space = tmp_path / "s.json"
    space.write_text(json.dumps({"n_neighbors": {"low": 10, "high": 2}}))
    out = cli(
        "run",
        "--data",
        str(SAMPLES / "moons.csv"),
        "--target",
        "label",
        "--model",
        "knn",
        "--space",
        str(space),
        db=tmp_path / "x.db",
    )
    assert out.returncode == 2 and "'n_neighbors'" in out.stderr and "greater than" in out.stderr


def test_bad_file_contents(tmp_path):
    bad = tmp_path / "one.csv"
    bad.write_text("a;b;c\n1;2;3\n")  # semicolons are detected: this one is fine
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    out = cli("run", "--data", str(empty), "--target", "a", "--model", "knn", db=tmp_path / "x.db")
    assert out.returncode == 2 and "empty" in out.stderr


def test_importing_tuning_does_not_import_streamlit():
    code = (
        "import sys, tuning, tuning.cli, tuning.analysis, tuning.export, tuning.charts, tuning.lessons; "
        "print('streamlit' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_xgboost_curves_are_recorded_unless_no_curves(tmp_path):
    from tuning.store import Store

    db = tmp_path / "c.db"
    space = tmp_path / "s.json"
    space.write_text(json.dumps({"n_estimators": {"value": 10}, "max_depth": {"values": [2]}}))
    base = [
        "run",
        "--data",
        str(SAMPLES / "moons.csv"),
        "--target",
        "label",
        "--model",
        "xgboost",
        "--strategy",
        "grid",
        "--cv",
        "2",
        "--space",
        str(space),
    ]
    assert cli(*base, db=db).returncode == 0
    assert cli(*base, "--no-curves", db=db).returncode == 0
    store = Store(db)
    assert store.get_trial(1, 0).curves is not None and len(store.get_trial(1, 0).curves["val_mean"]) == 10
    assert store.get_trial(2, 0).curves is None


def test_run_with_asha_pruner_reports_budget_and_rung(tmp_path):
    db = tmp_path / "p.db"
    space = tmp_path / "space.json"
    space.write_text(
        json.dumps(
            {
                "n_estimators": {"value": 60},
                "max_depth": {"type": "int", "low": 2, "high": 6},
                "learning_rate": {"type": "float", "low": 0.2, "high": 0.5, "log": True},  # all have rungs
            }
        )
    )
    out = cli(
        "run",
        "--data",
        str(SAMPLES / "breast_cancer.csv"),
        "--target",
        "diagnosis",
        "--model",
        "xgboost",
        "--strategy",
        "random",
        "--trials",
        "10",
        "--cv",
        "3",
        "--space",
        str(space),
        "--pruner",
        "asha",
        "--no-curves",
        "--json",
        db=db,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["state"] == "complete" and summary["n_trials"] == 10 and summary["pruner"] == "asha"
    assert summary["stop_reason"] == "trials"
    show = json.loads(cli("show", str(summary["study_id"]), "--json", db=db).stdout.strip().splitlines()[-1])
    states = {t["state"] for t in show["trials"]}
    assert "pruned" in states and "complete" in states
    for t in show["trials"]:
        assert t["budget"] is not None and t["rung"] is not None
        if t["state"] == "pruned":
            assert t["budget"] < 60 and t["note"].startswith("cut at rung")


def test_resume_of_a_study_on_a_stored_scheduler_asks_first(tmp_path, capsys):
    from tuning.cli import main
    from tuning.config import StudyConfig
    from tuning.store import Store
    from tuning.study import Study

    db = tmp_path / "s.db"
    store = Store(db)
    ds = store.add_dataset("moons.csv", (SAMPLES / "moons.csv").read_bytes())
    cfg = StudyConfig(
        dataset_id=ds, target="label", model="knn", n_trials=2, cv=3, executor="dask", scheduler="tcp://127.0.0.1:9"
    )
    sid = Study.create(store, cfg).id
    assert main(["resume", str(sid), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:9" in err and "--scheduler" in err and "Traceback" not in err


def test_trial_timeout_ends_slow_trials_as_failed_and_the_study_goes_on(tmp_path):
    db = tmp_path / "cap.db"
    args = ["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "knn"]
    args += ["--strategy", "random", "--trials", "3", "--cv", "3", "--json"]
    out = cli(*args, "--trial-timeout", "0.000001", db=db)  # every trial is past it at its second fold
    assert out.returncode == 2 and "trial time cap (1e-06 s)" in out.stderr  # every trial failed: said plainly
    show = json.loads(cli("show", "1", "--json", db=db).stdout.strip().splitlines()[-1])
    assert show["n_trials"] == 3 and show["n_failed"] == 3
    assert all("trial time cap" in (t["error"] or "") for t in show["trials"])
    out = cli(*args, "--trial-timeout", "0", db=db)  # 0: no cap
    assert out.returncode == 0, out.stderr
    show = json.loads(cli("show", "2", "--json", db=db).stdout.strip().splitlines()[-1])
    assert show["n_complete"] == 3
