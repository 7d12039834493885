"""The no-skill baseline of a study, scored on its own folds."""

from __future__ import annotations

from tuning.baseline import baseline_label, study_baseline
from tuning.config import StudyConfig
from tuning.study import Study


def test_the_majority_class_baseline_scores_half_an_auc(store, add_sample):
    ds = add_sample("moons.csv")
    study = Study.create(store, StudyConfig(dataset_id=ds, target="label", model="knn", n_trials=1, cv=3))
    score = study_baseline(store, study.config)
    assert score is not None and abs(score - 0.5) < 1e-9
    assert "most frequent" in baseline_label("classification") and "mean" in baseline_label("regression")
