"""Fine-tuning: the concepts hold on the seeded drift pair; bad inputs are plain errors; the CLI end to end."""

from __future__ import annotations

import json
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from tuning.charts.finetune import _get_adaptation_curves_info, _get_arms_info, plot_adaptation_curves, plot_arms
from tuning.charts.learn_finetune import _get_tradeoff_info, plot_tradeoff
from tuning.cli import main
from tuning.config import StudyConfig
from tuning.errors import ConfigError, DataError
from tuning.evaluate import holdout_split
from tuning.finetune import (
    ArmKind,
    FinetuneSettings,
    adaptation_script,
    check_table,
    finetune,
    load_base_file,
    load_base_study,
    ratios_to_retrain,
    save_adapted,
)
from tuning.lessons.finetune import drift_base, drift_data, fine_tuning_lesson, forgetting
from tuning.runner import run

from .conftest import SAMPLES

RATES = (0.01, 0.1, 0.3)


@pytest.fixture(scope="module")
def drift():
    return drift_data()


@pytest.fixture(scope="module")
def base(drift):
    return drift_base(drift[0], learning_rate=0.1, rounds=150, max_depth=4)


@pytest.fixture(scope="module")
def result(base, drift):
    before, after = drift
    return finetune(base, after, target="label", old=before, settings=FinetuneSettings(learning_rates=RATES))


def _arm(result, label):
    return next(a for a in result.arms if a.label == label)


def _model(raw: bytes) -> xgb.Booster:
    b = xgb.Booster()
    b.load_model(bytearray(raw))
    return b


# -- the concepts ------------------------------------------------------------------------------------


def test_base_scores_worse_on_the_new_data_than_on_the_old(result):
    base = result.arm(ArmKind.BASE)
    assert base.new_score < base.old_score - 0.1


def test_continue_and_refresh_improve_the_new_score_over_the_base(result):
    base = result.arm(ArmKind.BASE).new_score
    for lr in RATES:
        assert _arm(result, f"continue (lr {lr:g})").new_score > base + 0.1
    assert result.arm(ArmKind.REFRESH).new_score > base + 0.1
    assert result.arm(ArmKind.STACK).new_score > base + 0.1


def test_retraining_on_the_new_rows_forgets_more_than_continue_at_a_low_learning_rate(result):
    low = _arm(result, "continue (lr 0.01)")
    assert result.arm(ArmKind.RETRAIN_NEW).old_score < low.old_score - 0.05
    # and old + new data keeps the old score best of the retrains
    assert result.arm(ArmKind.RETRAIN_ALL).old_score > result.arm(ArmKind.RETRAIN_NEW).old_score


def _structure(dump: list[str]) -> list[str]:
    return [re.sub(r"leaf=[-+0-9.eE]+", "leaf=", t) for t in dump]


def _leaves(dump: list[str]) -> list[float]:
    return [float(v) for t in dump for v in re.findall(r"leaf=([-+0-9.eE]+)", t)]


def test_refresh_keeps_the_splits_and_changes_the_leaf_values(base, result):
    before, after = base.booster().get_dump(), _model(result.models["refresh"]).get_dump()
    assert len(before) == len(after) == result.arm(ArmKind.REFRESH).trees
    assert _structure(before) == _structure(after)
    assert not np.allclose(_leaves(before), _leaves(after))
    assert result.arm(ArmKind.REFRESH).rounds_added == 0


def test_stack_is_the_base_margin_plus_the_new_trees_margin(base, result, drift):
    X = drift[1].drop(columns="label")
    booster, stack = base.booster(), _model(result.models["stack"])
    base_margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    stacked = xgb.DMatrix(X)
    stacked.set_base_margin(base_margin)
    alone = xgb.DMatrix(X)
    alone.set_base_margin(np.zeros(len(X)))
    together = stack.predict(stacked, output_margin=True)
    assert np.allclose(together, base_margin + stack.predict(alone, output_margin=True), atol=1e-5)
    assert result.base_margin_label == "stack"


