"""An uploaded Optuna storage is untrusted (issue 16): read-only and bounded reading, checked trials, plain messages.

Hostile files are made from a real Optuna storage with sqlite3: views, triggers, non-finite values and bounds,
malformed distributions, oversized names, files that are not SQLite or not Optuna's, and seeded mutations.
Each import either copies only checked trials or raises a plain DataError/ConfigError; the file itself is
never written to.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from tuning.errors import ConfigError, DataError, StoreError
from tuning.protocol import TrialState

optuna = pytest.importorskip("optuna")

from tuning.export import optuna as ox  # noqa: E402  (after the importorskip)
from tuning.export import optuna_storage as storage  # noqa: E402

N_TRIALS = 8


def _objective(trial):
    booster = trial.suggest_categorical("booster", ["gbtree", "dart"])
    if booster == "dart":
        trial.suggest_float("rate_drop", 0.0, 0.5)
    x = trial.suggest_float("learning_rate", 0.01, 0.3, log=True)
    trial.suggest_int("max_depth", 2, 10)
    for step in range(3):
        trial.report(x + step, step)
    if trial.number == 4:
        raise optuna.TrialPruned()
    if trial.number == 6:
        raise ValueError("a failure in the objective")
    return (x - 0.1) ** 2


@pytest.fixture(scope="module")
def foreign_db(tmp_path_factory) -> bytes:
    """A real Optuna storage: one minimizing study of N_TRIALS trials (complete, one pruned, one failed)."""
    path = tmp_path_factory.mktemp("optuna") / "foreign.db"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s = optuna.create_study(
        storage=f"sqlite:///{path}",
        study_name="foreign",
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(0),
    )
    s.optimize(_objective, n_trials=N_TRIALS, catch=(ValueError,))
    return path.read_bytes()


@pytest.fixture(scope="module")
def ours_db(tmp_path_factory) -> bytes:
    """A workbench study exported to Optuna (its settings and trial attributes ride along)."""
    from tuning.demo import fill_study
    from tuning.store import Store

    folder = tmp_path_factory.mktemp("ours")
    store = Store(folder / "store.db")
    sid = fill_study(store, 12, seed=3, curves=True)
    path = folder / "ours.db"
    ox.export_study(store, sid, f"sqlite:///{path}", study_name="ours")
    return path.read_bytes()


def _file(tmp_path: Path, content: bytes, *sql: str, name: str = "up.db") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    if sql:
        conn = sqlite3.connect(path)
        with conn:
            for stmt in sql:
                conn.execute(stmt)
        conn.close()
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_stored(store, sid: int) -> None:
    """Everything the import stored is finite and of the checked shapes; the settings open as a study's."""
    from tuning.study import open_study

    open_study(store, sid).config  # noqa: B018  (parses: ResolvedConfig.from_stored)
    name_re = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,199}")
    for t in store.get_trials(sid, with_curves=True):
        for v in (t.score, t.train_score, t.model_size, t.duration_s):
            assert v is None or (isinstance(v, float | int) and math.isfinite(v)), t
        for folds in (t.fold_scores, t.fold_train_scores):
            assert all(math.isfinite(x) for xs in folds.values() for x in xs), t
        assert all(math.isfinite(x) for x in (*t.fit_time, *t.score_time))
        for k, v in t.params.items():
            assert name_re.fullmatch(k), k
            for x in v if isinstance(v, list) else [v]:
                assert x is None or isinstance(x, bool | int | str) or math.isfinite(x), (k, v)
        for k, v in (t.curves or {}).items():
            if isinstance(v, list):
                assert all(math.isfinite(x) for x in v), (k, v)
    raw = store._conn().execute("SELECT score, train_score FROM trials WHERE study_id=?", (sid,)).fetchall()
    assert all(v is None or math.isfinite(v) for r in raw for v in r)
    study = store.get_study(sid)
    assert study.test_score is None or math.isfinite(study.test_score)


# -- the file is checked before it is read ------------------------------------------------------------


