"""CLI: export script/model, delete commands, argument limits, ~ in paths, no terminal escapes from data."""

from __future__ import annotations

import ast
import io
import os
import tomllib

import pytest

from tuning.cli import main, max_workers, safe_text
from tuning.config import StudyConfig
from tuning.runner import run
from tuning.store import Store

from .conftest import ROOT, SAMPLES

ESC_NAME = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eeman"


@pytest.fixture
def study_db(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    ds = store.add_dataset("moons.csv", (SAMPLES / "moons.csv").read_bytes())
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="logistic_regression",
            strategy="grid",
            n_trials=None,
            cv=3,
            space={"C": {"values": [0.1, 1.0]}},
            name=ESC_NAME,
        ),
    )
    return path, s["study_id"], ds


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_export_script_and_model_from_the_cli(study_db, tmp_path, capsys):
    db, sid, _ = study_db
    assert main(["export", str(sid), "--format", "script", "-o", str(tmp_path / "refit.py"), "--db", str(db)]) == 0
    ast.parse((tmp_path / "refit.py").read_text())
    assert main(["export", str(sid), "--format", "script", "--db", str(db)]) == 0
    ast.parse(capsys.readouterr().out)
    (tmp_path / "models").mkdir()
    assert main(["export", str(sid), "--format", "model", "-o", str(tmp_path / "models"), "--db", str(db)]) == 0
    assert (tmp_path / "models" / f"study_{sid}_pipeline.joblib").stat().st_size > 0


@pytest.mark.parametrize("fmt", ["csv", "script", "model", "wandb"])
def test_export_into_a_missing_folder_exits_2_with_one_line(study_db, tmp_path, capsys, fmt):
    db, sid, _ = study_db
    target = tmp_path / "nope" / ("x" if fmt == "model" else "x.out")
    assert main(["export", str(sid), "--format", fmt, "-o", str(target), "--db", str(db)]) == 2
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and err[0].startswith("error: The folder") and "Traceback" not in err[0]


def test_delete_needs_yes_without_a_terminal(study_db, capsys, monkeypatch):
    db, sid, ds = study_db
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["delete", str(sid), "--db", str(db)]) == 2
    assert "--yes" in capsys.readouterr().err
    assert Store(db).get_study(sid)
    assert main(["delete", str(sid), "--yes", "--db", str(db)]) == 0
    assert Store(db).list_studies() == [] and Store(db).get_trials(sid) == []
    assert main(["delete", str(sid), "--yes", "--db", str(db)]) == 2  # gone: a plain error


def test_delete_asks_on_a_terminal(study_db, monkeypatch):
    db, sid, _ = study_db

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    assert main(["delete", str(sid), "--db", str(db)]) == 2
    assert len(Store(db).list_studies()) == 1
    monkeypatch.setattr("sys.stdin", Tty("y\n"))
    assert main(["delete", str(sid), "--db", str(db)]) == 0
    assert Store(db).list_studies() == []


def test_delete_dataset_removes_its_studies(study_db, capsys):
    db, sid, ds = study_db
    assert main(["delete-dataset", ds, "--yes", "--db", str(db)]) == 0
    store = Store(db)
    assert store.list_datasets() == [] and store.list_studies() == []
    assert main(["delete-dataset", ds, "--yes", "--db", str(db)]) == 2


RUN = ["run", "--data", str(SAMPLES / "moons.csv"), "--target", "label", "--model", "knn", "--trials", "1"]


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--workers", str(max_workers() + 1)], "--workers must be from 1 to"),
        (["--workers", "0"], "--workers must be from 1 to"),
        (["--seed", "-1"], "--seed must be from 0 to 2**32-1"),
        (["--seed", str(2**32)], "--seed must be from 0 to 2**32-1"),
        (["--grid-points", "0"], "from 2 to 50"),
        (["--grid-points", "51"], "from 2 to 50"),
    ],
)
def test_run_arguments_out_of_range_exit_2_with_one_line(tmp_path, capsys, extra, words):
    assert main([*RUN, *extra, "--db", str(tmp_path / "x.db")]) == 2
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and words in err[0]
    assert not (tmp_path / "x.db").exists()


def test_tilde_in_db_is_expanded(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["list", "--db", "~/home.db"]) == 0
    assert (tmp_path / "home.db").exists()


def test_no_terminal_escape_from_data_reaches_the_output(study_db, capsys):
    db, sid, _ = study_db
    assert main(["list", "--db", str(db)]) == 0
    assert main(["show", str(sid), "--db", str(db)]) == 0
    # an error message that quotes a column name from the user
    assert main([*RUN[:4], "\x1b[31mred\x1b[0m", *RUN[5:], "--db", str(db)]) == 2
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), repr(text)
    assert "evil\\x1b]0;pwned\\x07" in out.out


def test_safe_text_escapes_controls_only():
    assert safe_text("a\x1b[2Jb\u202ec ü") == "a\\x1b[2Jb\\u202ec ü"


def test_streamlit_config_is_local_only():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "localhost"
    assert 1 <= cfg["server"]["maxUploadSize"] <= 200
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["browser"]["gatherUsageStats"] is False


def test_no_absolute_path_in_a_missing_file_message(tmp_path, capsys):
    missing = tmp_path / "deep" / "secret" / "data.csv"
    assert main(["run", "--data", str(missing), "--target", "y", "--model", "knn", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "data.csv" in err and str(tmp_path) not in err and os.sep + "deep" not in err


def test_a_huge_grid_is_refused_before_anything_runs(tmp_path, capsys):
    argv = [*RUN[:6], "xgboost", "--strategy", "grid", "--grid-points", "12", "--db", str(tmp_path / "g.db")]
    assert main(argv) == 2
    err = _lines(capsys.readouterr().err)
    assert len(err) == 1 and "26,873,856 combinations" in err[0] and "random search or TPE" in err[0]
    assert not (tmp_path / "g.db").exists()


def test_a_running_study_is_not_deleted(study_db, capsys):
    db, sid, ds = study_db
    Store(db).claim_study(sid, "a-live-runner")  # as a live runner in this process would
    assert main(["delete", str(sid), "--yes", "--db", str(db)]) == 2
    assert main(["delete-dataset", ds, "--yes", "--db", str(db)]) == 2
    assert "running" in capsys.readouterr().err
    assert len(Store(db).list_studies()) == 1