def test_continue_keeps_the_early_stopping_point_and_its_curve_marks_it(base, result):
    for lr in RATES:
        arm = _arm(result, f"continue (lr {lr:g})")
        model = _model(result.models[arm.label])
        assert model.num_boosted_rounds() == base.rounds + arm.rounds_added
        assert arm.curve.best_round == arm.rounds_added and arm.curve.best_round in arm.curve.rounds
        assert arm.curve.rounds[0] == 0 and arm.curve.new[0] == pytest.approx(result.arm(ArmKind.BASE).new_score)
        assert len(arm.curve.old) == len(arm.curve.new)
        assert arm.curve.new[arm.curve.rounds.index(arm.curve.best_round)] == pytest.approx(arm.new_score)
    assert result.arm(ArmKind.STACK).curve.rounds[0] == 0  # stacking starts from the base model
    assert result.arm(ArmKind.RETRAIN_NEW).curve.rounds[0] > 0  # a retrain starts from nothing


def test_split_is_stratified_and_shown(result, drift):
    s = result.split
    assert s.stratified and s.seed == 0 and s.holdout == 0.3
    assert s.n_adapt + s.n_early_stop + s.n_new_holdout == len(drift[1])
    assert s.n_old_train + s.n_old_holdout == len(drift[0])


def test_verdict_and_ratios(result):
    assert "of the gap to retraining" in result.verdict and "refresh" in result.verdict
    base, retrain = result.arm(ArmKind.BASE), result.arm(ArmKind.RETRAIN_NEW)
    assert f"takes the old-data ROC AUC {base.old_score:.4g} to {retrain.old_score:.4g}." in result.verdict
    ratios = ratios_to_retrain(result)
    assert ratios["retrain (new)"] == {"new_score": 1.0, "old_score": 1.0, "fit_time": 1.0}
    assert set(ratios) == {a.label for a in result.arms}
    summary = json.loads(json.dumps(result.to_summary()))
    assert result.time_kind == summary["time_kind"] == "cpu"  # one XGBoost thread: its CPU seconds
    assert [a["arm"] for a in summary["arms"]].count("continue") == len(RATES)


def test_short_tpe_search_over_continue(base, drift):
    r = finetune(
        base,
        drift[1],
        target="label",
        settings=FinetuneSettings(arms=(ArmKind.BASE, ArmKind.TUNED), tpe_trials=4, max_rounds=40),
    )
    tuned = r.arm(ArmKind.TUNED)
    assert tuned is not None and tuned.new_score > r.arm(ArmKind.BASE).new_score
    assert 0 < tuned.params["eta"] <= 0.2 and 1 <= tuned.params["rounds"] <= 40
    assert _model(r.models["continue (TPE)"]).num_boosted_rounds() == base.rounds + tuned.params["rounds"]


