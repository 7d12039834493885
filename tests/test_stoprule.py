"""The plateau rule on synthetic studies where the answer is known."""

from __future__ import annotations

import numpy as np

from tuning.stoprule import plateau_reason


def study(scores, noise):
    rng = np.random.default_rng(0)
    return [(s, list(s + rng.normal(0, noise, 5))) for s in scores]


def test_a_search_that_keeps_improving_goes_on():
    assert plateau_reason(study(np.linspace(0.5, 0.9, 40), noise=0.001)) is None


def test_a_flat_search_stops_with_its_evidence():
    scores = [0.8] * 5 + [0.85] + [0.84] * 34
    reason = plateau_reason(study(scores, noise=0.01))
    assert reason is not None and "noise" in reason and "last 20 trials" in reason


def test_too_few_trials_never_stop():
    assert plateau_reason(study([0.8] * 10, noise=0.01)) is None


def test_a_study_on_a_plateau_stops_and_says_why(store, add_sample):
    from tuning.config import StudyConfig
    from tuning.protocol import StopReason
    from tuning.runner import run

    ds = add_sample("moons.csv")
    space = {"n_neighbors": {"values": [15, 16]}}  # two near-equal settings: nothing left to find after a few
    out = run(
        store,
        StudyConfig(
            dataset_id=ds, target="label", model="knn", strategy="random", n_trials=200, cv=3, space=space, plateau=True
        ),
    )
    assert out["stop_reason"] == StopReason.PLATEAU.value and out["n_trials"] < 200
    assert "noise" in out["stop_note"]