def test_a_clean_foreign_storage_imports_every_finished_trial(store, foreign_db, tmp_path):
    path = _file(tmp_path, foreign_db)
    result = ox.import_optuna(store, _url(path))
    assert result.imported == N_TRIALS and result.skipped == {}
    trials = store.get_trials(result.study_id, with_curves=True)
    assert [t.number for t in trials] == list(range(N_TRIALS))
    assert trials[4].state is TrialState.PRUNED and trials[6].state is TrialState.FAILED
    assert trials[6].score is None and trials[4].curves["val_mean"] == [
        trials[4].params["learning_rate"] + i for i in range(3)
    ]
    cfg = store.get_study(result.study_id).raw_config
    assert cfg["space"]["learning_rate"] == {"type": "float", "low": 0.01, "high": 0.3, "log": True}
    assert cfg["space"]["booster"] == {"values": ["gbtree", "dart"]}
    assert cfg["extra"]["imported_from"] == {"optuna": "up.db", "study": "foreign", "skipped": {}}
    _check_stored(store, result.study_id)


def test_the_upload_is_left_byte_identical_and_nothing_is_created_beside_it(store, foreign_db, ours_db, tmp_path):
    # without a table the import does not read, Optuna's RDBStorage would create it (a write) on open
    older = _file(tmp_path, foreign_db, "DROP TABLE trial_heartbeats", "DROP TABLE alembic_version").read_bytes()
    for content in (foreign_db, ours_db, older):
        folder = tmp_path / hashlib.sha1(content).hexdigest()[:8]
        folder.mkdir()
        path = _file(folder, content)
        os.chmod(path, 0o400)  # a read-only file opens: nothing needs to write
        before = _digest(path)
        ox.study_names(_url(path))
        ox.import_study(store, _url(path))
        assert _digest(path) == before
        assert sorted(p.name for p in folder.iterdir()) == ["up.db"]  # no -wal, -shm or -journal file


@pytest.mark.parametrize(
    "sql,match",
    [
        ("CREATE VIEW v AS SELECT * FROM trials", r"SQL view \('v'\): views can run arbitrary queries"),
        (
            "CREATE TRIGGER t AFTER INSERT ON trials BEGIN DELETE FROM trials; END",
            r"SQL trigger \('t'\)",
        ),
        ("ALTER TABLE trials ADD COLUMN g INTEGER GENERATED ALWAYS AS (number * 2) VIRTUAL", "generated column"),
        ("CREATE VIRTUAL TABLE vt USING rtree(id, x0, x1)", "virtual table"),
    ],
    ids=["view", "trigger", "generated-column", "virtual-table"],
)
def test_sql_that_runs_on_read_is_refused_before_any_query(store, foreign_db, tmp_path, sql, match):
    path = _file(tmp_path, foreign_db, sql)
    before = _digest(path)
    n = len(store.list_studies())
    for call in (lambda: ox.study_names(_url(path)), lambda: ox.import_study(store, _url(path))):
        with pytest.raises(DataError, match=match) as info:
            call()
        assert "fresh SQLite file" in info.value.fix and str(tmp_path) not in str(info.value)
    assert _digest(path) == before and len(store.list_studies()) == n


def test_a_costly_view_no_longer_costs_anything(store, foreign_db, tmp_path):
    """The view that cost 28 s of CPU per page rerun: refused from sqlite_master, never evaluated."""
    costly = (
        "CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
        "SELECT count(*) FROM c"
    )
    path = _file(tmp_path, foreign_db, costly)
    import time

    t0 = time.process_time()
    with pytest.raises(DataError, match="SQL view"):
        ox.study_names(_url(path))
    assert time.process_time() - t0 < 2.0


@pytest.mark.parametrize(
    "content,match",
    [
        (b"target,x\n1,2\n" * 50, "is not an SQLite file"),
        (b"", "is not an SQLite file"),
        (b"SQLite format 3\x00" + b"\x00" * 10, "is not an SQLite file"),
    ],
    ids=["csv", "empty", "short-header"],
)
def test_files_that_are_not_sqlite_are_refused_by_their_header(store, tmp_path, content, match):
    path = _file(tmp_path, content)
    with pytest.raises(DataError, match=match) as info:
        ox.import_study(store, _url(path))
    assert "up.db" in str(info.value) and str(tmp_path) not in str(info.value)