def test_adaptation_script_runs_the_same_kind_of_adaptation(base, result, tmp_path, drift, monkeypatch):
    import runpy

    (tmp_path / "base_model.json").write_bytes(base.booster_json)
    drift[1].to_csv(tmp_path / "after.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["adapt.py", "after.csv", "label"])
    for label in ("continue (lr 0.1)", "refresh", "stack"):
        (tmp_path / "adapt.py").write_text(adaptation_script(result, label))
        runpy.run_path(str(tmp_path / "adapt.py"), run_name="__main__")
        kind = _arm(result, label).kind.value
        rounds = _model((tmp_path / f"adapted_{kind}.json").read_bytes()).num_boosted_rounds()
        assert rounds == (base.rounds if kind == "refresh" else rounds) and rounds > 0
    assert "import tuning" not in adaptation_script(result, "stack")


# -- the lesson and the charts ------------------------------------------------------------------------


def test_lesson_a_smaller_learning_rate_forgets_less():
    lesson = fine_tuning_lesson(learning_rates=(0.01, 0.3), max_rounds=120)
    r = lesson.result
    lost = forgetting(r)
    assert lost["continue (lr 0.01)"] < lost["continue (lr 0.3)"]
    assert lost["retrain (new)"] > lost["continue (lr 0.01)"]
    assert lost["base"] == 0


def test_chart_infos(result):
    curves = _get_adaptation_curves_info(result)
    assert [line.label for line in curves.lines] == [f"continue (lr {lr:g})" for lr in RATES]
    assert all(line.old is not None and line.best_new is not None for line in curves.lines)
    assert curves.base_new == pytest.approx(result.arm(ArmKind.BASE).new_score)
    arms = _get_arms_info(result)
    assert arms.labels == tuple(a.label for a in result.arms) and len(arms.leaves) == len(arms.labels)
    assert _get_tradeoff_info(result).labels == arms.labels
    path = plot_tradeoff(result).data[0]
    assert path.mode == "lines" and len(path.x) == len(RATES)  # the continue arms joined in learning-rate order
    fig = plot_adaptation_curves(result)
    assert any(getattr(t.marker, "symbol", None) == "star" for t in fig.data)
    assert len(plot_arms(result).data) == 4  # new, old, time, size


def test_chart_without_continue_is_an_empty_figure(base, drift):
    r = finetune(base, drift[1], target="label", settings=FinetuneSettings(arms=(ArmKind.BASE, ArmKind.REFRESH)))
    assert not _get_adaptation_curves_info(r).lines
    fig = plot_adaptation_curves(r)
    assert not fig.data and "No per-tree curve" in fig.layout.annotations[0].text


# -- bad inputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("model.pkl", pickle.dumps({"a": 1}), "only .json and .ubj"),
        ("model.json", pickle.dumps({"a": 1}), "not a model XGBoost can read: it looks like a pickle"),
        ("model.json", b"hello, this is text", "not a model XGBoost can read: it is not JSON"),
        ("model.ubj", b"hello", "not a model XGBoost can read"),
        ("model.json", b"", "empty"),
    ],
)
def test_a_file_that_is_not_an_xgboost_model_is_a_plain_error(name, content, words):
    with pytest.raises(DataError, match=words):
        load_base_file(content, name)


def test_a_truncated_json_model_is_a_plain_error(base):
    with pytest.raises(DataError, match="truncated"):
        load_base_file(base.booster_json[: len(base.booster_json) // 2], "model.json")


def test_a_model_without_feature_names_is_a_plain_error():
    b = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(np.eye(4), label=[0, 1, 0, 1]), 2)
    with pytest.raises(DataError, match="does not record its feature names"):
        load_base_file(bytes(b.save_raw(raw_format="json")), "m.json")


def test_missing_and_extra_columns_are_named(base, drift):
    after = drift[1]
    with pytest.raises(DataError, match="missing 'f3'"):
        finetune(base, after.drop(columns="f3"), target="label")
    with pytest.raises(DataError, match="not known to the model 'zz'"):
        finetune(base, after.assign(zz=1.0), target="label")
    with pytest.raises(DataError, match="no column 'nope'"):
        finetune(base, after, target="nope")
    with pytest.raises(DataError, match="numeric for the base model"):
        check_table(base, after.assign(f2="abc"), "label")


def test_a_model_for_another_task_is_a_plain_error(drift):
    after = drift[1]
    X = after.drop(columns="label")
    reg = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(X, label=after["f6"]), 5)
    regressor = load_base_file(bytes(reg.save_raw(raw_format="json")), "reg.json")
    with pytest.raises(DataError, match="regressor"):
        finetune(regressor, after.assign(label=np.where(after["label"] == 1, "yes", "no")), target="label")
    clf = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(after.drop(columns="f6"), label=after["label"]), 5)
    classifier = load_base_file(bytes(clf.save_raw(raw_format="json")), "clf.json")
    with pytest.raises(DataError, match="looks like a regression target"):
        finetune(classifier, after, target="f6")


def test_new_classes_are_a_plain_error(base, drift):
    after = drift[1].copy()
    after.loc[:50, "label"] = 2
    with pytest.raises(DataError, match="classes but the base model was trained for 2"):
        finetune(base, after, target="label")


def test_bad_settings_are_plain_errors(base, drift):
    for settings in (
        FinetuneSettings(holdout=0.95),
        FinetuneSettings(learning_rates=(0.0,)),
        FinetuneSettings(max_rounds=0),
        FinetuneSettings(metric="r2"),
        FinetuneSettings(base_learning_rate=3.0),
    ):
        with pytest.raises(ConfigError):
            finetune(base, drift[1], target="label", settings=settings)


