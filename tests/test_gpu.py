"""GPU checks (XGBoost device="cuda"): run on a machine with a CUDA GPU; skipped, with the reason, elsewhere."""

from __future__ import annotations

import json
import time

import pytest

from tuning.device import cuda_status

USABLE, REASON = cuda_status()
pytestmark = pytest.mark.skipif(not USABLE, reason=f"no usable CUDA GPU: {REASON}")


def test_probe_reports_a_cuda_device():
    assert "cuda" in REASON


def test_a_study_on_the_gpu_trains_on_the_gpu_and_matches_the_cpu(store, add_sample):
    from tuning.config import StudyConfig
    from tuning.runner import run
    from tuning.study import open_study

    ds = add_sample("breast_cancer.csv")
    space = {"n_estimators": {"value": 50}, "max_depth": {"values": [3, 5]}}
    base = dict(dataset_id=ds, target="diagnosis", model="xgboost", strategy="grid", n_trials=None, cv=3, space=space)
    gpu = run(store, StudyConfig(**base, device="cuda"))
    cpu = run(store, StudyConfig(**base, device="cpu"))
    assert gpu["state"] == cpu["state"] == "complete"
    g = {json.dumps(t.params, sort_keys=True): t.score for t in store.get_trials(gpu["study_id"])}
    c = {json.dumps(t.params, sort_keys=True): t.score for t in store.get_trials(cpu["study_id"])}
    for k in g:
        assert g[k] == pytest.approx(c[k], abs=0.02)  # same algorithm (hist), different summation order
    pipe = open_study(store, gpu["study_id"]).refit_best()
    booster = pipe.named_steps["model"].get_booster()
    assert json.loads(booster.save_config())["learner"]["generic_param"]["device"].startswith("cuda")


def test_stop_on_the_gpu_is_prompt(store, add_sample):
    from tuning.config import StudyConfig
    from tuning.runner import start

    ds = add_sample("breast_cancer.csv")
    runner = start(
        store,
        StudyConfig(
            dataset_id=ds,
            target="diagnosis",
            model="xgboost",
            strategy="grid",
            n_trials=None,
            cv=2,
            device="cuda",
            record_curves=False,
            space={"n_estimators": {"value": 2_000_000}, "max_depth": {"value": 6}},
        ),
    )
    time.sleep(3)
    t0 = time.monotonic()
    runner.stop(wait=True, timeout=60)
    print(f"GPU stop latency {time.monotonic() - t0:.3f}s")
    assert not runner.running
    assert store.get_study(runner.study_id).state.value == "stopped"