def test_a_truncated_storage_is_a_plain_error(store, foreign_db, tmp_path):
    for cut in (200, 4096, len(foreign_db) // 2, len(foreign_db) - 1000):
        path = _file(tmp_path, foreign_db[:cut])
        try:
            ox.import_study(store, _url(path))
        except DataError as exc:
            assert "up.db" in str(exc) and str(tmp_path) not in str(exc)
        else:  # SQLite reads what it can of a file cut past the pages the import needs: checked trials only
            _check_stored(store, store.list_studies()[-1].id)


def test_another_programs_sqlite_file_is_not_an_optuna_storage(store, tmp_path):
    from tuning.store import Store

    Store(tmp_path / "workbench.db")  # the workbench's own store: SQLite, but not Optuna's
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    for path in (tmp_path / "workbench.db", other):
        with pytest.raises(DataError, match="not an Optuna storage"):
            ox.study_names(_url(path))
    path = _file(tmp_path, other.read_bytes(), "CREATE TABLE trials(id)")
    with pytest.raises(DataError, match="not an Optuna storage"):
        ox.import_study(store, _url(path))


def test_a_table_missing_a_column_is_refused(store, foreign_db, tmp_path):
    path = _file(tmp_path, foreign_db, "ALTER TABLE trial_params DROP COLUMN distribution_json")
    with pytest.raises(DataError, match="trial_params table without the column 'distribution_json'"):
        ox.import_study(store, _url(path))


def test_a_missing_file_is_still_a_store_error(store, tmp_path):
    with pytest.raises(StoreError, match="There is no SQLite file missing.db"):
        ox.import_study(store, _url(tmp_path / "missing.db"))


# -- bounds ---------------------------------------------------------------------------------------------


def test_every_query_runs_under_a_step_budget(store, foreign_db, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "SQL_MAX_STEPS", 1)
    monkeypatch.setattr(storage, "_SQL_EVERY", 1)
    path = _file(tmp_path, foreign_db)
    with pytest.raises(DataError, match="took too long, so it was stopped"):
        ox.import_study(store, _url(path))


def test_every_query_runs_under_a_time_budget(store, foreign_db, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "SQL_MAX_SECONDS", -1.0)
    monkeypatch.setattr(storage, "_SQL_EVERY", 1)
    path = _file(tmp_path, foreign_db)
    with pytest.raises(DataError, match="took too long"):
        ox.study_names(_url(path))


def test_an_oversized_file_is_refused_before_it_is_opened(store, foreign_db, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "MAX_FILE_BYTES", len(foreign_db) - 1)
    with pytest.raises(DataError, match="the import reads files up to"):
        ox.import_study(store, _url(_file(tmp_path, foreign_db)))


def test_an_oversized_value_stops_the_read(store, foreign_db, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "MAX_VALUE_BYTES", 100_000)
    path = _file(tmp_path, foreign_db, f"UPDATE trial_params SET distribution_json = '{'x' * 200_000}'")
    with pytest.raises(DataError, match="holds a value over"):
        ox.import_study(store, _url(path))


def test_too_many_trials_or_studies_are_refused(store, foreign_db, tmp_path, monkeypatch):
    path = _file(tmp_path, foreign_db)
    monkeypatch.setattr(storage, "MAX_TRIALS", N_TRIALS - 1)
    with pytest.raises(DataError, match=f"has {N_TRIALS:,} trials; the import copies up to"):
        ox.import_study(store, _url(path))
    monkeypatch.setattr(storage, "MAX_STUDIES", 0)
    with pytest.raises(DataError, match="more than 0 studies"):
        ox.study_names(_url(path))


def test_a_study_name_of_10_kb_is_refused(store, foreign_db, tmp_path):
    path = _file(tmp_path, foreign_db, f"UPDATE studies SET study_name = '{'s' * 10_000}'")
    with pytest.raises(DataError, match="whose name is not text of 1 to 200"):
        ox.study_names(_url(path))


# -- trials are checked one by one ----------------------------------------------------------------------

_NUM0 = "(SELECT trial_id FROM trials WHERE number = 0)"
_LR = f"trial_id = {_NUM0} AND param_name = 'learning_rate'"


@pytest.mark.parametrize(
    "sql,reason",
    [
        (f"UPDATE trial_values SET value = NULL, value_type = 'INF_POS' WHERE trial_id = {_NUM0}", "non-finite score"),
        (f"UPDATE trial_values SET value = NULL, value_type = 'NAN' WHERE trial_id = {_NUM0}", "non-finite score"),
        (f"UPDATE trial_values SET value = 9e999 WHERE trial_id = {_NUM0}", "non-finite score"),
        (f"UPDATE trial_values SET value = 'abc' WHERE trial_id = {_NUM0}", "score that is not a number"),
        (
            f"UPDATE trial_intermediate_values SET intermediate_value = 9e999 WHERE trial_id = {_NUM0} AND step = 1",
            "non-finite intermediate value",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "FloatDistribution", "attributes": {"low": -Infinity, "high": 0.3, "log": false, '
            f'"step": null}}}}\' WHERE {_LR}',
            "distribution that is not JSON",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "FloatDistribution", "attributes": {"low": 0.01, "high": NaN, "log": false, '
            f'"step": null}}}}\' WHERE {_LR}',
            "distribution that is not JSON",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "FloatDistribution", "attributes": {"low": 0.01, "high": 1e999, "log": false, '
            f'"step": null}}}}\' WHERE {_LR}',
            "distribution that is not JSON",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "FloatDistribution", "attributes": {"low": 0.5, "high": 0.3, "log": false, '
            f'"step": null}}}}\' WHERE {_LR}',
            "low is above its high",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 0.3, "log": true, '
            f'"step": null}}}}\' WHERE {_LR}',
            "log distribution whose low is not above 0",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            f'\'{{"name": "EvalDistribution", "attributes": {{"code": "rm -rf"}}}}\' WHERE {_LR}',
            "unknown distribution",
        ),
        (f"UPDATE trial_params SET distribution_json = '{{{{{{not json' WHERE {_LR}", "distribution that is not JSON"),
        (f"UPDATE trial_params SET distribution_json = '{'[' * 5000}' WHERE {_LR}", "distribution that is not JSON"),
        (f"UPDATE trial_params SET param_value = 7.5 WHERE {_LR}", "outside its distribution"),
        (f"UPDATE trial_params SET param_value = 9e999 WHERE {_LR}", "with a non-finite parameter value"),
        (f"UPDATE trial_params SET param_name = '{'p' * 10_000}' WHERE {_LR}", "parameter name that is not an"),
        (f"UPDATE trial_params SET param_name = 'a b; drop' WHERE {_LR}", "parameter name that is not an"),
        (
            f"UPDATE trial_params SET param_value = 5 WHERE trial_id = {_NUM0} AND param_name = 'booster'",
            "categorical index outside its choices",
        ),
        (
            "UPDATE trial_params SET distribution_json = "
            '\'{"name": "CategoricalDistribution", "attributes": {"choices": [[1, 2], "x"]}}\' '
            f"WHERE trial_id = {_NUM0} AND param_name = 'booster'",
            "categorical choice that is not a number or short text",
        ),
        ("UPDATE trials SET state = 'EXPLODED' WHERE number = 0", "unknown state"),
        ("UPDATE trials SET state = 'RUNNING' WHERE number = 0", "still running or waiting"),
        ("UPDATE trials SET number = 1 WHERE number = 0", "trial number used twice"),
        ("UPDATE trials SET number = -3 WHERE number = 0", "trial number that is not a whole number"),
    ],
)
def test_a_bad_trial_is_skipped_and_counted(store, foreign_db, tmp_path, sql, reason):
    path = _file(tmp_path, foreign_db, sql)
    result = ox.import_optuna(store, _url(path))
    assert result.imported == N_TRIALS - 1 and result.n_skipped == 1, result.skipped
    (why,) = result.skipped
    assert reason in why, why
    assert reason in result.skipped_text() and result.skipped_text().startswith("1 trial(s) left out")
    assert store.get_study(result.study_id).raw_config["extra"]["imported_from"]["skipped"] == result.skipped
    _check_stored(store, result.study_id)


def test_a_storage_without_one_valid_trial_is_refused(store, foreign_db, tmp_path):
    n = len(store.list_studies())
    path = _file(tmp_path, foreign_db, "UPDATE trial_params SET distribution_json = 'garbage'")
    with pytest.raises(DataError, match=r"has no trial the workbench can import \(8 with a distribution that is not"):
        ox.import_study(store, _url(path))
    empty = _file(tmp_path, foreign_db, "DELETE FROM trial_values", "DELETE FROM trial_params",
                  "DELETE FROM trial_intermediate_values", "DELETE FROM trial_system_attributes",
                  "DELETE FROM trials", name="empty.db")  # fmt: skip
    with pytest.raises(DataError, match="it holds no trial"):
        ox.import_study(store, _url(empty))
    assert len(store.list_studies()) == n  # nothing was written


def test_two_objectives_and_an_unknown_direction(store, foreign_db, tmp_path):
    two = _file(
        tmp_path, foreign_db, "INSERT INTO study_directions(direction, study_id, objective) VALUES ('MAXIMIZE', 1, 1)"
    )
    with pytest.raises(ConfigError, match="2 objectives"):
        ox.import_study(store, _url(two))
    odd = _file(tmp_path, foreign_db, "UPDATE study_directions SET direction = 'SIDEWAYS'", name="odd.db")
    with pytest.raises(DataError, match="unknown direction"):
        ox.import_study(store, _url(odd))


def test_the_metric_name_is_checked(store, foreign_db, tmp_path):
    attr = "INSERT INTO study_system_attributes(study_id, key, value_json) VALUES (1, 'study:metric_names', '{}')"
    path = _file(tmp_path, foreign_db, attr.format(json.dumps(["x" * 5000])))
    cfg = store.get_study(ox.import_study(store, _url(path))).raw_config
    assert cfg["metric"] == "neg_objective"
    path = _file(tmp_path, foreign_db, attr.format(json.dumps(["rmse"])), name="named.db")
    assert store.get_study(ox.import_study(store, _url(path))).raw_config["metric"] == "neg_rmse"


# -- a workbench study's own attributes and settings ------------------------------------------------------


def _trial_attr(key: str, value: str, number: int = 0) -> str:
    tid = f"(SELECT trial_id FROM trials WHERE number = {number})"
    return f"UPDATE trial_user_attributes SET value_json = '{value}' WHERE trial_id = {tid} AND key = '{key}'"


def _study_attr(ours_db: bytes, tmp_path: Path, change) -> Path:
    """ours_db with its STUDY_ATTR changed by ``change(attr)``."""
    path = _file(tmp_path, ours_db)
    conn = sqlite3.connect(path)
    (text,) = conn.execute("SELECT value_json FROM study_user_attributes WHERE key = ?", (ox.STUDY_ATTR,)).fetchone()
    attr = json.loads(text)
    change(attr)
    conn.execute("UPDATE study_user_attributes SET value_json = ? WHERE key = ?", (json.dumps(attr), ox.STUDY_ATTR))
    conn.commit()
    conn.close()
    return path


def test_our_own_export_imports_whole(store, ours_db, tmp_path):
    result = ox.import_optuna(store, _url(_file(tmp_path, ours_db)))
    assert result.imported == 12 and result.skipped == {}
    _check_stored(store, result.study_id)


@pytest.mark.parametrize(
    "key,value",
    [
        ("score", "Infinity"),
        ("fold_scores", '{"roc_auc": [0.5, NaN]}'),
        ("fold_scores", '{"roc_auc": [0.5, 1e999]}'),
        ("fold_scores", '{"roc_auc": "many"}'),
        ("params", '{"max_depth": {"__class__": "os.system"}}'),
        ("params", json.dumps({"p" * 300: 1})),
        ("fit_time", "[-1.0]"),
        ("rungs", "[[1, 2]]"),
        ("curves", '{"val_mean": [0.1, Infinity]}'),
        ("number", '"seven"'),
        ("model_size", '"big"'),
    ],
)
def test_malformed_workbench_attributes_skip_the_trial(store, ours_db, tmp_path, key, value):
    path = _file(tmp_path, ours_db)
    conn = sqlite3.connect(path)
    (present,) = conn.execute(
        "SELECT COUNT(*) FROM trial_user_attributes WHERE key = ? AND trial_id = (SELECT trial_id FROM trials WHERE number=0)",
        (key,),
    ).fetchone()
    if not present:
        tid = conn.execute("SELECT trial_id FROM trials WHERE number = 0").fetchone()[0]
        conn.execute("INSERT INTO trial_user_attributes(trial_id, key, value_json) VALUES (?, ?, ?)", (tid, key, value))
    else:
        conn.execute(_trial_attr(key, value.replace("'", "''")))
    conn.commit()
    conn.close()
    result = ox.import_optuna(store, _url(path))
    assert result.imported == 11 and result.skipped == {f"with a malformed workbench attribute ({key})": 1}
    _check_stored(store, result.study_id)


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda a: a["config"].update(model="rm -rf /"), "Unknown model"),
        (lambda a: a["config"].update(cv=1), "at least 2 folds"),
        (lambda a: a["config"].update(n_trials=0), "at least 1"),
        (lambda a: a["config"].update(strategy="exec"), "Unknown strategy"),
        (lambda a: a["config"].update(metric="no_such_scorer"), "Unknown metric"),
        (lambda a: a["config"].update(space={"n_jobs": {"value": 64}}), "n_jobs"),
        (lambda a: a["config"].update(space={"max_depth": {"type": "int", "low": 9, "high": 2}}), "greater than"),
        (lambda a: a["config"].update(space=[1, 2]), "search space must be a JSON object"),
        (lambda a: a["config"].update(grid_points=[1]), "malformed"),
        (lambda a: a["config"].update(task="poetry"), "malformed"),
        (lambda a: a.update(config="not a dict"), "are malformed"),
    ],
)
def test_workbench_settings_go_through_a_new_studys_checks(store, ours_db, tmp_path, change, match):
    n = len(store.list_studies())
    path = _study_attr(ours_db, tmp_path, change)
    with pytest.raises(ConfigError, match=match):
        ox.import_study(store, _url(path))
    assert len(store.list_studies()) == n


def test_non_finite_study_values_are_refused_or_dropped(store, ours_db, tmp_path):
    path = _file(tmp_path, ours_db)
    conn = sqlite3.connect(path)
    (text,) = conn.execute("SELECT value_json FROM study_user_attributes WHERE key = ?", (ox.STUDY_ATTR,)).fetchone()
    conn.execute(
        "UPDATE study_user_attributes SET value_json = ? WHERE key = ?",
        (text.replace('"test_score": null', '"test_score": Infinity'), ox.STUDY_ATTR),
    )
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError, match="settings kept in the Optuna study 'ours' .up.db. are malformed"):
        ox.import_study(store, _url(path))  # Infinity is not JSON: the whole attribute is refused
    odd = _study_attr(ours_db, tmp_path, lambda a: a.update(test_score="high", elapsed_s=-5, name=["x"]))
    study = store.get_study(ox.import_study(store, _url(odd)))
    assert (study.test_score, study.elapsed_s, study.name) == (None, 0.0, "ours (from Optuna)")
    bad = _study_attr(ours_db, tmp_path, lambda a: a["config"].update(target_score=1e308 * 10))
    with pytest.raises(ConfigError, match="malformed"):
        ox.import_study(store, _url(bad))


def test_where_the_foreign_study_ran_is_still_dropped(store, ours_db, tmp_path):
    path = _study_attr(
        ours_db,
        tmp_path,
        lambda a: a["config"].update(executor="dask", scheduler="tcp://203.0.113.9:8786", workers=64, device="cuda"),
    )
    cfg = store.get_study(ox.import_study(store, _url(path))).config
    assert (cfg.executor.value, cfg.scheduler, cfg.workers, cfg.device.value) == ("threads", None, 1, "cpu")


# -- seeded fuzz -----------------------------------------------------------------------------------------

_HOSTILE = [None, 0, -1, 2**62, 1e308, 9e999, -9e999, "", "x" * 5000, "NaN", "Infinity", "{", "[]", "{}",
            '{"name": "FloatDistribution", "attributes": {"low": 1, "high": 0}}', b"\x00\xff", 3.5, "COMPLETE",
            '{"name": "CategoricalDistribution", "attributes": {"choices": []}}', "1e999", '"\\ud800"']  # fmt: skip


def _mutate(content: bytes, rng: random.Random, tmp_path: Path, i: int) -> Path:
    path = tmp_path / f"fuzz_{i}.db"
    if rng.random() < 0.4:  # bytes: flip a few anywhere past the header
        data = bytearray(content)
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(100, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        return path
    path.write_bytes(content)
    conn = sqlite3.connect(path)
    tables = list(storage._OPTUNA_COLUMNS)
    for _ in range(rng.randint(1, 4)):
        table = rng.choice(tables)
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        rows = [r[0] for r in conn.execute(f"SELECT rowid FROM {table}")]
        if not rows:
            continue
        col = rng.choice(cols)
        value = rng.choice(_HOSTILE)
        try:
            conn.execute(f'UPDATE {table} SET "{col}" = ? WHERE rowid = ?', (value, rng.choice(rows)))
        except sqlite3.Error:
            pass  # a constraint said no: another mutation
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("base", ["foreign_db", "ours_db"])
def test_seeded_mutations_import_checked_trials_or_give_a_plain_error(store, tmp_path, request, base):
    content = request.getfixturevalue(base)
    outcomes = {"imported": 0, "refused": 0}
    for seed in range(60):
        rng = random.Random(seed)
        path = _mutate(content, rng, tmp_path, seed)
        before = _digest(path)
        try:
            result = ox.import_optuna(store, _url(path))
        except (DataError, ConfigError) as exc:
            assert str(tmp_path) not in str(exc), (seed, exc)
            outcomes["refused"] += 1
        except Exception as exc:  # pragma: no cover - the failure this test exists to catch
            raise AssertionError(f"seed {seed}: {type(exc).__name__}: {exc}") from exc
        else:
            assert result.imported >= 1, seed
            _check_stored(store, result.study_id)
            outcomes["imported"] += 1
        assert _digest(path) == before, seed
        path.unlink()
    assert outcomes["imported"] and outcomes["refused"], outcomes


# -- the Results page's upload ---------------------------------------------------------------------------


def test_the_upload_lives_in_a_private_file_removed_after_use(store, foreign_db, tmp_path, monkeypatch):
    import tempfile

    import ui.interop_view as iv

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = {}
    real = ox.import_optuna

    def spy(store, url, **kw):
        path = Path(url[len("sqlite:///") :])
        seen["file"] = stat.S_IMODE(path.stat().st_mode)
        seen["dir"] = stat.S_IMODE(path.parent.stat().st_mode)
        seen["label"] = kw["label"]
        return real(store, url, **kw)

    monkeypatch.setattr(ox, "import_optuna", spy)
    result = iv.import_upload(store, "my study.db", foreign_db, "foreign")
    assert result.imported == N_TRIALS
    assert seen == {"file": 0o600, "dir": 0o700, "label": "my study.db"}
    assert list(scratch.iterdir()) == []  # removed
    with pytest.raises(DataError, match="SQL view") as info:
        iv.upload_study_names("hostile.db", _file(tmp_path, foreign_db, "CREATE VIEW v AS SELECT 1").read_bytes())
    assert "hostile.db" in str(info.value) and str(scratch) not in str(info.value)
    assert list(scratch.iterdir()) == []  # removed after a failure too


def test_an_unexpected_error_becomes_a_short_message_without_a_path(store):
    import ui.interop_view as iv

    msg = iv.import_message(RuntimeError("/srv/secret/tmp/workbench_optuna_x/upload.db: boom"), "../../etc/up.db")
    assert "RuntimeError" in msg and "/srv" not in msg and "boom" not in msg and "Traceback" not in msg
    assert "up.db" in msg and "etc" not in msg
    plain = iv.import_message(DataError("The Optuna file x.db has a SQL view.", fix="Export it again."), "x.db")
    assert plain == "The Optuna file x.db has a SQL view. Export it again."


@pytest.fixture
def results_app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tuning.demo import fill_study
    from tuning.store import Store

    from .conftest import ROOT

    db = tmp_path / "app.db"
    monkeypatch.setenv("TUNING_DB", str(db))
    import ui.state

    ui.state._store.clear()
    sid = fill_study(Store(db), 10, seed=1)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/results.py").run()
    assert not at.exception and not at.error
    return at, sid


def _upload(at, name: str, content: bytes):
    at.file_uploader(key="imp_optuna_file").set_value((name, content, "application/x-sqlite3")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_hostile_upload_shows_a_plain_error_and_the_page_still_renders(results_app, foreign_db, tmp_path):
    at, sid = results_app
    hostile = _file(tmp_path, foreign_db, "CREATE VIEW v AS SELECT * FROM trials").read_bytes()
    _upload(at, "hostile.db", hostile)
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any("hostile.db has a SQL view ('v')" in e and "fresh SQLite file" in e for e in errors), errors
    assert not any(str(tmp_path) in e or "/tmp" in e for e in errors)
    assert at.checkbox(key=f"del_study_sure_{sid}")  # the delete box is still there
    assert any(s.value.startswith(f"Study {sid}") for s in at.subheader)
    at.run()  # a rerun shows the same message
    assert not at.exception and any("SQL view" in e.value for e in at.error)


def test_an_internal_error_in_the_import_is_a_short_message(results_app, foreign_db, monkeypatch):
    at, sid = results_app

    def boom(url, **kw):
        raise RuntimeError(f"exploded at {url}")

    monkeypatch.setattr(ox, "study_names", boom)
    _upload(at, "weird.db", foreign_db)
    (err,) = [e.value.replace("\\", "") for e in at.error]
    assert "weird.db could not be imported" in err and "RuntimeError" in err and "sqlite:" not in err
    assert at.checkbox(key=f"del_study_sure_{sid}")


def test_an_upload_with_bad_trials_imports_the_rest_and_says_so(results_app, foreign_db, tmp_path):
    at, _ = results_app
    bad = _file(tmp_path, foreign_db, f"UPDATE trial_values SET value = 9e999 WHERE trial_id = {_NUM0}").read_bytes()
    _upload(at, "some bad.db", bad)
    assert not at.error
    at.button(key="imp_optuna_go").click().run()
    assert not at.exception and not at.error
    assert any(f"({N_TRIALS - 1} trial(s))" in s.value for s in at.success)
    assert any("1 trial(s) left out: 1 with a non-finite score" in w.value.replace("\\", "") for w in at.warning)


def test_nothing_is_left_in_the_temp_folder_by_the_page(results_app, foreign_db, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    at, _ = results_app
    _upload(at, "ok.db", foreign_db)
    at.button(key="imp_optuna_go").click().run()
    assert not at.exception and not at.error
    assert list(scratch.iterdir()) == []
    shutil.rmtree(scratch)


def test_the_cli_says_which_trials_it_left_out(store, foreign_db, tmp_path, capsys):
    from tuning.cli import main

    path = _file(tmp_path, foreign_db, "UPDATE trials SET state = 'EXPLODED' WHERE number = 0")
    assert main(["import-optuna", str(path), "--db", store.path, "--json"]) == 0
    captured = capsys.readouterr()
    assert "1 trial(s) left out" in captured.err and "unknown state" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["n_trials"] == N_TRIALS - 1
