"""The study handle: one parse of the table per start, the typed summary, the one refit, old stores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tuning.config import ResolvedConfig, StudyConfig, Task
from tuning.protocol import StudyState, TrialState
from tuning.store import Store
from tuning.study import Study, open_study, summaries, summary_of

FIXTURES = Path(__file__).parent / "fixtures"
CONTRACT = [
    "study_id",
    "state",
    "n_trials",
    "n_complete",
    "n_failed",
    "metric",
    "best_score",
    "best_params",
    "duration_s",
]
TREE = {"max_depth": {"type": "int", "low": 1, "high": 6}}


def test_a_study_start_parses_its_table_once(store, add_sample, monkeypatch):
    import tuning.study as study_mod
    from tuning.runner import run

    calls = []
    real = study_mod.parse_table
    monkeypatch.setattr(study_mod, "parse_table", lambda *a, **k: calls.append(1) or real(*a, **k))
    ds = add_sample("moons.csv")
    summary = run(
        store, StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=3, cv=3, space=TREE)
    )
    assert summary["n_complete"] == 3 and len(calls) == 1


def test_summary_to_json_is_the_cli_contract_in_order(store, add_sample):
    from tuning.runner import run

    ds = add_sample("moons.csv")
    out = run(store, StudyConfig(dataset_id=ds, target="label", model="knn", n_trials=2, cv=3, strategy="random"))
    assert list(out)[: len(CONTRACT)] == CONTRACT
    study = open_study(store, out["study_id"])
    s = study.summary()
    assert s.state is StudyState.COMPLETE and s.to_json() == out == summary_of(store, study.id)
    assert [x.study_id for x in summaries(store)] == [study.id]
    assert isinstance(study.config, ResolvedConfig) and study.config.task is Task.CLASSIFICATION
    frame = study.frame()
    assert list(frame["state"]) == [TrialState.COMPLETE.value] * 2


def test_refit_best_and_the_held_out_score(store, add_sample):
    from tuning.runner import run

    ds = add_sample("moons.csv")
    out = run(
        store,
        StudyConfig(dataset_id=ds, target="label", model="decision_tree", n_trials=3, cv=3, test_size=0.25, space=TREE),
    )
    study = open_study(store, out["study_id"])
    pipe = study.refit_best()
    data = study.data
    assert data.test_idx is not None and len(data.test_idx) > 0
    assert study.test_score(pipe) == pytest.approx(out["test_score"])


def test_a_study_without_trials_has_no_refit(store, add_sample):
    ds = add_sample("moons.csv")
    study = Study.create(store, StudyConfig(dataset_id=ds, target="label", model="knn", n_trials=2, cv=3))
    with pytest.raises(Exception, match="no complete trial"):
        study.refit_best()


@pytest.mark.parametrize("fixture", ["store_v1.db", "store_v2.db"])
def test_stores_of_earlier_releases_open_through_the_handle(tmp_path, fixture):
    path = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, path)
    store = Store(path)
    for s in summaries(store):
        study = open_study(store, s.study_id)
        assert study.config.model and study.config.metric == s.metric
        assert s.n_trials == sum(t.state.finished for t in study.trials())
        assert s.best_score is not None


def test_a_v2_store_keeps_its_pruned_trials_and_resumes(tmp_path):
    from tuning.runner import resume

    path = tmp_path / "v2.db"
    shutil.copy(FIXTURES / "store_v2.db", path)
    store = Store(path)
    study = open_study(store, 1)
    before = study.summary()
    assert before.n_pruned == 3 and before.pruner == "asha"
    assert all(t.rungs for t in study.trials() if t.state is TrialState.PRUNED)
    runner = resume(store, 1)  # its 6-trial budget is spent: the study ends at once, untouched
    runner.join(60)
    assert open_study(store, 1).summary().n_trials == before.n_trials