# -- a study's model -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study_db(tmp_path_factory):
    from tuning.store import Store

    path = tmp_path_factory.mktemp("ft") / "ft.db"
    store = Store(path)
    ds = store.add_dataset("drift_before.csv", (SAMPLES / "drift_before.csv").read_bytes())
    space = {"n_estimators": {"value": 60}, "max_depth": {"values": [3, 4]}, "learning_rate": {"value": 0.1}}
    s = run(
        store,
        StudyConfig(dataset_id=ds, target="label", model="xgboost", strategy="grid", n_trials=None, cv=3, space=space),
    )
    rf = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="random_forest",
            strategy="random",
            n_trials=1,
            cv=3,
            space={"n_estimators": {"value": 30}, "max_depth": {"value": 6}},
        ),
    )
    return path, s["study_id"], rf["study_id"]


def test_a_studys_model_is_kept_as_an_artifact_with_its_preprocessing(study_db, drift):
    from tuning.store import Store
    from tuning.study import open_study

    path, sid, _ = study_db
    store = Store(path)
    base = load_base_study(store, sid)
    again = load_base_study(store, sid)
    arts = store.list_artifacts(study_id=sid, kind="model")
    assert len(arts) == 1 and again.artifact_id == base.artifact_id == arts[0]["id"]
    meta = arts[0]["meta"]
    assert meta["features"] == ["f1", "f2", "f3", "f4", "f5", "f6"] and meta["classes"] == ["0", "1"]
    assert meta["params"]["eta"] == pytest.approx(0.1) and base.learning_rate == pytest.approx(0.1)
    assert base.target == "label" and base.rounds == 60 and meta["trial"] == store.best_trial(sid).number
    # the stored booster behind the rebuilt preprocessing predicts what the refit pipeline predicts
    pipe = open_study(store, sid).refit_best()
    X = drift[1].drop(columns="label")
    t = check_table(base, drift[1], "label")
    stored = base.booster().predict(xgb.DMatrix(base.preprocessor.transform(t.X)))
    assert np.allclose(stored, pipe.predict_proba(X)[:, 1], atol=1e-6)


def test_a_scikit_learn_forest_continues_with_warm_start(study_db, drift):
    from tuning.store import Store

    path, _, rf = study_db
    base = load_base_study(Store(path), rf)
    assert ArmKind.CONTINUE in base.arms() and ArmKind.REFRESH not in base.arms()
    heard: list[str] = []
    r = finetune(base, drift[1], target="label", old=drift[0], progress=heard.append)
    from tuning.finetune import planned_steps

    assert len(heard) == planned_steps(base, FinetuneSettings(), has_old=True) == 3  # continue, retrain x2
    assert r.time_kind == "wall" and not r.notes[:-1]
    cont = r.arm(ArmKind.CONTINUE)
    assert cont.trees == 30 + cont.rounds_added and "same data, more capacity" in cont.note
    assert cont.new_score > r.arm(ArmKind.BASE).new_score
    assert not r.models  # no XGBoost JSON to save for a forest


def test_an_mlp_continues_with_partial_fit(store, add_sample, drift):
    ds = add_sample("drift_before.csv")
    space = {"hidden_layer_sizes": {"value": [16]}, "max_iter": {"value": 200}}
    s = run(
        store, StudyConfig(dataset_id=ds, target="label", model="mlp", strategy="random", n_trials=1, cv=2, space=space)
    )
    base = load_base_study(store, s["study_id"])
    weights = base.estimator.named_steps["model"].coefs_[0].copy()
    r = finetune(
        base, drift[1], target="label", old=drift[0], settings=FinetuneSettings(arms=(ArmKind.BASE, ArmKind.CONTINUE))
    )
    cont = r.arm(ArmKind.CONTINUE)
    assert cont.params == {"epochs": 20} and "partial_fit" in cont.note
    assert cont.new_score > r.arm(ArmKind.BASE).new_score and cont.old_score < r.arm(ArmKind.BASE).old_score
    assert np.array_equal(base.estimator.named_steps["model"].coefs_[0], weights)  # continue works on a copy


