"""The probe behind the time estimate (tuning/probe.py): real probes on bundled samples, its cap, its
subsample, one copy for processes, and the centre it fits."""

from __future__ import annotations

import math

import pytest

from tuning.config import ExecutorName, StudyConfig, resolve_config
from tuning.data import prepare_xy
from tuning.estimate import estimate, predict
from tuning.probe import centre, deepest, probe
from tuning.space import SearchSpace
from tuning.study import read_table, split_rows

#: A cap no healthy probe reaches, so that what these tests check never depends on the machine's speed.
GENEROUS = 120.0


def _loaded(store, add_sample, name, target, **kw):
    ds = add_sample(name)
    t = read_table(store, ds, target=target, task=None)
    rc = resolve_config(StudyConfig(dataset_id=ds, target=target, **kw), t.profile)
    return rc, split_rows(prepare_xy(t.frame, t.profile), rc, task=rc.task.value)


@pytest.mark.parametrize("model", ["xgboost", "knn"])
def test_a_real_probe_on_a_sample_gives_a_positive_finite_estimate(store, add_sample, model):
    rc, data = _loaded(store, add_sample, "breast_cancer.csv", "diagnosis", model=model, n_trials=10, cv=3)
    e = estimate(rc, data, probe_fn=lambda c, d: probe(c, d, cap_s=GENEROUS))
    assert math.isfinite(e.seconds) and e.seconds > 0 and 0 < e.low <= e.seconds <= e.high
    assert e.probe.fold_rows == e.probe.probe_rows  # a small table: timed on all of a fold's rows
    assert (e.probe.unit_param == "n_estimators") is (model == "xgboost")
    assert e.words().startswith("about ")


def test_a_probe_out_of_time_gives_a_lower_bound(store, add_sample):
    rc, data = _loaded(store, add_sample, "breast_cancer.csv", "diagnosis", model="xgboost", n_trials=10, cv=3)
    p = probe(rc, data, cap_s=0.0)
    assert p.capped
    assert predict(rc, p).words().startswith("at least")


def test_a_large_table_is_probed_on_a_subsample_and_scaled(store, add_sample):
    rc, data = _loaded(store, add_sample, "digits.csv", "digit", model="ridge", n_trials=4, cv=3)
    p = probe(rc, data, max_rows=200, cap_s=GENEROUS)
    assert p.probe_rows <= 200 < p.fold_rows
    assert p.concurrent == 1 and not p.capped


def test_processes_are_probed_one_copy_at_a_time(store, add_sample):
    rc, data = _loaded(store, add_sample, "wine.csv", "cultivar", model="knn", n_trials=4, cv=3, workers=2)
    assert probe(rc, data, cores=2, cap_s=GENEROUS).concurrent == 2  # threads: the copies share the GIL, as trials will
    assert probe(rc.replace(executor=ExecutorName.PROCESSES), data, cores=2, cap_s=GENEROUS).concurrent == 1


def test_the_probe_times_the_deepest_trees_too(store, add_sample):
    rc, data = _loaded(store, add_sample, "breast_cancer.csv", "diagnosis", model="xgboost", n_trials=10, cv=3)
    p = probe(rc, data, cap_s=GENEROUS)
    assert (p.depth, p.depth_hi) == (6.0, 10.0) and p.depth_factor >= 1.0 and p.unit_s > 0


def test_the_centre_is_the_middle_of_ranges_and_numeric_choices():
    space = SearchSpace.from_dict(
        {
            "n_estimators": {"value": 200},
            "max_depth": {"values": [3, 6]},
            "learning_rate": {"type": "float", "low": 0.01, "high": 1.0, "log": True},
            "min_child_weight": {"type": "int", "low": 1, "high": 9},
            "booster": {"values": ["gbtree", "dart"]},
        }
    )
    c = centre(space)
    assert c["n_estimators"] == 200 and c["max_depth"] == 3 and c["booster"] == "gbtree"
    assert c["learning_rate"] == pytest.approx(0.1) and c["min_child_weight"] == 5
    assert deepest(space) == 6.0
    assert deepest(SearchSpace.from_dict({"alpha": {"type": "float", "low": 0.1, "high": 1}})) is None