def test_families_without_warm_start_retrain_only(store, add_sample):
    ds = add_sample("moons.csv")
    s = run(
        store,
        StudyConfig(
            dataset_id=ds,
            target="label",
            model="knn",
            strategy="random",
            n_trials=1,
            cv=3,
            space={"n_neighbors": {"value": 5}},
        ),
    )
    base = load_base_study(store, s["study_id"])
    assert base.arms() == (ArmKind.BASE, ArmKind.RETRAIN_NEW, ArmKind.RETRAIN_ALL)
    with pytest.raises(ConfigError, match="cannot take"):
        finetune(
            base,
            pd.read_csv(SAMPLES / "moons.csv"),
            target="label",
            settings=FinetuneSettings(arms=(ArmKind.CONTINUE,)),
        )


def test_unseen_class_names_of_a_study_model_are_named(study_db, drift):
    from tuning.store import Store

    path, sid, _ = study_db
    base = load_base_study(Store(path), sid)
    after = drift[1].astype({"label": object})
    after.loc[:5, "label"] = "maybe"
    with pytest.raises(DataError, match="never seen: 'maybe'"):
        finetune(base, after, target="label")


def test_nothing_saved_is_lost_on_bad_input_and_an_adapted_model_can_be_kept(study_db, drift):
    from tuning.store import Store

    path, sid, _ = study_db
    store = Store(path)
    before = (len(store.list_studies()), len(store.get_trials(sid)), len(store.list_artifacts()))
    base = load_base_study(store, sid)
    with pytest.raises(DataError):
        finetune(base, drift[1].drop(columns="f1"), target="label")
    assert (len(store.list_studies()), len(store.get_trials(sid)), len(store.list_artifacts())) == before
    r = finetune(base, drift[1], target="label", settings=FinetuneSettings(arms=(ArmKind.BASE, ArmKind.REFRESH)))
    aid = save_adapted(store, r, "refresh", study_id=sid)
    info, raw = store.load_artifact(aid)
    assert info["meta"]["arm"] == "refresh" and _model(raw).num_boosted_rounds() == 60
    assert len(store.list_artifacts(study_id=sid, kind="model")) == 1  # the base artifact is untouched


# -- the CLI --------------------------------------------------------------------------------------------


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_cli_finetune_a_studys_model(study_db, capsys):
    path, sid, _ = study_db
    rc = main(
        [
            "finetune",
            "--study",
            str(sid),
            "--data",
            str(SAMPLES / "drift_after.csv"),
            "--old-data",
            str(SAMPLES / "drift_before.csv"),
            "--learning-rates",
            "0.01,0.1",
            "--rounds",
            "80",
            "--db",
            str(path),
            "--json",
        ]
    )
    assert rc == 0
    summary = _last_json(capsys)
    arms = {a["label"]: a for a in summary["arms"]}
    assert set(arms) >= {
        "base",
        "continue (lr 0.01)",
        "continue (lr 0.1)",
        "refresh",
        "stack",
        "retrain (new)",
        "retrain (old + new)",
    }
    for a in summary["arms"]:
        assert {"new_score", "old_score", "trees_added", "fit_time_s"} <= set(a) and a["old_score"] is not None
    assert arms["continue (lr 0.1)"]["new_score"] > arms["base"]["new_score"]
    assert summary["metric"] == "roc_auc" and summary["ratios_to_retrain"]["retrain (new)"]["new_score"] == 1.0


def test_cli_finetune_an_uploaded_model_file_and_save_an_arm(base, tmp_path, capsys):
    model = tmp_path / "base.ubj"
    base.booster().save_model(str(model))
    out = tmp_path / "adapted.json"
    rc = main(
        [
            "finetune",
            "--base",
            str(model),
            "--data",
            str(SAMPLES / "drift_after.csv"),
            "--target",
            "label",
            "--base-learning-rate",
            "0.1",
            "--arms",
            "base,continue,refresh",
            "--save",
            "refresh",
            "-o",
            str(out),
            "--json",
        ]
    )
    assert rc == 0
    summary = _last_json(capsys)
    assert [a["arm"] for a in summary["arms"]] == ["base", "continue", "continue", "continue", "refresh"]
    assert {a["params"]["eta"] for a in summary["arms"] if a["arm"] == "continue"} == {0.01, 0.03, 0.1}
    assert _model(out.read_bytes()).num_boosted_rounds() == base.rounds


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--target", "label"], "not a model XGBoost can read"),
        ([], "does not record its target"),
    ],
)
def test_cli_bad_model_file_exits_2_with_one_line(tmp_path, capsys, extra, words):
    bad = tmp_path / "model.json"
    bad.write_bytes(pickle.dumps([1, 2, 3]) if extra else b"{}")
    if not extra:
        X = pd.DataFrame(np.eye(4), columns=list("abcd"))
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=[0, 1, 0, 1]), 2).save_model(str(bad))
    rc = main(["finetune", "--base", str(bad), "--data", str(SAMPLES / "drift_after.csv"), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and words in err[0] and "Traceback" not in err[0]


def test_old_held_out_rows_were_not_seen_by_the_lesson_base(drift):
    before = drift[0]
    y = before["label"].to_numpy()
    train_idx, hold_idx = holdout_split(len(y), y, task="classification", test_size=0.3, seed=0)
    assert not set(train_idx) & set(hold_idx) and len(hold_idx) == round(0.3 * len(y))


def test_an_uploaded_model_with_a_categorical_feature_keeps_its_category_codes():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=400), "c": pd.Categorical(rng.choice(["x", "y", "z"], 400))})
    y = ((df["a"] > 0) ^ (df["c"] == "y")).astype(int)
    b = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(df, label=y, enable_categorical=True), 10)
    base = load_base_file(bytes(b.save_raw(raw_format="json")), "cat.json")
    assert base.categories == {"c": ("x", "y", "z")}
    new = df.assign(label=y, c=df["c"].astype(str))
    new = new[new["c"] != "x"]  # category "x" absent: the codes must still be the model's
    r = finetune(
        base, new, target="label", settings=FinetuneSettings(arms=(ArmKind.BASE, ArmKind.CONTINUE), max_rounds=10)
    )
    assert r.arm(ArmKind.BASE).new_score > 0.95


def test_a_new_best_trial_gets_its_own_model_artifact(store, add_sample):
    ds = add_sample("moons.csv")
    space = {"n_estimators": {"value": 20}, "max_depth": {"values": [1, 4]}}
    s = run(
        store,
        StudyConfig(dataset_id=ds, target="label", model="xgboost", strategy="grid", n_trials=None, cv=3, space=space),
    )
    first = load_base_study(store, s["study_id"])
    best = store.best_trial(s["study_id"])
    store.delete_trial(s["study_id"], best.number)  # as if a resumed study had found another best
    second = load_base_study(store, s["study_id"])
    metas = [a["meta"] for a in store.list_artifacts(study_id=s["study_id"], kind="model")]
    assert second.artifact_id != first.artifact_id and len(metas) == 2
    assert metas[1]["trial"] == store.best_trial(s["study_id"]).number != metas[0]["trial"]


def test_xgboost_errors_are_shown_as_their_own_sentence():
    from tuning.finetune.booster_arms import _xgb_reason

    raw = (
        "[01:33:14] /__w/xgboost/src/gbm/gbtree.cc:227: Check failed: a == b (3 vs. 2) : A new dataset differs.\nStack"
    )
    assert _xgb_reason(Exception(raw)) == "A new dataset differs."


HOSTILE = 'x""" if __import__("os").system("echo PWNED") else """y'


def test_adaptation_script_takes_hostile_names_as_data(base, result, tmp_path, drift, monkeypatch, capfd):
    """A study or file named to close the docstring and run code: the script parses, runs, never prints PWNED."""
    import ast
    import dataclasses
    import runpy

    hostile = dataclasses.replace(result, base_source=HOSTILE + "\n'''\nimport os; os.system('echo PWNED')\n")
    (tmp_path / "base'model.json").write_bytes(base.booster_json)
    drift[1].to_csv(tmp_path / "after.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["adapt.py", "after.csv", "label"])
    text = adaptation_script(hostile, "refresh", base_file="base'model.json")
    ast.parse(text)
    assert HOSTILE not in text.split('"""')[1]  # the docstring is static
    (tmp_path / "adapt.py").write_text(text)
    runpy.run_path(str(tmp_path / "adapt.py"), run_name="__main__")
    out = capfd.readouterr().out
    assert "PWNED" not in out.replace(repr(hostile.base_source), "") and "saved adapted_refresh.json" in out


# -- run like a study: steps, Stop, a row cap, a stored result (issue 16, item 7) ------------------------


def test_progress_announces_the_planned_steps_and_stop_ends_the_run(base, drift):
    from tuning.finetune import Stopped, planned_steps

    before, after = drift
    settings = FinetuneSettings(learning_rates=(0.03, 0.1), tpe_trials=3, max_rounds=30)
    heard: list[str] = []
    finetune(base, after, target="label", old=before, settings=settings, progress=heard.append)
    assert len(heard) == planned_steps(base, settings, has_old=True) == 2 + 3 + 3 + 1
    # Stop asked during the third step: the run ends there, with the plain message
    heard.clear()
    with pytest.raises(Stopped, match="stopped"):
        finetune(base, after, target="label", settings=settings, progress=heard.append, stop=lambda: len(heard) >= 3)
    assert len(heard) == 3


def test_stop_during_boosting_ends_the_arm_at_the_next_round(base, drift):
    from tuning.finetune import Stopped

    rounds: list[int] = []

    def stop() -> bool:
        rounds.append(1)
        return len(rounds) > 5  # the callback asks once per round

    settings = FinetuneSettings(learning_rates=(0.1,), max_rounds=500, patience=500, arms=(ArmKind.CONTINUE,))
    with pytest.raises(Stopped):
        finetune(base, drift[1], target="label", settings=settings, stop=stop)
    assert len(rounds) < 20


def test_a_table_past_the_row_cap_is_a_plain_error(base, drift, monkeypatch):
    import tuning.finetune.table as table

    monkeypatch.setattr(table, "MAX_ROWS", 100)
    with pytest.raises(DataError, match="at most 100") as e:
        finetune(base, drift[1], target="label")
    assert "Sample" in e.value.fix


def test_a_result_survives_the_store_and_only_the_newest_are_kept(base, result, store):
    from tuning.finetune import RESULT_KIND, FinetuneResult, latest_result, save_result
    from tuning.finetune.report import KEPT_RESULTS

    back = FinetuneResult.from_record(json.loads(json.dumps(result.to_record())))
    assert back.to_summary() == result.to_summary()
    assert [a.curve for a in back.arms] == [a.curve for a in result.arms]
    assert latest_result(store, result.base_source) is None
    from dataclasses import replace

    ids = [save_result(store, replace(result, verdict=f"v{i}"), about=f"run {i}") for i in range(KEPT_RESULTS + 2)]
    kept = store.list_artifacts(kind=RESULT_KIND)
    assert [a["id"] for a in kept] == ids[-KEPT_RESULTS:]
    row, got = latest_result(store, result.base_source)
    assert row["id"] == ids[-1] and row["meta"]["about"] == f"run {KEPT_RESULTS + 1}"
    assert got.verdict == f"v{KEPT_RESULTS + 1}" and not got.models
    assert save_result(store, replace(result, verdict=f"v{KEPT_RESULTS + 1}")) == ids[-1]  # the same result: once
    with pytest.raises(ValueError, match="not a fine-tune result"):
        FinetuneResult.from_record({"arms": [{"kind": "nonsense"}]})


def test_keeping_the_same_model_twice_stores_it_once_and_the_cli_lists_and_deletes_it(result, store, capsys):
    label = next(iter(result.models))
    first, again = save_adapted(store, result, label), save_adapted(store, result, label)
    assert first == again and len(store.list_artifacts(kind="adapted_model")) == 1
    assert main(["artifacts", "--db", store.path, "--json"]) == 0
    rows = _last_json(capsys)
    assert [r["id"] for r in rows] == [first] and rows[0]["size"] == len(result.models[label])
    assert main(["delete-artifact", str(first), "--db", store.path, "--yes"]) == 0
    assert store.list_artifacts() == []
    assert main(["delete-artifact", str(first), "--db", store.path, "--yes"]) == 2  # gone: a plain error
